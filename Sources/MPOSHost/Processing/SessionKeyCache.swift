import NIOConcurrencyHelpers
import MPOSProtocol

/// The session keys this node has unwrapped, by session number, so that a business request
/// can be verified and deciphered before its transaction — on any core, while other requests
/// hold the store — and the three TR-31 blocks are unwrapped once per session, not per request.
///
/// A cache, never an authority: an entry is used only if the session's row, read in the
/// request's transaction, still holds the very key blocks the entry was unwrapped from (and the
/// request's usual checks — session live, terminal's current session — pass first). A session
/// ended on another node has erased blocks and is refused as before; one ended here is dropped
/// at once. Bounded: past ``capacity`` the oldest entry goes.
///
/// What it changes for key exposure: a live session's keys stay unwrapped in this process's
/// memory between requests instead of for one request — in the process that holds the LMK and
/// every host key unwrapped anyway (no core dumps, not dumpable). `SymmetricKey` zeroes its
/// bytes when the last reference goes.
final class SessionKeyCache: Sendable {
    /// The three key blocks of a session row, exactly as stored.
    struct Blocks: Equatable, Sendable {
        let pin: String
        let mac: String
        let data: String

        init(_ session: SessionRecord) {
            pin = session.pinKeyBlock; mac = session.macKeyBlock; data = session.dataKeyBlock
        }
    }

    struct Entry: Sendable {
        let blocks: Blocks
        let keys: SessionKeys
    }

    private struct State {
        var entries: [Int64: Entry] = [:]
        /// Session numbers in the order they were added (stale numbers are skipped on eviction).
        var order: [Int64] = []
        var orderStart = 0
    }

    let capacity: Int
    private let state = NIOLockedValueBox(State())

    init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    func entry(session: Int64) -> Entry? {
        state.withLockedValue { $0.entries[session] }
    }

    func insert(_ entry: Entry, session: Int64) {
        guard capacity > 0 else { return }
        state.withLockedValue { state in
            if state.entries.updateValue(entry, forKey: session) == nil { state.order.append(session) }
            while state.entries.count > capacity, state.orderStart < state.order.count {
                let oldest = state.order[state.orderStart]
                state.orderStart += 1
                state.entries[oldest] = nil
            }
            // Keep the order list from growing with numbers already gone.
            if state.orderStart > capacity || state.order.count > 2 * capacity + 16 {
                state.order = state.order[state.orderStart...].filter { state.entries[$0] != nil }
                state.orderStart = 0
            }
        }
    }

    func remove(session: Int64) {
        _ = state.withLockedValue { $0.entries.removeValue(forKey: session) }
    }

    var count: Int { state.withLockedValue { $0.entries.count } }
}
