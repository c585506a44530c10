import NIOConcurrencyHelpers

/// When a terminal's retransmission cache is cut back to its capacity: every
/// ``interval``-th entry this node logs for the terminal. Pruning finds the cut by walking the
/// terminal's newest entries (as many as the capacity), so once per entry it cost a walk of
/// 1,024 index entries per request, while the store is held; now it costs 1/64 of that. A
/// terminal keeps its newest `retransmissionCacheCapacity` entries at least, and normally fewer
/// than `interval` more per node (a cut made by a request that then failed is made again only
/// `interval` entries later).
final class MessageLogPruning: Sendable {
    static let interval = 64
    private let entriesSincePrune = NIOLockedValueBox([String: Int]())

    func isDue(terminalID: String) -> Bool {
        entriesSincePrune.withLockedValue { counts in
            let count = counts[terminalID, default: 0] + 1
            counts[terminalID] = count == Self.interval ? 0 : count
            return count == Self.interval
        }
    }
}
