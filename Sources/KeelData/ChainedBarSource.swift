/// One symbol's bars from several files read one after another (a vendor's monthly or daily
/// files): each file's bars must start after the last bar of the file before, or the run is
/// refused with both files named.
public final class ChainedBarSource: BarSource {
    public let parts: [BarSource]
    public let symbol: String
    public let signalNames: [String]
    private var index = 0
    private var lastTime: Int64?
    private var lastFile = ""

    /// - Throws: `CSVBarReader.Failure` when the files' signal columns differ.
    public init(_ parts: [BarSource]) throws {
        precondition(!parts.isEmpty, "a chain of no files")
        self.parts = parts
        (symbol, signalNames) = (parts[0].symbol, parts[0].signalNames)
        if let other = parts.first(where: { $0.signalNames != signalNames }) {
            throw CSVBarReader.Failure.file(other.origin?.file ?? symbol, row: 1,
                                            "its signal columns (\(other.signalNames.joined(separator: ", "))) differ from the first file's "
                                                + "(\(signalNames.joined(separator: ", "))); the files of one symbol have the same columns")
        }
    }

    public var fractionRead: Double {
        index >= parts.count ? 1 : (Double(index) + parts[index].fractionRead) / Double(parts.count)
    }

    public func next(into chunk: inout BarSeries) throws -> Bool {
        while index < parts.count {
            guard try parts[index].next(into: &chunk) else {
                index += 1
                continue
            }
            // An empty chunk (its rows all skipped): the file may have more.
            guard let first = chunk.time.first else { return true }
            let file = parts[index].origin?.file ?? "file \(index + 1)"
            if let lastTime, first <= lastTime {
                throw CSVBarReader.Failure.file(file, row: 0, "its bars start at \(TimestampParser.format(first)), not after the last bar of "
                    + "\(lastFile) (\(TimestampParser.format(lastTime))); the files of one symbol follow each other in time")
            }
            (lastTime, lastFile) = (chunk.time.last, file)
            return true
        }
        return false
    }

    /// The first file's reading, the files named as a range, and every file's suspicious lines.
    public var origin: DataOrigin? {
        guard var origin = parts.first?.origin else { return nil }
        let origins = parts.compactMap(\.origin)
        origin.file = "\(origin.file) to \(origins.last?.file ?? "?") (\(parts.count) files)"
        origin.barsSummary = nil
        origin.suspicious = origins.flatMap { part in part.suspicious.map { "\(part.file): \($0)" } }
        origin.fromCache = origins.allSatisfy(\.fromCache)
        return origin
    }
}
