// swift-tools-version: 6.1
//
// libFuzzer targets for mpos's parsers of network input, kept out of the main package: they only
// link with `-sanitize=fuzzer`. Build and run as Fuzz/README.md says.

import Foundation
import PackageDescription

// A path dependency's identity is its folder's name, which differs between clones.
let mposIdentity = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

func mpos(_ name: String) -> Target.Dependency { .product(name: name, package: mposIdentity) }
let swift6: [SwiftSetting] = [.swiftLanguageMode(.v6)]
let protocolDependencies = [mpos("ISO8583"), mpos("MPOSCrypto"), mpos("MPOSProtocol"), "FuzzSupport"]

/// One libFuzzer executable per parser.
func fuzzer(_ name: String, _ dependencies: [Target.Dependency] = protocolDependencies) -> Target {
    .executableTarget(name: name, dependencies: dependencies, swiftSettings: swift6)
}

let package = Package(
    name: "mpos-fuzz",
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // Fixed keys that the seeds and the targets share, so that seeds authenticate.
        .target(name: "FuzzSupport", dependencies: [mpos("ISO8583"), mpos("MPOSCrypto"), mpos("MPOSProtocol")], swiftSettings: swift6),
        // Writes Corpus/<Target>/ from real values made with the main package's public API.
        .executableTarget(name: "SeedGenerator", dependencies: protocolDependencies + [mpos("MPOSTransport"), .product(name: "NIOCore", package: "swift-nio")], swiftSettings: swift6),
        fuzzer("ISO8583Fuzzer", [mpos("ISO8583"), mpos("MPOSProtocol")]),
        fuzzer("KeyBlockFuzzer"),
        fuzzer("ConfidentialDataFuzzer"),
        fuzzer("SealedEnvelopeFuzzer"),
        fuzzer("KeySetFuzzer"),
        fuzzer("SignatureFuzzer"),
        fuzzer("EnrollmentCodeFuzzer"),
        fuzzer("FrameFuzzer", [mpos("MPOSTransport"), mpos("MPOSServer"), .product(name: "NIOCore", package: "swift-nio"),
                               .product(name: "NIOEmbedded", package: "swift-nio")]),
    ]
)
