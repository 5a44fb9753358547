import Foundation

/// Where each symbol's bars are, from what `--data` says: `SYMBOL=PATH` pairs, folders, and bare
/// files (the symbol is the file's name). A folder holds one file per symbol, found by name:
/// `SPY.csv`, `SPY.csv.gz`, `SPY.txt`; failing those, a vendor's name for it (`spy.us.txt` from
/// Stooq, `BTCUSDT-1m-2024-01.csv` from Binance), matched without regard to case. A symbol may
/// have several files, read one after another in name order: the vendor files of one symbol
/// (Binance's months), or `SYMBOL=FOLDER` (Polygon's day files, each holding every ticker). The
/// result lists each file once, a symbol's files together and in order.
public enum DataFolder {
    /// A `--data` item that cannot be resolved.
    public struct Problem: Error, CustomStringConvertible, Sendable {
        public let description: String
        /// The items contradict each other (a symbol named twice), as opposed to a file or folder not found.
        public var isUsage = false
    }

    /// File name endings read as bar files, longest first.
    static let extensions = [".csv.gz", ".txt.gz", ".csv", ".txt", ".gz"]

    /// The symbol's file for each symbol: `universe` looked up in the folders (in the order given)
    /// unless a pair names it; with an empty universe, every file of every folder. Pairs and bare
    /// files always count.
    public static func resolve(_ items: [String], universe: [String]) throws(Problem) -> [(symbol: String, path: String)] {
        var pairs: [(symbol: String, path: String)] = []
        var folders: [String] = []
        /// How many items name each symbol.
        var named: [String: Int] = [:]
        for item in items {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2, !parts[0].contains("/") {
                named[parts[0], default: 0] += 1
                var isFolder: ObjCBool = false
                if FileManager.default.fileExists(atPath: parts[1], isDirectory: &isFolder), isFolder.boolValue {
                    // Every bar file of the folder is this symbol's, in name order.
                    let files = try files(in: parts[1])
                    guard !files.isEmpty else { throw Problem(description: "--data \(item): the folder holds no bar files") }
                    pairs += files.map { (parts[0], $0.path) }
                } else {
                    pairs.append((parts[0], parts[1]))
                }
                continue
            }
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: item, isDirectory: &isFolder) else {
                throw Problem(description: "--data \(item): no such file or folder; give SYMBOL=PATH, a folder of SYMBOL.csv files, or a file")
            }
            if isFolder.boolValue {
                folders.append(item)
            } else {
                named[stem(of: item), default: 0] += 1
                pairs.append((stem(of: item), item))
            }
        }
        // A symbol's files are given by one item: a file, or a folder of them.
        if let twice = pairs.map(\.symbol).first(where: { named[$0, default: 0] > 1 }) {
            throw Problem(description: "--data names \(twice) twice; give each symbol once", isUsage: true)
        }
        var seen = Set(pairs.map(\.symbol))
        let listings = try folders.map { folder throws(Problem) in (folder, try files(in: folder)) }
        if universe.isEmpty {
            for (_, files) in listings {
                for file in files where seen.insert(file.symbol).inserted { pairs.append(file) }
            }
            return pairs
        }
        for symbol in universe where !seen.contains(symbol) && !folders.isEmpty {
            let found = try find(symbol, in: listings)
            guard !found.isEmpty else {
                let held = listings.map { folder, files in
                    "\(folder) holds " + (files.isEmpty ? "no bar files" : files.map { ($0.path as NSString).lastPathComponent }.joined(separator: ", "))
                }
                throw Problem(description: "no file for \(symbol) in \(folders.joined(separator: ", ")) (\(held.joined(separator: "; "))); "
                    + "add \(symbol).csv, or give --data \(symbol)=PATH")
            }
            pairs += found.map { (symbol, $0) }
            seen.insert(symbol)
        }
        return pairs
    }

    /// The files by symbol, each symbol once, in the order given (`resolve` lists a symbol's files together).
    public static func grouped(_ files: [(symbol: String, path: String)]) -> [(symbol: String, paths: [String])] {
        var groups: [(symbol: String, paths: [String])] = []
        for file in files {
            if let last = groups.indices.last, groups[last].symbol == file.symbol { groups[last].paths.append(file.path) } else { groups.append((file.symbol, [file.path])) }
        }
        return groups
    }

    /// Every bar file of a folder, by symbol (its name without the extension), in name order.
    public static func files(in folder: String) throws(Problem) -> [(symbol: String, path: String)] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
            throw Problem(description: "cannot list the folder '\(folder)'")
        }
        return names.sorted().compactMap { name in
            guard !name.hasPrefix("."), extensions.contains(where: name.lowercased().hasSuffix) else { return nil }
            return (stem(of: name), (folder as NSString).appendingPathComponent(name))
        }
    }

    /// A file's name without its folder and extension: `Examples/data/SPY.csv.gz` is `SPY`.
    public static func stem(of path: String) -> String {
        let name = (path as NSString).lastPathComponent
        guard let ext = extensions.first(where: name.lowercased().hasSuffix) else { return name }
        return String(name.dropLast(ext.count))
    }

    /// The files of `symbol`: its exact name in the first folder that has it, else every file of
    /// the first folder with a vendor's name for it (`spy.us`, `BTCUSDT-1m-2024-01`), in name order.
    private static func find(_ symbol: String, in listings: [(String, [(symbol: String, path: String)])]) throws(Problem) -> [String] {
        let wanted = symbol.uppercased()
        for (_, files) in listings {
            if let exact = files.first(where: { $0.symbol == symbol }) ?? files.first(where: { $0.symbol.uppercased() == wanted }) {
                return [exact.path]
            }
        }
        for (_, files) in listings {
            let vendor = files.filter { file in
                let name = file.symbol.uppercased()
                return [".", "-", "_"].contains { name.hasPrefix(wanted + $0) }
            }
            if !vendor.isEmpty { return vendor.map(\.path) }
        }
        return []
    }
}
