import ArgumentParser
import Foundation
import Keel

/// How a command reads bar files: the layout, the price adjustment and the date range.
/// `keel backtest`, `keel data events` and `keel data inspect` share these flags.
struct ReadingOptions: ParsableArguments {
    @Option(help: "Trade from this date (2021-01-01) or ISO-8601 time, UTC unless it names a zone; the indicators warm up on the bars before it.")
    var from: String?

    @Option(help: "Trade to this date, inclusive of the whole day, or up to this ISO-8601 time.")
    var to: String?

    @Option(help: "The files' layout: \(BarFileLayout.allCases.map(\.rawValue).joined(separator: ", ")) (default: detected from the header and first row).")
    var layout: BarFileLayout?

    @Flag(help: "Scale open, high, low and close by Adj Close / Close (Yahoo files).")
    var adjust = false

    func validate() throws {
        do { _ = try DateRange(from: from, to: to) } catch { throw ValidationError(error.description) }
    }

    var range: DateRange { (try? DateRange(from: from, to: to)) ?? DateRange() }
    var file: BarFileOptions { BarFileOptions(layout: layout, adjust: adjust) }

    /// The symbols' files from `--data` items (SYMBOL=PATH, folders, files), for `universe`
    /// (every file of the folders when empty); a problem is said and exits 66.
    static func files(_ items: [String], universe: [String]) throws -> [(symbol: String, path: String)] {
        do { return try DataFolder.resolve(items, universe: universe) } catch {
            StandardError.say(error.description)
            throw Exit.unreadable
        }
    }
}

extension BarFileLayout: ExpressibleByArgument {}
