// swift-tools-version:6.1
// Benchmarks live in their own package so the main build and `swift test` never compile them.
// Run: Benchmarks/run.sh (release build).
import Foundation
import PackageDescription

/// A path dependency's identity is its folder's name, which is whatever the checkout is called.
let keel = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "KeelBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [.package(path: "..")],
    targets: [
        .executableTarget(
            name: "KeelBenchmarks",
            dependencies: [
                .product(name: "KeelLanguage", package: keel),
                .product(name: "KeelLint", package: keel),
                .product(name: "KeelData", package: keel),
                .product(name: "KeelEngine", package: keel),
            ]
        ),
    ]
)
