/// What the proxy does with one frame.
public enum FrameFault: Sendable, Equatable {
    /// Relayed as it came.
    case none
    /// Not relayed: the receiver waits (the terminal until its response timeout).
    case drop
    /// Relayed twice, one after the other.
    case duplicate
    /// Relayed after this pause; the frames behind it in its direction wait too.
    case delay(Duration)
    /// Only the first `keeping` bytes of the frame on the wire (its length prefix counted) are
    /// relayed, then both connections close: the receiver sees a frame cut short.
    case truncate(keeping: Int)
    /// Not relayed; both connections are reset (RST).
    case reset
}

/// Which way a frame travels through the proxy.
public enum FrameDirection: UInt64, Sendable {
    case toHost = 1
    case toTerminal = 2
}

/// The fault decisions for one direction of one proxied connection: a pure function of the
/// plan's seed, the connection's number (in accept order) and the direction, so each stream of
/// decisions is the same in every run with that seed. (Which terminal gets which connection
/// number depends on the scheduling of the run, which no seed fixes.)
public struct FaultDecider: Sendable {
    private let plan: FaultPlan
    private var random: FaultRandom

    public init(plan: FaultPlan, connection: Int, direction: FrameDirection) {
        self.plan = plan
        random = FaultRandom(seed: plan.seed, stream: direction.rawValue, index: UInt64(connection))
    }

    /// The fault for the next frame, whose body is `length` bytes: one draw picks at most one
    /// fault by the plan's rates (in the order drop, duplicate, delay, truncate, reset); a delay
    /// or truncation draws its amount next.
    public mutating func next(frameLength length: Int) -> FrameFault {
        var threshold = Double.random(in: 0..<1, using: &random)
        for (rate, fault) in [(plan.drop, Fault.drop), (plan.duplicate, .duplicate), (plan.delay, .delay), (plan.truncate, .truncate), (plan.reset, .reset)] {
            guard threshold < rate else {
                threshold -= rate
                continue
            }
            switch fault {
            case .drop: return .drop
            case .duplicate: return .duplicate
            case .delay: return .delay(.milliseconds(Int64.random(in: 1...max(1, plan.maximumDelay.wholeMilliseconds), using: &random)))
            // At least one byte relayed (a prefix begun) and at least one missing.
            case .truncate: return .truncate(keeping: Int.random(in: 1...(length + 1), using: &random))
            case .reset: return .reset
            }
        }
        return .none
    }

    private enum Fault { case drop, duplicate, delay, truncate, reset }
}

/// SplitMix64, keyed by a seed and a (stream, index) pair: small, fast and good enough to pick
/// faults; not for anything secret.
struct FaultRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64, stream: UInt64, index: UInt64) {
        state = seed
        state = Self.mix(&state) ^ stream &* 0xD1B5_4A32_D192_ED03
        state = Self.mix(&state) ^ index &* 0xAEF1_7502_108E_F2D9
    }

    mutating func next() -> UInt64 { Self.mix(&state) }

    private static func mix(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        let a = (state ^ (state >> 30)) &* 0xBF58_476D_1CE4_E5B9
        let b = (a ^ (a >> 27)) &* 0x94D0_49BB_1331_11EB
        return b ^ (b >> 31)
    }
}

/// How many faults a run injected, for its summary.
public struct FaultCounters: Sendable, Codable, Equatable {
    /// The spec the run used (all keys, defaults filled in).
    public var spec = ""
    /// Connections the proxy accepted, and frames it read (both directions).
    public var connections = 0
    public var frames = 0
    public var dropped = 0
    public var duplicated = 0
    public var delayed = 0
    public var truncated = 0
    public var reset = 0
    /// Terminals whose clock was off, and by how much at most (seconds, either way).
    public var skewedTerminals = 0
    public var largestSkewSeconds = 0.0

    public init() {}

    mutating func count(_ fault: FrameFault) {
        frames += 1
        switch fault {
        case .none: break
        case .drop: dropped += 1
        case .duplicate: duplicated += 1
        case .delay: delayed += 1
        case .truncate: truncated += 1
        case .reset: reset += 1
        }
    }

    /// The summary's line: connections, frames, each fault's count, the skew.
    public var line: String {
        "\(connections) connections, \(frames) frames: dropped \(dropped), duplicated \(duplicated), delayed \(delayed), truncated \(truncated), reset \(reset); "
            + "clock skew on \(skewedTerminals) terminals, at most \(String(format: "%.1f", largestSkewSeconds)) s"
    }
}
