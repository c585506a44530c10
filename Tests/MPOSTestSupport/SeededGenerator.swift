import Foundation

/// A small seeded generator (SplitMix64) so randomized inputs can be reproduced from the seed
/// a failing test reports (`MPOS_TEST_SEED=<seed>` replays a run). Keys and paddings inside the
/// modules still use the system generator.
public struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    public mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &self) }
    }
    public mutating func digits(_ count: Int) -> String {
        String((0..<count).map { _ in Character(String(Int.random(in: 0...9, using: &self))) })
    }
}

/// The seed of a randomized run: `MPOS_TEST_SEED` to replay one, otherwise fresh each run.
public let randomizedSeed: UInt64 = {
    if let text = ProcessInfo.processInfo.environment["MPOS_TEST_SEED"], let seed = UInt64(text) { return seed }
    return UInt64.random(in: .min ... .max)
}()
