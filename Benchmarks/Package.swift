// swift-tools-version: 6.1
//
// Benchmarks for mpos, kept out of the main package so that `swift test` never builds the
// harness. Run from this folder: `swift package benchmark` (see BENCHMARKS.md).

import Foundation
import PackageDescription

// A path dependency's identity is its folder's name, which differs between clones.
let mposIdentity = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "mpos-benchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/package-benchmark.git", exact: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // One frame of each mpos message, built by the real protection code.
        .target(
            name: "SampleMessages",
            dependencies: [
                .product(name: "MPOSCrypto", package: mposIdentity),
                .product(name: "ISO8583", package: mposIdentity),
                .product(name: "MPOSProtocol", package: mposIdentity),
            ],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        // Prints those frames as JSON for the Python side.
        .executableTarget(name: "sample-frames", dependencies: ["SampleMessages"], swiftSettings: [.swiftLanguageMode(.v6)]),
        .executableTarget(
            name: "MessageCodec",
            dependencies: [
                "SampleMessages",
                .product(name: "ISO8583", package: mposIdentity),
                .product(name: "Benchmark", package: "package-benchmark"),
            ],
            path: "Benchmarks/MessageCodec",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),
        // The host's operations in process, on a durable SQLite file (and PostgreSQL, when one is
        // named): the cost of one request.
        .executableTarget(
            name: "HostOperations",
            dependencies: [
                .product(name: "MPOSCrypto", package: mposIdentity),
                .product(name: "MPOSProtocol", package: mposIdentity),
                .product(name: "MPOSHost", package: mposIdentity),
                .product(name: "MPOSHostSQLite", package: mposIdentity),
                .product(name: "MPOSHostPostgres", package: mposIdentity),
                .product(name: "Benchmark", package: "package-benchmark"),
            ],
            path: "Benchmarks/HostOperations",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),
        .executableTarget(
            name: "CryptoPrimitives",
            dependencies: [
                .product(name: "MPOSCrypto", package: mposIdentity),
                .product(name: "Benchmark", package: "package-benchmark"),
            ],
            path: "Benchmarks/CryptoPrimitives",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        )
    ]
)
