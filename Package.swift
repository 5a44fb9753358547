// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "Keel",
    platforms: [.macOS(.v14)],
    products: [
        // The front door: compile, backtest, sweep. An embedder imports only this.
        .library(name: "Keel", targets: ["Keel"]),
        .library(name: "KeelLanguage", targets: ["KeelLanguage"]),
        .library(name: "KeelLint", targets: ["KeelLint"]),
        .library(name: "KeelData", targets: ["KeelData"]),
        .library(name: "KeelEngine", targets: ["KeelEngine"]),
        .executable(name: "keel", targets: ["KeelCLI"]),
        // For the fuzz targets (Fuzz/), which read these modules' request bodies.
        .library(name: "KeelBroker", targets: ["KeelBroker"]),
        .library(name: "KeelHTTP", targets: ["KeelHTTP"]),
        .library(name: "KeelService", targets: ["KeelService"]),
    ],
    dependencies: [
        // 6.x: 5.0.1 silently keeps the last of duplicate keys.
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        // traits: [] keeps one build of Hummingbird for `swift build` and `swift test`.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        // Already in the graph through async-http-client's certificates: AES-GCM for broker credentials.
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        // Already in the graph through Hummingbird: the tests stop their loopback listeners gracefully.
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // Already in the graph through Hummingbird: the connection guard sits beside its HTTP/1 decoder.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        .target(
            name: "KeelLanguage",
            dependencies: [.product(name: "Yams", package: "Yams")]
        ),
        .target(name: "KeelLint", dependencies: ["KeelLanguage", "KeelData"]),
        // zlib, the system library: .csv.gz files are read through its inflate stream.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .target(name: "KeelData", dependencies: ["CZlib"]),
        .target(name: "KeelEngine", dependencies: ["KeelLanguage", "KeelData"]),
        .target(name: "Keel", dependencies: ["KeelLanguage", "KeelLint", "KeelEngine", "KeelData"]),
        // Research over a strategy's declared search spaces: plans, objectives, the results file (SQLite).
        .target(name: "KeelResearch", dependencies: ["Keel", .product(name: "GRDB", package: "GRDB.swift")]),
        // The report's inlined files (Plotly, its script and style sheet), built into the binary with #embed.
        .target(name: "KeelReportAssets", exclude: ["report.js", "report.css", "vendor"]),
        .target(name: "KeelReport", dependencies: ["Keel", "KeelStore", "KeelRunner", "KeelResearch", "KeelReportAssets", "CZlib", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "KeelStore", dependencies: ["KeelEngine", "KeelLanguage", .product(name: "GRDB", package: "GRDB.swift"),
                                                .product(name: "GRDBSQLite", package: "GRDB.swift")]),
        // The curated strategies and the JSON Schema, built into the binary with #embed (keel new, the schema an editor reads).
        .target(name: "KeelEditorAssets"),
        // What an editor meets: the language server, the formatter, the templates.
        .target(name: "KeelEditor", dependencies: ["KeelLanguage", "KeelLint", "KeelData", "KeelEditorAssets"]),
        // The trading API's wire format and the simulated exchange behind the paper broker (KeelData: the fill rule).
        .target(name: "KeelBroker", dependencies: ["KeelData"]),
        // What the two servers share: bearer auth, JSON answers and errors.
        .target(name: "KeelHTTP", dependencies: [.product(name: "Hummingbird", package: "hummingbird"),
                                                .product(name: "NIOHTTP1", package: "swift-nio")]),
        .target(name: "KeelBrokerServer", dependencies: ["KeelBroker", "KeelData", "KeelHTTP", .product(name: "Hummingbird", package: "hummingbird")]),
        .target(name: "KeelBrokerClient", dependencies: ["KeelBroker", .product(name: "AsyncHTTPClient", package: "async-http-client")]),
        .target(
            name: "KeelService",
            dependencies: ["Keel", "KeelHTTP", "KeelStore", "KeelRunner", "KeelEngine", "KeelLint", "KeelLanguage", "KeelData", "KeelReport", "KeelResearch", "KeelBroker",
                           "KeelBrokerClient",
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                           .product(name: "AsyncHTTPClient", package: "async-http-client"),
                           .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(name: "KeelRunner", dependencies: ["Keel", "KeelLanguage", "KeelData", "KeelEngine", "KeelStore", "KeelBroker", "KeelBrokerClient",
                           .product(name: "HummingbirdWSClient", package: "hummingbird-websocket")]),
        .executableTarget(
            name: "KeelCLI",
            dependencies: [
                "Keel", "KeelLanguage", "KeelLint", "KeelData", "KeelEngine", "KeelStore", "KeelRunner", "KeelBroker", "KeelBrokerServer", "KeelService", "KeelHTTP", "KeelReport", "KeelResearch", "KeelEditor",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(
            name: "KeelTestSupport",
            dependencies: [.product(name: "AsyncHTTPClient", package: "async-http-client")],
            path: "Tests/KeelTestSupport",
            exclude: ["Fixtures", "Browser"]
        ),
        .target(
            name: "KeelBrokerTestSupport",
            dependencies: ["KeelBroker", "KeelBrokerClient", "KeelStore", "KeelTestSupport"],
            path: "Tests/KeelBrokerTestSupport"
        ),
        .testTarget(name: "KeelTests", dependencies: ["Keel", "KeelTestSupport"]),
        // The store's tests; one of them opens a state file from several `keel` processes at once.
        .testTarget(name: "KeelHTTPTests", dependencies: ["KeelHTTP", .product(name: "HummingbirdTesting", package: "hummingbird")]),
        .testTarget(name: "KeelStoreTests", dependencies: ["KeelStore", "KeelEngine", "KeelTestSupport", "KeelCLI", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "KeelLanguageTests", dependencies: ["KeelLanguage", "KeelTestSupport"]),
        .testTarget(
            name: "KeelLintTests",
            dependencies: ["KeelLint", "KeelLanguage", "KeelTestSupport"],
            exclude: ["Golden", "Fixtures"]
        ),
        // The reports: their figures in Swift, and each one opened in headless Chromium.
        .testTarget(name: "KeelResearchTests", dependencies: ["KeelResearch", "KeelReport", "KeelCLI", "KeelTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "KeelReportTests", dependencies: ["KeelReport", "KeelCLI", "CZlib", "KeelTestSupport"]),
        .testTarget(name: "KeelDataTests", dependencies: ["KeelData", "KeelTestSupport"]),
        .testTarget(name: "KeelEngineTests", dependencies: ["KeelEngine", "KeelData", "KeelLanguage", "KeelTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "KeelEditorTests", dependencies: ["KeelEditor", "KeelCLI", "KeelTestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "KeelCLITests", dependencies: ["KeelCLI", "KeelTestSupport"], exclude: ["Fixtures"]),
        .testTarget(
            name: "KeelRunnerTests",
            dependencies: ["KeelCLI", "Keel", "KeelRunner", "KeelStore", "KeelEngine", "KeelData", "KeelTestSupport",
                           .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket")]
        ),
        .testTarget(
            name: "KeelBrokerTests",
            dependencies: ["KeelCLI", "KeelBroker", "KeelBrokerClient", "KeelStore", "KeelTestSupport", "KeelBrokerTestSupport"]
        ),
        .testTarget(name: "KeelServiceTests", dependencies: ["KeelCLI", "KeelService", "KeelBrokerClient", "KeelStore", "KeelEngine", "KeelTestSupport", "KeelBrokerTestSupport",
                                                             .product(name: "Hummingbird", package: "hummingbird"),
                                                             .product(name: "HummingbirdTesting", package: "hummingbird"),
                                                             .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                                                             .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]),
    ]
)
