#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
public import Logging
import MPOSHost
public import MPOSHostSQL
import NIOConcurrencyHelpers
import NIOPosix

/// The embedded store: one SQLite file, one connection, one transaction at a time — committed
/// in groups.
///
/// A single connection cannot interleave transactions, so they run one after another: every
/// transaction is serializable within the process, and `BEGIN IMMEDIATE` with `busy_timeout`
/// covers another process opening the same file. Those waiting when the connection comes free
/// run together under one `COMMIT` (``GroupCommit``): a durable commit is the largest single
/// cost of a request, and a group pays it once.
///
/// SQLite's calls block (a statement waits up to `busy_timeout` for another process's lock, a
/// `COMMIT` for its `fsync`), so they run on a thread of the store's own: every task that
/// touches the connection — a transaction's body, the group's leader, opening and closing —
/// prefers the store's executor (``EventLoopTaskExecutor`` over a one-thread event loop), and
/// none of Swift concurrency's few cooperative threads ever waits in SQLite.
public final class SQLiteHostStore: SQLStore {
    let database: SQLiteDatabase
    private let statements = SQLStatements(.sqlite)
    private let logger: Logger
    /// The store's thread, where every SQLite call runs.
    private let thread: MultiThreadedEventLoopGroup
    let executor: EventLoopTaskExecutor
    /// Held by the group that is running (and by `close`, `rawScalar`).
    let lock = AsyncSerialLock()
    private let groupCommit = GroupCommit()
    private let groupsCommitted = NIOLockedValueBox(0)
    private let metrics = StoreMetrics(store: "sqlite")
    private let isClosed = NIOLockedValueBox(false)

    /// The store whose transaction the current task is inside: a nested `transaction` on the
    /// same store would wait for itself forever, so it fails instead.
    @TaskLocal private static var enclosingStore: ObjectIdentifier?

    /// The schema's steps this store applies at open.
    private let migrations: [Migration]

    private init(path: String?, migrations: [Migration] = Migrations.all, logger: Logger) throws {
        thread = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = thread.next()
        executor = EventLoopTaskExecutor(loop)
        do {
            database = try SQLiteDatabase(path: path, onStoreThread: { loop.inEventLoop })
        } catch {
            thread.shutdownGracefully { _ in }
            throw error
        }
        self.migrations = migrations
        self.logger = logger
    }

    deinit {
        thread.shutdownGracefully { _ in }
    }

    /// Runs `body` on the store's thread (see the type's comment).
    func onStoreThread<T: Sendable>(_ body: () async throws -> T) async rethrows -> T {
        try await withTaskExecutorPreference(executor) { try await body() }
    }

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    ///
    /// A new file is created readable and writable by its owner only (0600) before SQLite
    /// opens it; SQLite creates the `-wal` and `-shm` files with the database file's
    /// permissions, so they are owner-only too. Key blocks, verification values and digests
    /// live in this file: an existing file with wider permissions is logged as a warning.
    public static func open(path: String, logger: Logger = Logger(label: "mpos.store.sqlite")) async throws -> SQLiteHostStore {
        try createOwnerOnlyFile(path, logger: logger)
        let store = try SQLiteHostStore(path: path, logger: logger)
        try await store.onStoreThread { try await store.prepare(journalMode: "WAL") }
        return store
    }

    /// A private database that lives as long as the store: for tests.
    public static func openInMemory(logger: Logger = Logger(label: "mpos.store.sqlite")) async throws -> SQLiteHostStore {
        try await openInMemory(migrations: Migrations.all, logger: logger)
    }

    /// A private database made by `migrations` instead of the store's own: for the test that
    /// checks the DDL the schema's descriptions generate.
    package static func openInMemory(migrations: [Migration], logger: Logger = Logger(label: "mpos.store.sqlite")) async throws -> SQLiteHostStore {
        let store = try SQLiteHostStore(path: nil, migrations: migrations, logger: logger)
        try await store.onStoreThread { try await store.prepare(journalMode: nil) }
        return store
    }

    /// One transaction: queued; its body run in this task when the group's leader hands it
    /// its turn; the result given once the group's `COMMIT` has returned.
    public func sqlTransaction<T: Sendable>(_ body: @Sendable (SQLTransaction) async throws -> T) async throws -> T {
        if Self.enclosingStore == ObjectIdentifier(self) {
            throw StoreError(.failure, "transaction: nested transactions on one store are not supported")
        }
        return try await onStoreThread {
            let job = GroupCommit.Job()
            if groupCommit.enqueue(job) { Task(executorPreference: executor) { await self.lead() } }
            let transaction = try await job.turn.value.get()
            let outcome: Result<T, any Error>
            do {
                let value = try await Self.$enclosingStore.withValue(ObjectIdentifier(self)) { try await body(transaction) }
                try transaction.endBody()
                outcome = .success(value)
            } catch {
                transaction.end()
                outcome = .failure(error)
            }
            job.bodyFinished.fulfill((try? outcome.get()) != nil)
            try await job.committed.value.get()
            return try outcome.get()
        }
    }

    /// Runs the queued transactions, group after group, until none is left (``GroupCommit``).
    private func lead() async {
        await lock.lock()
        defer { lock.unlock() }
        while case let jobs = groupCommit.nextGroup(), !jobs.isEmpty {
            await run(jobs)
        }
    }

    /// One group: one `BEGIN IMMEDIATE`, each transaction in a savepoint (rolled back alone if
    /// its body fails), one `COMMIT`; callers learn the outcome only after the `COMMIT`.
    private func run(_ jobs: [GroupCommit.Job]) async {
        var started = 0
        do {
            guard !isClosed.withLockedValue({ $0 }) else { throw StoreError(.failure, "transaction: the store is closed") }
            try database.execute("BEGIN IMMEDIATE", table: "transaction")
            do {
                for job in jobs {
                    try database.execute("SAVEPOINT request", table: "transaction")
                    started += 1
                    job.turn.fulfill(.success(SQLTransaction(executor: SQLiteExecutor(database: database), statements: statements)))
                    if await !job.bodyFinished.value { try database.execute("ROLLBACK TO request", table: "transaction") }
                    try database.execute("RELEASE request", table: "transaction")
                }
                let commitStarted = StoreMetrics.now()
                try database.execute("COMMIT", table: "transaction")
                metrics.committed(startedAt: commitStarted, transactions: jobs.count)
                groupsCommitted.withLockedValue { $0 += 1 }
            } catch {
                // After some failures (a full disk, an I/O error) SQLite has already rolled back,
                // and this ROLLBACK fails harmlessly; the original error is the one that matters.
                try? database.execute("ROLLBACK", table: "transaction")
                throw error
            }
        } catch {
            // Nothing of the group committed: every transaction in it failed, those whose turn
            // had not come without running at all.
            for job in jobs.prefix(started) { job.committed.fulfill(.failure(error)) }
            for job in jobs.dropFirst(started) { job.turn.fulfill(.failure(error)) }
            return
        }
        for job in jobs { job.committed.fulfill(.success(())) }
    }

    /// Waits for the running transaction, then closes the connection; later transactions fail.
    /// (The store's thread stops when the store goes: a late call must still find it running.)
    public func close() async throws {
        await onStoreThread {
            await lock.withLock {
                guard !isClosed.withLockedValue({ $0 }) else { return }
                isClosed.withLockedValue { $0 = true }
                database.close()
            }
        }
    }

    /// The schema version this program brings a store to (its migrations' last).
    package static var schemaVersion: Int { Migrations.all.latestVersion }

    /// How many groups have committed (each one `COMMIT`, one `fsync`): for tests.
    package var committedGroups: Int { groupsCommitted.withLockedValue { $0 } }
    /// How many transactions wait for the running group to finish: for tests.
    package var queuedTransactions: Int { groupCommit.queued }

    /// Runs one statement outside any transaction and returns the first column of its first
    /// row as text: for tests that inspect PRAGMAs or tamper with the schema.
    package func rawScalar(_ sql: String) async throws -> String? {
        try await onStoreThread {
            try await lock.withLock {
                guard !isClosed.withLockedValue({ $0 }) else { throw StoreError(.failure, "database: the store is closed") }
                return try await scalar(sql, table: "database")
            }
        }
    }

    /// How many SQLite calls ran on another thread than the store's (a bug if ever above 0):
    /// for tests.
    package var callsOffStoreThread: Int { database.callsOffStoreThread }

    // MARK: - Opening

    private static func createOwnerOnlyFile(_ path: String, logger: Logger) throws {
        let descriptor = posixOpen(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        if descriptor >= 0 {
            _ = posixClose(descriptor)
            return
        }
        guard errno == EEXIST else {
            throw StoreError(.failure, "database: cannot create the database file (errno \(errno))")
        }
        var status = stat()
        if stat(path, &status) == 0, status.st_mode & 0o077 != 0 {
            logger.warning("The database file is readable or writable by others than its owner", metadata: ["path": "\(path)"])
        }
    }

    /// PRAGMAs first (`foreign_keys` cannot change inside a transaction), then migrations.
    /// On any failure the connection is closed before the error is thrown.
    private func prepare(journalMode: String?) async throws {
        do {
            if let journalMode {
                let mode = try await scalar("PRAGMA journal_mode = \(journalMode)", table: "database")
                guard mode?.lowercased() == journalMode.lowercased() else {
                    throw StoreError(.failure, "database: journal_mode \(journalMode) refused")
                }
            }
            // FULL: a commit is on disk when COMMIT returns, so an approved response survives a
            // power cut. secure_delete: erased key blocks are overwritten, not left in free pages.
            // busy_timeout: another process holding the file makes a transaction wait, not fail.
            // temp_store: the savepoint journal (a page's image before a grouped transaction's
            // first change to it) stays in memory; as a temporary file it cost ~11% of the
            // request threads' CPU under load (pwrite, open, unlink), and put page images in /tmp.
            // wal_autocheckpoint: the commit that takes the log past this many pages copies them
            // into the database file, and the requests queued behind it wait; every 4,000 pages
            // rather than SQLite's 1,000, that stall comes a quarter as often (BENCHMARKS.md: a
            // thread of its own checkpointing measured worse on two cores, competing for them).
            for pragma in ["synchronous = FULL", "foreign_keys = ON", "busy_timeout = 5000", "secure_delete = ON", "temp_store = MEMORY",
                           "wal_autocheckpoint = 4000"] {
                try await execute("PRAGMA \(pragma)", table: "database")
            }
            try await migrate()
        } catch {
            database.close()
            isClosed.withLockedValue { $0 = true }
            throw error
        }
    }

    private func migrate() async throws {
        try await execute(Migrations.createSchemaMigrationsTable, table: "schema_migrations")
        let current = try await schemaVersion()
        guard current <= migrations.latestVersion else {
            throw StoreError(.schema, "schema_migrations: the database is at version \(current), newer than this program's \(migrations.latestVersion)")
        }
        for migration in migrations.pending(after: current) {
            try await apply(migration)
        }
    }

    private func schemaVersion() async throws -> Int {
        let version = try await scalar("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", table: "schema_migrations")
        guard let version, let value = Int(version) else { throw StoreError(.schema, "schema_migrations: unreadable version") }
        return value
    }

    private func apply(_ migration: Migration) async throws {
        try await execute("BEGIN IMMEDIATE", table: "schema_migrations")
        do {
            // Another process may have applied it between our read and our BEGIN.
            if try await schemaVersion() < migration.version {
                for statement in migration.statements {
                    try await execute(statement, table: "schema_migrations")
                }
                _ = try database.rows("INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)",
                                      [.int(migration.version), .date(Date())], table: "schema_migrations")
                logger.info("Applied store migration", metadata: ["version": "\(migration.version)"])
            }
            try await execute("COMMIT", table: "schema_migrations")
        } catch {
            try? await execute("ROLLBACK", table: "schema_migrations")
            throw error
        }
    }

    // MARK: - Queries outside a HostTransaction

    private func execute(_ sql: String, table: String) async throws {
        try database.execute(sql, table: table)
    }

    private func scalar(_ sql: String, table: String) async throws -> String? {
        try database.scalar(sql, table: table)?.scalarText
    }
}

/// Statements of a ``SQLTransaction`` on the store's one connection, run on the calling
/// thread (the group's leader holds the connection).
private struct SQLiteExecutor: SQLExecutor {
    let database: SQLiteDatabase

    func rows(_ sql: String, _ binds: [StoredValue], table: String) async throws -> [RowReader] {
        try database.rows(sql, binds, table: table)
    }
}

// `open` and `close` are shadowed by the store's own methods inside the type.
private func posixOpen(_ path: String, _ flags: Int32, _ mode: mode_t) -> Int32 { open(path, flags, mode) }
private func posixClose(_ descriptor: Int32) -> Int32 { close(descriptor) }
