import ArgumentParser
import Foundation
import Keel

/// How a command reads bar files: the layout and the price adjustment. Every command that reads
/// bar files takes these flags.
struct LayoutOptions: ParsableArguments {
    @Option(help: "The files' layout (default: detected from the header and first row).")
    var layout: BarFileLayout?

    @Flag(help: "Scale open, high, low and close by Adj Close / Close (Yahoo files).")
    var adjust = false

    var file: BarFileOptions { BarFileOptions(layout: layout, adjust: adjust) }
}

/// The period a command trades or prints, and how it reads the files: `keel backtest` and `keel
/// data events` share these flags.
struct ReadingOptions: ParsableArguments {
    @Option(help: "Trade from this date (2021-01-01) or ISO-8601 time, UTC unless it names a zone; the indicators warm up on the bars before it.")
    var from: String?

    @Option(help: "Trade to this date, inclusive of the whole day, or up to this ISO-8601 time.")
    var to: String?

    @OptionGroup var layout: LayoutOptions

    func validate() throws {
        do { _ = try DateRange(from: from, to: to) } catch { throw ValidationError(error.description) }
    }

    var range: DateRange { (try? DateRange(from: from, to: to)) ?? DateRange() }
    var file: BarFileOptions { layout.file }

    /// The symbols' files from `--data` items (SYMBOL=PATH, folders, files), for `universe`
    /// (every file of the folders when empty); a file not found is said and exits 66, a symbol
    /// named twice is a usage error.
    static func files(_ items: [String], universe: [String]) throws -> [(symbol: String, path: String)] {
        do { return try DataFolder.resolve(items, universe: universe) } catch {
            if error.isUsage { throw ValidationError(error.description) }
            StandardError.say(error.description)
            throw Exit.unreadable
        }
    }
}

extension BarFileLayout: ExpressibleByArgument {}
