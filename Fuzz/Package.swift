// swift-tools-version:6.1
// Coverage-guided fuzz targets (libFuzzer) in their own package: the main build and `swift test`
// never compile them, and they need the fuzzer and address sanitizers. Run: Fuzz/run.sh TARGET SECONDS.
import Foundation
import PackageDescription

/// A path dependency's identity is its folder's name, which is whatever the checkout is called.
let keel = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

/// One executable per target: `Sources/<name>/main.swift` hands libFuzzer its one-input function.
func target(_ name: String, _ modules: [String]) -> Target {
    .executableTarget(name: name, dependencies: ["FuzzSupport"] + modules.map { .product(name: $0, package: keel) })
}

let package = Package(
    name: "KeelFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [.package(path: "..")],
    targets: [
        .target(name: "FuzzSupport"),
        target("strategy", ["Keel", "KeelLanguage", "KeelEngine", "KeelData"]),
        target("expression", ["KeelLanguage"]),
        target("csv", ["KeelData"]),
        target("events", ["KeelData"]),
        target("broker", ["KeelBroker", "KeelData"]),
        target("service", ["KeelService", "KeelHTTP", "KeelData", "KeelBroker"]),
    ],
    // main.swift's top level runs the driver: Swift 5 mode keeps its globals out of the main actor.
    swiftLanguageModes: [.v5]
)
