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
/// The first caller to find no group running leads: it takes the connection, runs what is
/// queued (at most ``maximumGroupSize`` at a time) and keeps going until the queue is empty.
final class GroupCommit: Sendable {
    /// A queued transaction: its body (until run), and how to tell its caller the outcome.
    final class Job: @unchecked Sendable {
        private let lock = NIOLock()
        private var body: (@Sendable (SQLTransaction) async throws -> any Sendable)?
        private let continuation: CheckedContinuation<any Sendable, any Error>

        init(body: @escaping @Sendable (SQLTransaction) async throws -> any Sendable, continuation: CheckedContinuation<any Sendable, any Error>) {
            self.body = body
            self.continuation = continuation
        }

        /// The body, handed out once: the job keeps no reference to it afterwards (the caller
        /// lent it for the duration of its wait only).
        func takeBody() -> (@Sendable (SQLTransaction) async throws -> any Sendable)? {
            lock.withLock {
                defer { body = nil }
                return body
            }
        }

        func finish(_ outcome: Result<any Sendable, any Error>) {
            _ = takeBody()
            continuation.resume(with: outcome)
        }
    }

    private struct Queue {
        var jobs: [Job] = []
        var isLeading = false
    }

    static let maximumGroupSize = 64
    private let queue = NIOLockedValueBox(Queue())

    /// Queues `job`; returns true when the caller must lead (no group is running).
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
