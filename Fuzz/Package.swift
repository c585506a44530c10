// swift-tools-version: 6.1
//
// libFuzzer targets for mpos's decoders, kept out of the main package: they only link with
// `-sanitize=fuzzer`. Build and run as Fuzz/README.md says.

import Foundation
import PackageDescription

// A path dependency's identity is its folder's name, which differs between clones.
let mposIdentity = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "mpos-fuzz",
    dependencies: [.package(path: "..")],
    targets: [
        .executableTarget(
            name: "ISO8583Fuzzer",
            dependencies: [.product(name: "ISO8583", package: mposIdentity), .product(name: "MPOSProtocol", package: mposIdentity)],
            swiftSettings: [.swiftLanguageMode(.v6)]
        )
    ]
)
