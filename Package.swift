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
        .library(name: "MPOSErrors", targets: ["MPOSErrors"]),
        .library(name: "MPOSCrypto", targets: ["MPOSCrypto"]),
        .library(name: "ISO8583", targets: ["ISO8583"]),
        .library(name: "MPOSTransport", targets: ["MPOSTransport"]),
        .library(name: "MPOSProtocol", targets: ["MPOSProtocol"]),
        .library(name: "MPOSHost", targets: ["MPOSHost"]),
        .library(name: "MPOSHostSQLite", targets: ["MPOSHostSQLite"]),
        .library(name: "MPOSHostPostgres", targets: ["MPOSHostPostgres"]),
        .library(name: "MPOSWebhook", targets: ["MPOSWebhook"]),
        .library(name: "MPOSHostRuntime", targets: ["MPOSHostRuntime"]),
        .library(name: "MPOSTerminal", targets: ["MPOSTerminal"]),
        .library(name: "MPOSLoad", targets: ["MPOSLoad"]),
        .library(name: "MPOSServer", targets: ["MPOSServer"]),
        .library(name: "MPOSAdminAPI", targets: ["MPOSAdminAPI"]),
        .executable(name: "mpos-host", targets: ["mpos-host"]),
        .executable(name: "mpos-terminal", targets: ["mpos-terminal"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-crypto.git", "4.5.0"..<"4.6.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    ],
    targets: [
        // The one shape of every mpos error: a stable code and a message that holds no secret.
        .target(name: "MPOSErrors", swiftSettings: strictSwift),
        // Pure payment cryptography: typed keys, check values, PIN blocks, TR-31 key blocks,
        // SP 800-108 KDF, AES-GCM, key components. No I/O, no logging.
        .target(
            name: "MPOSCrypto",
            dependencies: [
                "MPOSErrors",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strictSwift
        ),
        // ISO 8583:1987 codec: field specifications, bitmaps, strict total decoding. No I/O.
        .target(name: "ISO8583", dependencies: ["MPOSErrors"], swiftSettings: strictSwift),
        // The mpos message set: its ISO 8583 field table, MTIs, codes. No I/O.
        .target(
            name: "MPOSProtocol",
            dependencies: ["ISO8583", "MPOSCrypto", "MPOSErrors", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSwift
        ),
        // The wire: 2-byte length-prefixed frames as SwiftNIO handlers.
        .target(
            name: "MPOSTransport",
            dependencies: ["MPOSErrors", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strictSwift
        ),
        // The host's logic: key management, operators, terminals, sign-on/off, card opening,
        // contract signing, business modules and their outbox, the audit trail — behind the
        // store protocols (HostStore), with no database and no socket of its own.
        .target(
            name: "MPOSHost",
            dependencies: [
                "MPOSCrypto", "MPOSProtocol", "ISO8583", "MPOSErrors",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strictSwift
        ),
        // What the two SQL stores share: the tables' columns and their coding, and every
        // transaction operation's statements (SQLite and PostgreSQL differ in placeholders and
        // row locks). No driver, no I/O.
        .target(
            name: "MPOSHostSQL",
            dependencies: ["MPOSHost", .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                           .product(name: "Metrics", package: "swift-metrics")],
            swiftSettings: strictSwift
        ),
        // The system's SQLite (Debian: libsqlite3-dev), through its C API.
        .systemLibrary(name: "CSQLite3", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        // The embedded SQLite store (the default): WAL, durable group commits, versioned migrations.
        .target(
            name: "MPOSHostSQLite",
            dependencies: [
                "MPOSHost", "MPOSHostSQL", "CSQLite3",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),
        // The PostgreSQL store, for several host nodes on one database: a connection pool,
        // versioned migrations, row locks where the host reads in order to write.
        .target(
            name: "MPOSHostPostgres",
            dependencies: [
                "MPOSHost", "MPOSHostSQL", "MPOSErrors",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strictSwift
        ),
        // The built-in webhook business module: each contract POSTed as JSON, HMAC-signed.
        .target(
            name: "MPOSWebhook",
            dependencies: [
                "MPOSHost",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),
        // The host's TCP server: connections, limits, timeouts, graceful shutdown, metrics.
        // Knows frames, not the host: it hands each request to a closure.
        .target(
            name: "MPOSServer",
            dependencies: [
                "MPOSTransport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSwift
        ),
        // What a running host needs from its machine: the data directory, the LMK file, the
        // configuration file, the store and modules it names, process hardening.
        .target(
            name: "MPOSHostRuntime",
            dependencies: [
                "MPOSHost", "MPOSHostSQLite", "MPOSHostPostgres", "MPOSWebhook", "MPOSCrypto", "MPOSServer", "CMPOSHardening", "MPOSErrors",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSwift
        ),
        // The terminal SDK: the terminal state machine driven over a NIO connection, with
        // retransmission, key stores and a PIN-pad protocol. Depends on no host code.
        .target(
            name: "MPOSTerminal",
            dependencies: [
                "MPOSProtocol", "MPOSCrypto", "ISO8583", "MPOSTransport", "MPOSErrors",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),
        // The load generator behind `mpos-terminal load`: simulated terminals (the SDK, real
        // sockets), open or closed loop, HDR latency histograms, the record of approvals, and
        // the proxy that injects faults between the terminals and the host.
        .target(
            name: "MPOSLoad",
            dependencies: [
                "MPOSTerminal", "MPOSProtocol", "MPOSCrypto", "MPOSTransport",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),
        // The administration API (HTTP, Hummingbird): people and roles, sessions and tokens,
        // dual control, the routes over HostAdministration, /metrics, /health and /ready.
        .target(
            name: "MPOSAdminAPI",
            dependencies: [
                "MPOSHost", "MPOSCrypto", "MPOSErrors", "MPOSProtocol",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSwift
        ),
        // prctl(PR_SET_DUMPABLE), which Swift's Glibc module does not export.
        .target(name: "CMPOSHardening"),
        // What every mpos program shares and that is not cryptography (version, for now).
        .target(name: "MPOSCore", swiftSettings: strictSwift),
        .executableTarget(
            name: "mpos-host",
            dependencies: [
                "MPOSCore", "MPOSHost", "MPOSHostRuntime", "MPOSCrypto", "MPOSServer", "MPOSErrors", "MPOSAdminAPI",
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strictSwift
        ),
        // The patent's embodiment, steps 101-112, against a real host on loopback.
        .executableTarget(
            name: "mpos-demo",
            dependencies: [
                "MPOSHost", "MPOSHostRuntime", "MPOSServer", "MPOSTerminal", "MPOSCrypto",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSwift
        ),
        // The protocol's worked example (docs/protocol.md §7): made by its tool, checked by the
        // drift test; not part of any product.
        .target(name: "MPOSWorkedExample", dependencies: ["MPOSProtocol", "MPOSCrypto", "ISO8583"], swiftSettings: strictSwift),
        // Regenerates the protocol's worked example (docs/worked-example.json, docs/protocol.md §7).
        .executableTarget(
            name: "mpos-worked-example",
            dependencies: ["MPOSWorkedExample", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strictSwift
        ),
        .executableTarget(
            name: "mpos-terminal",
            dependencies: [
                "MPOSCore", "MPOSTerminal", "MPOSProtocol", "MPOSCrypto", "MPOSLoad",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
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
            dependencies: ["MPOSProtocol", "MPOSWorkedExample", "ISO8583", "MPOSCrypto", "MPOSTestSupport", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "MPOSHostTests",
            dependencies: ["MPOSHost", "MPOSHostSQL", "MPOSHostSQLite", "MPOSHostPostgres", "MPOSHostRuntime", "MPOSProtocol", "MPOSCrypto", "ISO8583", "MPOSTestSupport",
                           .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "MPOSWebhookTests",
            dependencies: [
                "MPOSWebhook", "MPOSHost",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "MPOSServerTests",
            dependencies: [
                "MPOSServer", "MPOSTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "MPOSTerminalTests",
            dependencies: [
                "MPOSTerminal", "MPOSProtocol", "MPOSCrypto", "ISO8583", "MPOSTransport", "MPOSTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),
        // The whole flow over loopback: mpos-host serve as a process, SDK terminals in the test.
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "MPOSTerminal", "MPOSProtocol", "MPOSCrypto", "ISO8583", "MPOSTestSupport", "MPOSLoad",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "MPOSAdminAPITests",
            dependencies: [
                "MPOSAdminAPI", "MPOSHost", "MPOSHostSQLite", "MPOSCrypto", "MPOSTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdOTP", package: "hummingbird-auth"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),
        .testTarget(
            name: "MPOSTransportTests",
            dependencies: [
                "MPOSTransport", "MPOSTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ],
            swiftSettings: strictSwift
        ),
    ]
)
