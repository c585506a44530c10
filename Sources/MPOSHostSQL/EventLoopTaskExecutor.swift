public import NIOCore

/// Runs a task's jobs on one event loop: for PostgreSQL the loop of the connection a
/// transaction holds, for SQLite the store's own thread (its calls block: never on Swift
/// concurrency's few cooperative threads).
///
/// On PostgreSQL a transaction is a dozen statements one after another. Run from Swift's thread pool, each
/// statement's reply arrives on the connection's event loop and is handed back to the pool:
/// two thread switches per statement, for a few microseconds of work in between. With the
/// transaction preferring this executor, the reply resumes it on the loop that read it.
/// What runs there between statements is the request's own processing: tens of microseconds
/// for a business request, a few hundred for a sign-on or enrollment (ECDSA, HPKE, key wraps),
/// during which that loop's other connections wait; nothing in it blocks.
public final class EventLoopTaskExecutor: TaskExecutor {
    public let eventLoop: any EventLoop

    public init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
