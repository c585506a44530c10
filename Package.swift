// swift-tools-version: 6.1
//
// mpos: a host and terminal kit for mobile POS, after patent CN101404574A.
// Libraries hold the logic; the two executables are thin command-line shells.

import PackageDescription

let strictSwift: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "mpos",
    platforms: [.macOS(.v14), .iOS(.v17)],
    products: [
        .library(name: "MPOSCrypto", targets: ["MPOSCrypto"]),
        .library(name: "ISO8583", targets: ["ISO8583"]),
        .library(name: "MPOSTransport", targets: ["MPOSTransport"]),
        .library(name: "MPOSProtocol", targets: ["MPOSProtocol"]),
        .executable(name: "mpos-host", targets: ["mpos-host"]),
        .executable(name: "mpos-terminal", targets: ["mpos-terminal"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", "4.5.0"..<"4.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // Pure payment cryptography: typed keys, check values, PIN blocks, TR-31 key blocks,
        // SP 800-108 KDF, AES-GCM, key components. No I/O, no logging.
        .target(
            name: "MPOSCrypto",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strictSwift
        ),
        // ISO 8583:1987 codec: field specifications, bitmaps, strict total decoding. No I/O.
        .target(name: "ISO8583", swiftSettings: strictSwift),
        // The mpos message set: its ISO 8583 field table, MTIs, codes. No I/O.
        .target(
            name: "MPOSProtocol",
            dependencies: ["ISO8583", "MPOSCrypto", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSwift
        ),
        // The wire: 2-byte length-prefixed frames as SwiftNIO handlers.
        .target(
            name: "MPOSTransport",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strictSwift
        ),
        // What every mpos program shares and that is not cryptography (version, for now).
        .target(name: "MPOSCore", swiftSettings: strictSwift),
        .executableTarget(
            name: "mpos-host",
            dependencies: [
                "MPOSCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSwift
        ),
        // Regenerates the protocol's worked example (docs/worked-example.json, docs/protocol.md §7).
        .executableTarget(
            name: "mpos-worked-example",
            dependencies: ["MPOSProtocol", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "mpos-terminal",
            dependencies: [
                "MPOSCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSwift
        ),
        // Shared by the test targets: running the independent Python implementations.
        .target(name: "MPOSTestSupport", path: "Tests/MPOSTestSupport", swiftSettings: strictSwift),
        .testTarget(
            name: "MPOSCryptoTests",
            dependencies: ["MPOSCrypto", "MPOSTestSupport"],
            resources: [.copy("Vectors")],
            swiftSettings: strictSwift
        ),
        .testTarget(name: "ISO8583Tests", dependencies: ["ISO8583", "MPOSTestSupport"], swiftSettings: strictSwift),
        .testTarget(
            name: "MPOSProtocolTests",
            dependencies: ["MPOSProtocol", "ISO8583", "MPOSCrypto", "MPOSTestSupport", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "MPOSTransportTests",
            dependencies: [
                "MPOSTransport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),
    ]
)
