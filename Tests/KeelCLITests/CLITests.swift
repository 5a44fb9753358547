import Foundation
import KeelTestSupport
import Testing

/// End to end through the real `keel` binary, as users and CI run it.
@Suite("keel command line")
struct CLITests {
    static let root = KeelBinary.root

    func keel(_ arguments: [String], in directory: URL = root) throws -> KeelBinary.Output {
        try KeelBinary.run(arguments, in: directory)
    }

    func temporaryFolder(_ files: [String: String]) throws -> URL { try KeelBinary.temporaryFolder(files) }

    static let broken = "keel: 1\nname: x\ndescription: A test.\nprofile: degen\nentry:\n  long: close > smaa(close, 20)\nexit:\n  long: close < sma(close, 20)\nexecution: {fees: 0.1%, slippage: 2bps}\n"
    static let warning = "keel: 1\nname: x\ndescription: A test.\nprofile: degen\nentry:\n  long: close > open\nexit:\n  long: close < open\nexecution: {fees: 0%, slippage: 2bps}\n"

    @Test("a declared timeframe over finer bars read from Keel's cache ends, and equals the run without the cache (the resampler looped for ever on the cache's end)")
    func timeframeFromCache() throws {
        let folder = try KeelBinary.temporaryFolder([:])
        #expect(try keel(["data", "generate", "--names", "BIG", "--bars", "3000", "--out", folder.appendingPathComponent("data").path]).status == 0)
        let strategy = try String(contentsOf: Self.root.appendingPathComponent("Strategies/sma_cross.yaml"), encoding: String.Encoding.utf8)
            .replacingOccurrences(of: "[AAPL]", with: "[BIG]").replacingOccurrences(of: "fast: 10", with: "fast: 1").replacingOccurrences(of: "slow: 30", with: "slow: 2")
        try strategy.write(to: folder.appendingPathComponent("s.yaml"), atomically: true, encoding: .utf8)
        let common = ["backtest", "s.yaml", "--data", "data", "--format", "json", "--cache-dir", folder.appendingPathComponent("cache").path]
        let plain = try keel(common + ["--no-cache"], in: folder)
        let building = try keel(common, in: folder)
        let cached = try keel(common, in: folder)
        #expect(plain.status == 0 && building.status == 0 && cached.status == 0, "\(cached.stderr)")
        #expect(plain.stdout == cached.stdout && building.stdout == cached.stdout)
        #expect(plain.stdout.contains("\"bars\": 3"), "3,000 minutes from midnight are three daily bars")
    }

    @Test("keel lint Strategies/ exits 0: the README's first command")
    func curated() throws {
        let run = try keel(["lint", "Strategies/"])
        #expect(run.status == 0, "\(run.stdout)")
        #expect(run.stdout.contains("0 errors, 0 warnings"))
    }

    @Test("a broken file: every error with file:line:column and a caret, exit 1")
    func broken() throws {
        let folder = try temporaryFolder(["broken.yaml": Self.broken])
        let run = try keel(["lint", "broken.yaml"], in: folder)
        #expect(run.status == 1)
        #expect(run.stdout.contains("broken.yaml:6:17: error[unknown-function]: no function 'smaa'; did you mean 'sma'?\n   6 |   long: close > smaa(close, 20)\n     |                 ^~~~\n"))
        #expect(run.stderr.isEmpty)
    }

    @Test("--format json is one parseable object with the contract's keys")
    func json() throws {
        let folder = try temporaryFolder(["a/broken.yaml": Self.broken, "a/warn.yml": Self.warning, "a/.hidden/skip.yaml": "x: ["])
        let run = try keel(["lint", "--format", "json", "a"], in: folder)
        #expect(run.status == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(object["files"] as? Int == 2)
        #expect(object["errors"] as? Int == 1 && object["warnings"] as? Int == 1)
        let first = try #require((object["diagnostics"] as? [[String: Any]])?.first)
        #expect(Set(first.keys).isSuperset(of: ["file", "line", "column", "severity", "id", "message"]))
    }

    @Test("--format sarif and --format github")
    func sarifAndGitHub() throws {
        let folder = try temporaryFolder(["broken.yaml": Self.broken])
        let sarif = try keel(["lint", "--format", "sarif", "broken.yaml"], in: folder)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(sarif.stdout.utf8)) as? [String: Any])
        #expect(object["version"] as? String == "2.1.0")
        let github = try keel(["lint", "--format", "github", "broken.yaml"], in: folder)
        #expect(github.stdout.hasPrefix("::error file=broken.yaml,line=6,col=17,"))
        #expect(github.status == 1)
    }

    @Test("warnings pass, and fail with --strict")
    func strict() throws {
        let folder = try temporaryFolder(["warn.yaml": Self.warning])
        #expect(try keel(["lint", "warn.yaml"], in: folder).status == 0)
        #expect(try keel(["lint", "--strict", "warn.yaml"], in: folder).status == 1)
    }

    @Test("--profile checks against another profile")
    func profile() throws {
        let run = try keel(["lint", "--profile", "conservative", "Strategies/macd_trend.yaml"])
        #expect(run.status == 1)
        #expect(run.stdout.contains("error[short-not-allowed]"))
    }

    @Test(".keel-lint.yaml is found in the current folder; --config names one")
    func configuration() throws {
        let folder = try temporaryFolder(["warn.yaml": Self.warning, ".keel-lint.yaml": "rules:\n  zero-fees: error\n",
                                          "quiet.yaml": "rules:\n  zero-fees: off\n"])
        let discovered = try keel(["lint", "warn.yaml"], in: folder)
        #expect(discovered.status == 1)
        #expect(discovered.stdout.contains("error[zero-fees]"))
        let named = try keel(["lint", "--config", "quiet.yaml", "warn.yaml"], in: folder)
        #expect(named.status == 0)
        #expect(!named.stdout.contains("zero-fees"))
    }

    @Test("unreadable paths exit 66, usage errors 64, never a stack trace", arguments: [
        (["lint", "missing.yaml"], Int32(66)), (["lint"], 64), (["lint", "--format", "xml", "a.yaml"], 64),
        (["lint", "--profile", "yolo", "a.yaml"], 64), (["rules", "explain", "no-such-rule"], 64), (["lnt"], 64),
    ] as [([String], Int32)])
    func exitCodes(arguments: [String], status: Int32) throws {
        let folder = try temporaryFolder(["a.yaml": Self.warning])
        let run = try keel(arguments, in: folder)
        #expect(run.status == status, "\(arguments): \(run.stderr)")
        #expect(!run.stderr.contains("Backtrace") && !run.stderr.contains("Fatal error"))
        #expect(!run.stderr.isEmpty)
    }

    @Test("a file that is not UTF-8 is an error, not a crash")
    func binaryFile() throws {
        let folder = try temporaryFolder([:])
        try Data([0x6B, 0x65, 0xFF, 0xFE, 0x00]).write(to: folder.appendingPathComponent("bin.yaml"))
        let run = try keel(["lint", "bin.yaml"], in: folder)
        #expect(run.status == 1)
        #expect(run.stdout.contains("bin.yaml:1:1: error[unreadable-file]: the file is not UTF-8 text"))
    }

    @Test("keel rules lists every rule; keel rules explain prints one with its examples")
    func rules() throws {
        let list = try keel(["rules"])
        #expect(list.status == 0)
        #expect(list.stdout.split(separator: "\n").count >= 20)
        let explain = try keel(["rules", "explain", "percent-expected"])
        #expect(explain.status == 0)
        #expect(explain.stdout.contains("Triggers on (at ↓):") && explain.stdout.contains("stop_loss: ↓5\n"))
        #expect(explain.stdout.contains("Does not trigger on:"))
    }

    @Test("keel reference prints Grammar/REFERENCE.md")
    func reference() throws {
        let run = try keel(["reference"])
        let committed = try String(contentsOf: Self.root.appendingPathComponent("Grammar/REFERENCE.md"), encoding: .utf8)
        #expect(run.stdout == committed)
    }
}

@Suite("keel data")
struct DataCommandTests {
    @Test("generate writes deterministic files that match the bundled examples")
    func generate() throws {
        let cli = CLITests()
        let folder = try cli.temporaryFolder([:])
        let run = try cli.keel(["data", "generate", "--symbols", "3", "--bars", "2520", "--bar", "1d", "--start", "2015-01-02T00:00:00Z",
                                "--names", "AAPL,MSFT,SPY", "--seed", "7", "--out", folder.path])
        #expect(run.status == 0, "\(run.stderr)")
        for name in ["AAPL", "MSFT", "SPY"] {
            let made = try Data(contentsOf: folder.appendingPathComponent("\(name).csv"))
            let bundled = try Data(contentsOf: CLITests.root.appendingPathComponent("Examples/data/\(name).csv"))
            #expect(made == bundled, "\(name)")
        }
    }

    @Test("--annualization N rescales Sharpe, Sortino and volatility by sqrt(N / observed), prints N, and refuses 0")
    func annualization() throws {
        let base = ["backtest", SharedFixtures.relative(SharedFixtures.strategy("S2E")),
                    "--data", "NVDA=" + SharedFixtures.relative(SharedFixtures.bars("NVDA")), "--format", "json"]
        func metrics(_ extra: [String]) throws -> [String: Double] {
            let run = try CLITests().keel(base + extra)
            #expect(run.status == 0, "\(run.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
            return try #require(object["metrics"] as? [String: Any]).compactMapValues { ($0 as? NSNumber)?.doubleValue }
        }
        let observed = try metrics([]), set = try metrics(["--annualization", "252"])
        let n = try #require(observed["annualization"])
        #expect(n > 240 && n < 260, "daily weekday bars: about 252 a year, observed \(n)")
        #expect(set["annualization"] == 252)
        for name in ["sharpe", "sortino", "volatility"] {
            let scaled = try #require(observed[name]) * (252 / n).squareRoot()
            #expect(abs(try #require(set[name]) - scaled) <= 1e-12 * max(1, abs(scaled)), "\(name)")
        }
        // What does not depend on the factor stays.
        #expect(set["max_drawdown"] == observed["max_drawdown"] && set["cagr"] == observed["cagr"])
        let text = try CLITests().keel(Array(base.dropLast(2)) + ["--annualization", "252"])
        #expect(text.stdout.contains("252.0 bars per year"), "\(text.stdout)")
        #expect(try CLITests().keel(base + ["--annualization", "0"]).status == 64)
    }

    @Test("bad arguments are usage errors", arguments: [
        ["data", "generate", "--bars", "0", "--out", "x"], ["data", "generate", "--bars", "5", "--bar", "fast", "--out", "x"],
        ["data", "generate", "--bars", "5", "--symbols", "2", "--names", "A", "--out", "x"],
    ])
    func usage(arguments: [String]) throws {
        let run = try CLITests().keel(arguments)
        #expect(run.status == 64)
    }
}

@Suite("keel backtest")
struct BacktestCommandTests {
    @Test("the README's first command prints a summary")
    func readme() throws {
        let run = try CLITests().keel(["backtest", "Strategies/sma_cross.yaml", "--data", "Examples/data", "--capital", "100000"])
        #expect(run.status == 0, "\(run.stderr)")
        for label in ["total return", "CAGR", "Sharpe", "Sortino", "max drawdown", "win rate", "profit factor", "trades", "exposure", "buy and hold"] {
            #expect(run.stdout.contains(label), "\(label)")
        }
        // The progress bar draws only on a terminal: a pipe gets nothing.
        #expect(run.stderr.isEmpty)
    }

    @Test("--format json is the conformance contract, and matches the peers on a conformance case")
    func json() throws {
        let run = try CLITests().keel(["backtest", SharedFixtures.relative(SharedFixtures.strategy("S2E")),
                                       "--data", "NVDA=" + SharedFixtures.relative(SharedFixtures.bars("NVDA")), "--capital", "100000",
                                       "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let expected = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: SharedFixtures.conformance.appendingPathComponent(
            "expected/S2E/NVDA.json"))) as? [String: Any])
        let trades = try #require(object["trades"] as? [[String: Any]])
        #expect(trades.count == (expected["trades"] as? [Any])?.count)
        #expect(Set(trades[0].keys).isSuperset(of: ["symbol", "side", "entry_time", "entry_price", "exit_time", "exit_price", "quantity", "pnl", "fees", "exit_reason"]))
        let final = try #require((object["final_equity"] as? NSNumber)?.doubleValue)
        let want = try #require((expected["final_equity"] as? NSNumber)?.doubleValue)
        #expect(abs(final - want) <= 1e-6 * want)
    }

    @Test("bad data is refused with file and row; --bad-rows skip goes on")
    func badData() throws {
        let cli = CLITests()
        let folder = try cli.temporaryFolder(["bad.csv": "timestamp,open,high,low,close,volume\n2020-01-01,10,11,9,10,1\n2020-01-02,10,9,11,10,1\n2020-01-03,10,11,9,10,1\n"])
        let strategy = CLITests.root.appendingPathComponent("Strategies/sma_cross.yaml").path
        let refused = try cli.keel(["backtest", strategy, "--data", "AAPL=bad.csv"], in: folder)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("bad.csv:3: high 9 is below low 11"))
        let skipped = try cli.keel(["backtest", strategy, "--data", "AAPL=bad.csv", "--bad-rows", "skip"], in: folder)
        #expect(skipped.status == 0, "\(skipped.stderr)")
        #expect(skipped.stderr.contains("warning: skipped bad.csv:3"))
    }

    @Test("a CSV with only a header is no data: exit 1, not a run of nothing")
    func headerOnly() throws {
        let cli = CLITests()
        let folder = try cli.temporaryFolder(["empty.csv": "timestamp,open,high,low,close,volume\n"])
        let strategy = CLITests.root.appendingPathComponent("Strategies/sma_cross.yaml").path
        for cache in [["--no-cache"], []] {
            let run = try cli.keel(["backtest", strategy, "--data", "AAPL=empty.csv"] + cache, in: folder)
            #expect(run.status == 1 && run.stderr.contains("AAPL: the data has no bars"), "\(run.stderr)")
        }
    }

    @Test("a strategy with errors prints its diagnostics and exits 1; a missing file exits 66")
    func errors() throws {
        let cli = CLITests()
        let folder = try cli.temporaryFolder(["bad.yaml": CLITests.broken, "d.csv": "timestamp,open,high,low,close\n2020-01-01,1,1,1,1\n"])
        let run = try cli.keel(["backtest", "bad.yaml", "--data", "X=d.csv"], in: folder)
        #expect(run.status == 1)
        #expect(run.stderr.contains("bad.yaml:6:17: error[unknown-function]"))
        #expect(try cli.keel(["backtest", "bad.yaml", "--data", "X=nothere.csv"], in: folder).status == 1)
        #expect(try cli.keel(["backtest", "nothere.yaml", "--data", "X=d.csv"], in: folder).status == 66)
    }
}

@Suite("keel backtest --trace")
struct TraceTests {
    @Test("every order in the trace names its rule and the values it read")
    func trace() throws {
        let cli = CLITests()
        let folder = try cli.temporaryFolder([:])
        let trace = folder.appendingPathComponent("trace.jsonl").path
        let run = try cli.keel(["backtest", "Strategies/sma_cross.yaml", "--data", "AAPL=Examples/data/AAPL.csv", "--format", "json", "--trace", trace])
        #expect(run.status == 0, "\(run.stderr)")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let lines = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n")
        let decisions = try lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        let entries = decisions.filter { $0["action"] as? String == "entry" }
        // One entry decision per trade, plus the open position's.
        #expect(entries.count == ((result["trades"] as? [Any])?.count ?? 0) + ((result["open_positions"] as? [Any])?.count ?? 0))
        let first = try #require(entries.first)
        #expect(first["rule"] as? String == "entry.long")
        let values = try #require(first["values"] as? [String: Double])
        #expect(Set(values.keys) == ["fast_ma", "slow_ma"])
        #expect(values["fast_ma"]! > values["slow_ma"]!)
    }
}

@Suite("keel backtest --set and --sweep")
struct SweepCommandTests {
    func json(_ arguments: [String]) throws -> [String: Any] {
        let run = try CLITests().keel(arguments)
        #expect(run.status == 0, "\(run.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
    }

    static let base = ["backtest", "Strategies/sma_cross.yaml", "--data", "AAPL=Examples/data/AAPL.csv", "--format", "json"]

    @Test("every combination runs, on every core, and each equals the same run with --set")
    func sweep() throws {
        let sweep = try json(Self.base + ["--sweep", "fast=5,20", "--sweep", "slow=30,50", "--jobs", "2"])
        let runs = try #require(sweep["runs"] as? [[String: Any]])
        #expect(runs.count == 4)
        let params = runs.map { ($0["params"] as! [String: Double]) }
        #expect(params.map { [$0["fast"]!, $0["slow"]!] } == [[5, 30], [5, 50], [20, 30], [20, 50]])
        for (run, p) in zip(runs, params) {
            let single = try json(Self.base + ["--set", "fast=\(Int(p["fast"]!))", "--set", "slow=\(Int(p["slow"]!))"])
            #expect((run["final_equity"] as? Double) == (single["final_equity"] as? Double))
        }
    }

    @Test("an unknown param is a usage error with a suggestion")
    func unknown() throws {
        let run = try CLITests().keel(Self.base + ["--sweep", "fst=5,10"])
        #expect(run.status == 64)
        #expect(run.stderr.contains("did you mean 'fast'"))
    }
}

@Suite("keel backtest with the bar cache")
struct CacheCommandTests {
    @Test("the first run builds the cache in --cache-dir, never beside the data; runs with and without it print the same result")
    func sameResult() throws {
        let cli = CLITests()
        let folder = try cli.temporaryFolder([:])
        let csv = folder.appendingPathComponent("AAPL.csv")
        try FileManager.default.copyItem(at: CLITests.root.appendingPathComponent("Examples/data/AAPL.csv"), to: csv)
        let cache = folder.appendingPathComponent("cache").path
        let strategy = CLITests.root.appendingPathComponent("Strategies/sma_cross.yaml").path
        let direct = try cli.keel(["backtest", strategy, "--data", "AAPL=\(csv.path)", "--format", "json", "--no-cache"])
        #expect(!FileManager.default.fileExists(atPath: cache))
        let first = try cli.keel(["backtest", strategy, "--data", "AAPL=\(csv.path)", "--format", "json", "--cache-dir", cache])
        #expect(try FileManager.default.contentsOfDirectory(atPath: cache).count == 1)
        let cached = try cli.keel(["backtest", strategy, "--data", "AAPL=\(csv.path)", "--format", "json", "--cache-dir", cache])
        #expect(direct.status == 0 && first.stdout == direct.stdout && cached.stdout == direct.stdout)
        let built = try cli.keel(["data", "cache", csv.path, "--cache-dir", cache])
        #expect(built.status == 0 && built.stdout.contains("2520 bars"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["AAPL.csv", "cache"])
    }
}

/// The universe's order decides who gets the cash within a time step, never the order of `--data`.
@Suite("keel backtest: the order of --data")
struct DataOrderTests {
    @Test("every order of the --data flags prints byte-identical JSON and text")
    func permutedFlags() throws {
        let folder = SharedFixtures.relative(SharedFixtures.conformance.appendingPathComponent("multi/rotation_real"))
        let flags = ["ORCL", "NVDA", "GOOG"].map { ["--data", "\($0)=\(folder)/\($0).csv"] }
        let orders = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]
        for format in ["json", "text"] {
            var outputs: Set<String> = []
            for order in orders {
                let run = try KeelBinary.run(["backtest", "\(folder)/strategy.yaml", "--no-cache", "--format", format] + order.flatMap { flags[$0] },
                                             in: KeelBinary.root)
                #expect(run.status == 0, "\(run.stderr)")
                outputs.insert(run.stdout)
            }
            #expect(outputs.count == 1, "\(format): \(outputs.count) different outputs")
        }
    }

    @Test("a symbol given twice is a usage error")
    func twice() throws {
        let run = try KeelBinary.run(["backtest", "Strategies/sma_cross.yaml", "--data", "AAPL=Examples/data/AAPL.csv",
                                      "--data", "AAPL=Examples/data/MSFT.csv"], in: KeelBinary.root)
        #expect(run.status == 64 && run.stderr.contains("--data names AAPL twice"), "\(run.stderr)")
    }
}

@Suite("keel rules explain")
struct RulesExplainTests {
    @Test("knows every id docs/diagnostics.md documents: lint rules with examples, front-end and checker ids with their help")
    func everyId() throws {
        let doc = try String(contentsOf: KeelBinary.root.appendingPathComponent("docs/diagnostics.md"), encoding: .utf8)
        let ids = doc.split(separator: "\n").filter { $0.hasPrefix("### ") }.map { String($0.dropFirst(4)) }
        #expect(ids.count > 80)
        for id in ids {
            let run = try KeelBinary.run(["rules", "explain", id])
            #expect(run.status == 0 && run.stdout.hasPrefix(id), "\(id): \(run.stderr)")
        }
        let typo = try KeelBinary.run(["rules", "explain", "yaml-alas"])
        #expect(typo.status == 64 && typo.stderr.contains("did you mean 'yaml-alias'?"))
    }
}
