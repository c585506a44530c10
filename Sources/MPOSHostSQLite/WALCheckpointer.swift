import CSQLite3
import Foundation
import MPOSHost

/// Copies committed pages from the write-ahead log into the database file on a thread and a
/// connection of its own, so that the store's one writer does not.
///
/// SQLite's default runs that copy (and its two `fsync`s) inside the `COMMIT` that takes the
/// log past 1,000 pages: under load the group holding the store stalls for it, and every
/// request waiting behind that group with it. Here the writer's commit only signals this
/// thread (``walHook``), which runs passive checkpoints — they never block the writer or a
/// reader — while the log is over ``signalFrames`` pages.
///
/// The log starts again from its beginning only once a checkpoint has copied all of it, and
/// under steady load the writer has always committed more by the time this thread's pass ends.
/// So at ``writerFrames`` pages the writer checkpoints itself, as SQLite would by default — but
/// by then this thread has copied all but the pages of its last pass or so: the writer copies
/// those few, and the log restarts.
final class WALCheckpointer: @unchecked Sendable {
    static let signalFrames: Int32 = 1_000
    static let writerFrames: Int32 = 4_000

    private let database: SQLiteDatabase
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var isRequested = false
    private var isStopping = false
    private var hasStopped = false
    private var completed = 0

    /// Opens the checkpointing connection to the database at `path` and starts its thread.
    init(path: String) throws {
        database = try SQLiteDatabase(path: path)
        // The checkpoint syncs the log before copying and the database file after (FULL).
        try database.execute("PRAGMA synchronous = FULL", table: "database")
        let thread = Thread { [self] in run() }
        thread.name = "mpos-sqlite-checkpoint"
        thread.start()
    }

    /// Asks for a checkpoint soon (called from the writer's commit).
    func request() {
        condition.withLock {
            isRequested = true
            condition.signal()
        }
    }

    /// Passive checkpoints completed so far: for tests.
    var completedCheckpoints: Int { condition.withLock { completed } }

    /// Stops the thread (after the checkpoint it may be running) and closes its connection.
    func stop() {
        condition.withLock {
            isStopping = true
            condition.broadcast()
            while !hasStopped { condition.wait() }
        }
    }

    private func run() {
        while true {
            let shouldStop: Bool = condition.withLock {
                while !isRequested && !isStopping { condition.wait() }
                isRequested = false
                return isStopping
            }
            if shouldStop { break }
            // A failure (a reader holding an old snapshot, the disk) leaves the pages in the
            // log, where they are safe; the next request tries again.
            if (try? database.checkpointPassive()) != nil {
                condition.withLock { completed += 1 }
            }
        }
        database.close()
        condition.withLock {
            hasStopped = true
            condition.broadcast()
        }
    }

    /// The writer connection's `sqlite3_wal_hook`: called after each commit with the log's size
    /// in pages; `context` is the checkpointer (kept alive by the store while the writer is open).
    static let walHook: @convention(c) (UnsafeMutableRawPointer?, OpaquePointer?, UnsafePointer<CChar>?, Int32) -> Int32 = { context, connection, name, frames in
        guard let context else { return SQLITE_OK }
        if frames >= writerFrames {
            sqlite3_wal_checkpoint_v2(connection, name, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
        } else if frames >= signalFrames {
            Unmanaged<WALCheckpointer>.fromOpaque(context).takeUnretainedValue().request()
        }
        return SQLITE_OK
    }
}
