#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether the process's descriptor limit covers `--max-connections`: each connection is a
/// descriptor, and the host needs some of its own (the store's files, the admin API's
/// connections, PostgreSQL's pool, webhooks, the event loops' own).
///
/// A host that runs out of descriptors cannot accept, and new terminals wait in the backlog
/// with no answer — so `serve` raises its soft limit as far as the hard limit allows, and if
/// that is still short, lowers a default `--max-connections` with a warning, or refuses to
/// start when the operator asked for that many.
public struct DescriptorBudget: Sendable, Equatable {
    /// Descriptors kept for everything but terminal connections.
    public static let reserved = 128

    public enum Decision: Sendable, Equatable {
        case fits(maximumConnections: Int)
        case lowered(maximumConnections: Int)
        case refused(needed: Int)
    }

    public let soft: Int
    public let hard: Int

    public init(soft: Int, hard: Int) {
        self.soft = soft
        self.hard = hard
    }

    public func decide(maximumConnections: Int, explicit: Bool) -> Decision {
        let needed = maximumConnections + Self.reserved
        if needed <= soft { return .fits(maximumConnections: maximumConnections) }
        if explicit { return .refused(needed: needed) }
        return .lowered(maximumConnections: max(1, soft - Self.reserved))
    }

    /// What to tell the operator, for a decision other than `fits`.
    public func explanation(_ decision: Decision, requested: Int) -> String? {
        switch decision {
        case .fits: nil
        case .lowered(let maximum):
            """
            --max-connections lowered from \(requested) to \(maximum): the descriptor limit is \(soft) (hard limit \(hard)) \
            and \(Self.reserved) are kept for the host's own files and connections. Raise it (`ulimit -n \(requested + Self.reserved)`, \
            or LimitNOFILE=\(requested + Self.reserved) in a systemd unit) to allow more.
            """
        case .refused(let needed):
            """
            --max-connections \(requested) needs \(needed) descriptors (\(Self.reserved) kept for the host's own files and \
            connections), but the limit is \(soft) (hard limit \(hard)). Raise it (`ulimit -n \(needed)`, or \
            LimitNOFILE=\(needed) in a systemd unit), or ask for --max-connections \(max(1, soft - Self.reserved)) or fewer.
            """
        }
    }

    /// Raises the soft limit to the hard one (as far as the kernel allows) and returns the
    /// limits then in force.
    public static func raisingSoftLimit() -> DescriptorBudget {
        var limit = rlimit()
        #if canImport(Glibc)
        let resource = Int32(RLIMIT_NOFILE.rawValue)
        #else
        let resource = RLIMIT_NOFILE
        #endif
        guard getrlimit(resource, &limit) == 0 else { return DescriptorBudget(soft: 1024, hard: 1024) }
        // RLIM_INFINITY is all ones (the C macro does not import as an unsigned constant).
        let infinity = rlim_t.max
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            // An unlimited hard limit is still bounded by the kernel (nr_open): try a large
            // value, then the old one.
            raised.rlim_cur = limit.rlim_max == infinity ? 1 << 20 : limit.rlim_max
            if setrlimit(resource, &raised) == 0 { limit = raised }
        }
        func clamp(_ value: rlim_t) -> Int { value == infinity || value > rlim_t(Int32.max) ? Int(Int32.max) : Int(value) }
        return DescriptorBudget(soft: clamp(limit.rlim_cur), hard: clamp(limit.rlim_max))
    }
}
