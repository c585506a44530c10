import NIOConcurrencyHelpers
import NIOCore

/// A first-in, first-out lock for async code.
///
/// The store has one connection, held by the group of transactions running on it; their
/// bodies are async and suspend, so an actor would let something else (another group, `close`)
/// use the connection in between (actor reentrancy). This lock is held across those
/// suspensions instead, and hands itself to waiters in arrival order, so none starves.
///
/// Waiting is not cancellable: a cancelled task still gets the lock, then finds itself
/// cancelled at its first query. That keeps the hand-over free of races.
final class AsyncSerialLock: Sendable {
    private struct State {
        var isLocked = false
        var waiters = CircularBuffer<CheckedContinuation<Void, Never>>()
    }

    private let state = NIOLockedValueBox(State())

    func lock() async {
        // The fast path takes no continuation.
        let acquired = state.withLockedValue { state in
            guard !state.isLocked else { return false }
            state.isLocked = true
            return true
        }
        if acquired { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let acquiredMeanwhile = state.withLockedValue { state in
                guard state.isLocked else {
                    state.isLocked = true
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if acquiredMeanwhile { continuation.resume() }
        }
    }

    /// Hands the lock straight to the oldest waiter (it stays locked), or unlocks it.
    func unlock() {
        let next = state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
            precondition(state.isLocked, "unlock of an unlocked AsyncSerialLock")
            guard let next = state.waiters.popFirst() else {
                state.isLocked = false
                return nil
            }
            return next
        }
        next?.resume()
    }

    func withLock<T>(_ body: () async throws -> T) async rethrows -> T {
        await lock()
        defer { unlock() }
        return try await body()
    }
}
