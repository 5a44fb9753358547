// swift-tools-version:6.1
// Keel embedded in another program: one dependency, one import. CI builds and runs it.
// Run from the repository's root: swift run --package-path Examples/Embedding
import Foundation
import PackageDescription

/// A path dependency's identity is its folder's name, which is whatever the checkout is called.
let keel = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "Embedding",
    platforms: [.macOS(.v14)],
    dependencies: [.package(path: "../..")],
    targets: [
        .executableTarget(name: "Embedding", dependencies: [.product(name: "Keel", package: keel)]),
    ]
)
