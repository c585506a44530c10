import NIOConcurrencyHelpers
import MPOSProtocol

/// The session keys this node has unwrapped, by session number, so that a business request
/// can be verified and deciphered before its transaction — on any core, while other requests
/// hold the store — and the three TR-31 blocks are unwrapped once per session, not per request.
///
/// A cache, never an authority: an entry is used only if the session's row, read in the
/// request's transaction, still holds the very key blocks the entry was unwrapped from (and the
/// request's usual checks — session live, terminal's current session — pass first). An entry is
/// dropped when this node ends the session, and when a request finds the session ended (by an
/// administrator, or on another node: its blocks are erased) or its blocks changed; a session
/// ended elsewhere and never used here again stays until pushed out. Bounded: past
/// ``capacity`` the oldest entry goes.
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
        var entries: [Int64: (entry: Entry, insertion: Int)] = [:]
        /// (session, insertion) in the order added; a pair whose entry was removed or replaced
        /// since is skipped on eviction and dropped when the list is compacted.
        var order: [(session: Int64, insertion: Int)] = []
        var orderStart = 0
        var insertions = 0
    }

    let capacity: Int
    private let state = NIOLockedValueBox(State())

    init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    func entry(session: Int64) -> Entry? {
        state.withLockedValue { $0.entries[session]?.entry }
    }

    func insert(_ entry: Entry, session: Int64) {
        guard capacity > 0 else { return }
        state.withLockedValue { state in
            state.insertions += 1
            state.entries[session] = (entry, state.insertions)
            state.order.append((session, state.insertions))
            while state.entries.count > capacity, state.orderStart < state.order.count {
                let oldest = state.order[state.orderStart]
                state.orderStart += 1
                if state.entries[oldest.session]?.insertion == oldest.insertion { state.entries[oldest.session] = nil }
            }
            // Amortised: the list is rebuilt from the live entries only when it has grown to
            // twice the capacity, and then holds at most the capacity.
            if state.order.count - state.orderStart > 2 * capacity + 16 || state.orderStart > capacity {
                state.order = state.order[state.orderStart...].filter { state.entries[$0.session]?.insertion == $0.insertion }
                state.orderStart = 0
            }
        }
    }

    func remove(session: Int64) {
        _ = state.withLockedValue { $0.entries.removeValue(forKey: session) }
    }

    var count: Int { state.withLockedValue { $0.entries.count } }
}
