import MPOSHost
import MPOSHostSQL
import NIOConcurrencyHelpers

/// Group commit: the transactions waiting for the store's one connection are run together —
/// one `BEGIN IMMEDIATE`, each transaction in a savepoint of its own, one `COMMIT` — so that
/// a burst of requests costs one durable write (one `fsync`) instead of one each.
///
/// Each transaction keeps its guarantees: the bodies run one after another (isolation); a
/// body that throws, or whose statement failed, is rolled back to its savepoint and gets its
/// error while the others go on (atomicity); and every caller resumes only after the one
/// `COMMIT` has returned — no answer leaves before its transaction is on disk (durability).
/// If the `COMMIT` itself fails, every transaction of the group fails: none committed.
///
/// Each body runs in its caller's own task — its cancellation and task-locals apply — while
/// the group's leader holds the connection and waits for it: the leader hands each caller its
/// turn (``Job/turn``), the caller runs its body and says how it went (``Job/bodyFinished``),
/// and after the `COMMIT` every caller learns the group's outcome (``Job/committed``).
///
/// The first caller to find no group running starts a leader: it takes the connection, runs
/// what is queued (at most ``maximumGroupSize`` at a time) and keeps going until the queue is
/// empty.
final class GroupCommit: Sendable {
    /// One queued transaction: three hand-overs between its caller and the leader.
    final class Job: Sendable {
        /// The caller's turn: the transaction to run its body in (its savepoint is open), or
        /// why the group failed before it.
        let turn = OneShot<Result<SQLTransaction, any Error>>()
        /// The body has ended: committed to its savepoint (true) or to be rolled back (false).
        let bodyFinished = OneShot<Bool>()
        /// The group's `COMMIT`: done, or why nothing of the group committed.
        let committed = OneShot<Result<Void, any Error>>()
    }

    private struct Queue {
        var jobs: [Job] = []
        var isLeading = false
    }

    static let maximumGroupSize = 64
    private let queue = NIOLockedValueBox(Queue())

    /// Queues `job`; returns true when the caller must start a leader (no group is running).
    func enqueue(_ job: Job) -> Bool {
        queue.withLockedValue { queue in
            queue.jobs.append(job)
            guard !queue.isLeading else { return false }
            queue.isLeading = true
            return true
        }
    }

    var queued: Int { queue.withLockedValue { $0.jobs.count } }

    /// The next group to run; empty when the queue is drained, which ends the lead.
    func nextGroup() -> [Job] {
        queue.withLockedValue { queue in
            guard !queue.jobs.isEmpty else {
                queue.isLeading = false
                return []
            }
            let group = Array(queue.jobs.prefix(Self.maximumGroupSize))
            queue.jobs.removeFirst(group.count)
            return group
        }
    }
}

/// A value handed over once, from one task to another that waits for it (or finds it there).
/// Waiting is not cancellable: a group's hand-overs must all happen, whoever is cancelled.
final class OneShot<Value: Sendable>: Sendable {
    private enum State {
        case empty
        case waiting(CheckedContinuation<Value, Never>)
        case fulfilled(Value)
    }

    private let state = NIOLockedValueBox(State.empty)

    func fulfill(_ value: Value) {
        let waiter = state.withLockedValue { state -> CheckedContinuation<Value, Never>? in
            switch state {
            case .empty:
                state = .fulfilled(value)
                return nil
            case .waiting(let continuation):
                state = .fulfilled(value)
                return continuation
            case .fulfilled:
                preconditionFailure("a OneShot is fulfilled once")
            }
        }
        waiter?.resume(returning: value)
    }

    var value: Value {
        get async {
            if case .fulfilled(let value) = state.withLockedValue({ $0 }) { return value }
            return await withCheckedContinuation { continuation in
                let ready = state.withLockedValue { state -> Value? in
                    switch state {
                    case .empty:
                        state = .waiting(continuation)
                        return nil
                    case .fulfilled(let value):
                        return value
                    case .waiting:
                        preconditionFailure("a OneShot has one waiter")
                    }
                }
                if let ready { continuation.resume(returning: ready) }
            }
        }
    }
}
