import Foundation
import KeelLanguage
import KeelLint

/// Lint throughput: 1,000 distinct strategy files, generated deterministically from the curated
/// strategies with their parameters and thresholds varied. Prints wall time and files per second,
/// median of several runs. Not a test: CI does not run it.
let arguments = CommandLine.arguments
// `KeelBenchmarks engine N`: only the engine scenario, for Benchmarks/peers.py.
if arguments.count == 3, arguments[1] == "engine", let bars = Int(arguments[2]) {
    print(try EngineScenario.run(bars: bars))
    exit(0)
}
let root = URL(fileURLWithPath: arguments.count > 1 ? arguments[1] : FileManager.default.currentDirectoryPath)
let count = arguments.count > 2 ? Int(arguments[2]) ?? 1_000 : 1_000
let repeats = 7

let folder = root.appendingPathComponent("Strategies")
let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }.sorted()
let templates = try names.map { try String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8) }

/// Variant i of a template: every window and threshold number shifted, so no two files are equal.
func variant(_ text: String, _ i: Int) -> String {
    var result = ""
    var digits = ""
    func flush() {
        if let n = Int(digits), n >= 5 { result += String(n + i % 7) } else { result += digits }
        digits = ""
    }
    for character in text {
        if character.isNumber { digits.append(character) } else { flush(); result.append(character) }
    }
    flush()
    return result + "# variant \(i)\n"
}

let files = (0..<count).map { i in SourceFile(path: "bench/\(i).yaml", text: variant(templates[i % templates.count], i)) }
let bytes = files.reduce(0) { $0 + $1.bytes.count }
let linter = Linter()

var timings: [Double] = []
var findings = 0
for _ in 0..<repeats {
    let start = ContinuousClock.now
    findings = 0
    for file in files { findings += linter.lint(file).diagnostics.count }
    let elapsed = ContinuousClock.now - start
    timings.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
}
timings.sort()
let median = timings[timings.count / 2]
print("lint: \(count) files (\(bytes / 1024) KiB, \(findings) findings), median of \(repeats): \(String(format: "%.3f", median)) s, \(Int(Double(count) / median)) files/s (best \(String(format: "%.3f", timings[0])) s)")

print(try EngineScenario.run(bars: 2_000_000))
