import Foundation
import KeelData
import KeelEditorAssets

/// The strategies `keel new` starts from: the curated ones (Strategies/, built into the binary),
/// each under the name of the kind of strategy it is.
public struct StrategyTemplate: Sendable, Equatable {
    /// What `--template` takes.
    public let name: String
    /// The curated strategy's file name.
    public let file: String
    public let summary: String

    public static let all: [StrategyTemplate] = [
        .init(name: "trend", file: "sma_cross.yaml", summary: "two moving averages crossing, a 5% stop"),
        .init(name: "mean-reversion", file: "rsi_mean_reversion.yaml", summary: "an RSI dip inside a long-term uptrend"),
        .init(name: "breakout", file: "donchian_breakout.yaml", summary: "a 20-bar high cleared, an ATR trailing stop"),
        .init(name: "rotation", file: "momentum_rotation.yaml", summary: "the top three of a universe by momentum, rebalanced"),
        .init(name: "bollinger", file: "bollinger_reversion.yaml", summary: "a close below the lower band, profit taken in two steps"),
        .init(name: "macd", file: "macd_trend.yaml", summary: "MACD crossing its signal above the 100-bar EMA, long and short"),
        .init(name: "ladder", file: "conservative_ladder.yaml", summary: "a pullback in an uptrend, risk-sized, a three-step take-profit ladder"),
        .init(name: "market-filter", file: "market_filter_trend.yaml", summary: "strong stocks while the market is above its 200-day average"),
        .init(name: "multi-timeframe", file: "multi_timeframe.yaml", summary: "the daily trend for direction, hourly bars for the entry"),
    ]

    public static func named(_ name: String) -> StrategyTemplate? { all.first { $0.name == name } }

    /// The curated strategy's text, as the binary carries it.
    public var text: String {
        guard let text = Self.builtIn[file] else { preconditionFailure("no built-in strategy \(file)") }
        return text
    }

    /// Every curated strategy the binary carries, by file name.
    public static let builtIn: [String: String] = {
        var count: UInt = 0
        let files = keel_editor_strategies(&count)!
        return Dictionary(uniqueKeysWithValues: (0..<Int(count)).map { (String(cString: files[$0].name), files[$0].text) })
    }()

    /// A new strategy file: the schema modeline first (when `schema` is given), then the template
    /// with its `name:` set to `strategyName`.
    public func make(named strategyName: String, schema: String?) -> String {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if let at = lines.firstIndex(where: { $0.hasPrefix("name:") }) { lines[at] = "name: " + Self.scalar(strategyName) }
        if let schema { lines.insert(EditorSchema.modeline(schema), at: 0) }
        return lines.joined(separator: "\n")
    }

    /// Text as a YAML scalar: plain when it reads back as the same string, else double-quoted.
    static func scalar(_ text: String) -> String {
        let plain = text.first?.isLetter == true && text.allSatisfy { $0.isLetter || $0.isNumber || " _-.()".contains($0) }
            && !text.hasSuffix(" ") && !["true", "false", "yes", "no", "on", "off", "null"].contains(text.lowercased())
        // A JSON string is a YAML double-quoted scalar meaning the same text.
        return plain ? text : JSON.quote(text)
    }
}

/// The strategy files' JSON Schema (Grammar/keel-strategy.schema.json, built into the binary) and
/// where editors find it: a file in the user's data folder, named by an absolute `file://` URL in
/// the modeline (a relative `$schema=` fails in the older yaml-language-server some editors bundle).
public enum EditorSchema {
    public static let text = keel_editor_schema().text

    /// `$XDG_DATA_HOME/keel/keel-strategy.schema.json`, else `~/.local/share/keel/...`.
    public static func installedPath(environment: [String: String]) -> String? {
        if let data = environment["XDG_DATA_HOME"], data.hasPrefix("/") { return data + "/keel/keel-strategy.schema.json" }
        guard let home = environment["HOME"], home.hasPrefix("/") else { return nil }
        return home + "/.local/share/keel/keel-strategy.schema.json"
    }

    /// Writes this keel's schema to its place (when it is not there already, or differs) and
    /// returns its `file://` URL.
    public static func install(environment: [String: String]) throws -> String {
        guard let path = installedPath(environment: environment) else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey: "neither XDG_DATA_HOME nor HOME names a folder"])
        }
        let data = Data(text.utf8)
        if FileManager.default.contents(atPath: path) != data {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        }
        return URL(fileURLWithPath: path).absoluteString
    }

    /// The line yaml-language-server reads the schema from.
    public static func modeline(_ url: String) -> String { "# yaml-language-server: $schema=\(url)" }
}

extension keel_editor_file {
    /// The file's bytes as text.
    var text: String { String(decoding: UnsafeBufferPointer(start: bytes, count: Int(count)), as: UTF8.self) }
}
