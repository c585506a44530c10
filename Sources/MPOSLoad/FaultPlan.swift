public import Foundation

/// The faults a load run injects (`mpos-terminal load --faults SPEC`): per-frame rates for the
/// proxy between the terminals and the host, a bound on delays, the terminals' clock skew, and
/// the seed every decision comes from, so that a run's faults can be replayed.
public struct FaultPlan: Sendable, Equatable {
    /// Each a probability per relayed frame (either direction); a frame suffers one fault at
    /// most, so together they are at most 1.
    public var drop = 0.0
    public var duplicate = 0.0
    public var delay = 0.0
    public var truncate = 0.0
    public var reset = 0.0
    /// A delayed frame waits 1 ms to this long (and the frames behind it on its connection wait
    /// with it: TCP keeps order).
    public var maximumDelay: Duration = .milliseconds(200)
    /// Each terminal's clock is off by a fixed amount within ±this.
    public var clockSkew: Duration = .zero
    public var seed: UInt64 = 1

    /// The largest skew allowed: the host's default `permittedClockSkewSeconds`. Beyond it every
    /// request of a skewed terminal is refused `A4`, which tests the clock, not the network.
    public static let maximumClockSkew: Duration = .seconds(300)
    static let delayBounds: ClosedRange<Duration> = .milliseconds(1) ... .seconds(60)

    public init() {}

    /// Parses `KEY=VALUE,…` (e.g. `drop=0.02,duplicate=0.01,delay=0.05:200ms,truncate=0.005,
    /// reset=0.005,skew=30s,seed=1`), strictly: an unknown or repeated key, a rate outside 0…1,
    /// rates summing above 1 or any junk is a ``SpecError`` naming the key.
    public init(spec: String) throws(SpecError) {
        var seen = Set<String>()
        for item in spec.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard parts.count == 2, !parts[0].isEmpty else {
                throw SpecError(key: String(item), problem: "is not KEY=VALUE (keys: \(Self.keys.joined(separator: ", ")))")
            }
            let (key, value) = (parts[0], parts[1])
            guard Self.keys.contains(key) else {
                throw SpecError(key: key, problem: "is not a fault (keys: \(Self.keys.joined(separator: ", ")))")
            }
            guard seen.insert(key).inserted else { throw SpecError(key: key, problem: "is given twice") }
            switch key {
            case "drop": drop = try Self.rate(key, value)
            case "duplicate": duplicate = try Self.rate(key, value)
            case "truncate": truncate = try Self.rate(key, value)
            case "reset": reset = try Self.rate(key, value)
            case "delay":
                let pieces = value.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                delay = try Self.rate(key, pieces[0])
                if pieces.count == 2 {
                    guard let bound = Self.duration(pieces[1]), Self.delayBounds.contains(bound) else {
                        throw SpecError(key: key, problem: "wants RATE:MAX with MAX from 1ms to 60s (e.g. 0.05:200ms), not \(value)")
                    }
                    maximumDelay = bound
                }
            case "skew":
                guard let skew = Self.duration(value), skew >= .zero else {
                    throw SpecError(key: key, problem: "wants a duration such as 30s, not \(value)")
                }
                guard skew <= Self.maximumClockSkew else {
                    throw SpecError(key: key, problem: "is at most 300s, the host's default permitted clock skew (beyond it every request is refused A4)")
                }
                clockSkew = skew
            default:
                guard let seed = UInt64(value) else { throw SpecError(key: key, problem: "wants a whole number from 0 to \(UInt64.max), not \(value)") }
                self.seed = seed
            }
        }
        let total = drop + duplicate + delay + truncate + reset
        guard total <= 1 + 1e-9 else {
            throw SpecError(key: "drop+duplicate+delay+truncate+reset", problem: "sum to \(total): a frame suffers one fault at most, so at most 1")
        }
    }

    static let keys = ["drop", "duplicate", "delay", "truncate", "reset", "skew", "seed"]

    private static func rate(_ key: String, _ text: String) throws(SpecError) -> Double {
        guard let rate = Double(text), rate.isFinite, (0...1).contains(rate) else {
            throw SpecError(key: key, problem: "wants a rate from 0 to 1, not \(text.isEmpty ? "nothing" : text)")
        }
        return rate
    }

    /// `200ms`, `1.5s`: a number and its unit.
    private static func duration(_ text: String) -> Duration? {
        let (number, scale): (Substring, Double) = text.hasSuffix("ms") ? (text.dropLast(2), 1e-3) : text.hasSuffix("s") ? (text.dropLast(), 1) : ("", 0)
        guard let value = Double(number), value.isFinite, value >= 0 else { return nil }
        return .milliseconds(Int64((value * scale * 1000).rounded()))
    }

    /// A key of the spec and what is wrong with it.
    public struct SpecError: Error, Equatable, CustomStringConvertible {
        public let key: String
        public let problem: String
        public var description: String { "\(key) \(problem)" }
    }

    /// The spec that parses back to this plan (for the run's banner and summary).
    public var spec: String {
        func rate(_ value: Double) -> String { String(format: "%g", value) }
        var items = ["drop=\(rate(drop))", "duplicate=\(rate(duplicate))",
                     "delay=\(rate(delay)):\(maximumDelay.wholeMilliseconds)ms",
                     "truncate=\(rate(truncate))", "reset=\(rate(reset))"]
        items += ["skew=\(clockSkew.wholeMilliseconds)ms", "seed=\(seed)"]
        return items.joined(separator: ",")
    }

    /// Terminal `index`'s clock offset, within ±``clockSkew`` (whole milliseconds), the same
    /// for a seed and index in every run.
    public func clockOffset(forTerminal index: Int) -> TimeInterval {
        let milliseconds = clockSkew.wholeMilliseconds
        guard milliseconds > 0 else { return 0 }
        var random = FaultRandom(seed: seed, stream: 0x5EED_C10C, index: UInt64(index))
        return Double(Int64.random(in: -milliseconds...milliseconds, using: &random)) / 1000
    }
}

extension Duration {
    var wholeMilliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
