import Foundation
public import Logging
import MPOSHost
public import MPOSHostSQL
import NIOConcurrencyHelpers
import NIOSSL
import PostgresNIO

/// The store for several host nodes on one PostgreSQL database: each node a pool of
/// connections, each transaction one connection from `BEGIN` to `COMMIT`.
///
/// Transactions run side by side at READ COMMITTED; what the host reads in order to change
/// (a terminal, an operator, a card, an outbox entry, the audit chain's head) is locked until
/// the transaction ends (``SQLTransaction``), and a transaction that loses a race fails with
/// ``StoreError/Code/duplicate`` or ``StoreError/Code/conflict`` for
/// ``HostStore/retryingTransaction(attempts:_:)`` to run again. A commit is durable when
/// PostgreSQL's `synchronous_commit` is on (its default; a warning is logged otherwise).
public final class PostgresHostStore: SQLStore {
    private let client: PostgresClient
    private let runner: Task<Void, Never>
    private let logger: Logger
    private let isClosed = NIOLockedValueBox(false)
    public let configuration: PostgresStoreConfiguration
    /// The schema's steps this store applies at open.
    private let migrations: [Migration]

    /// The store whose transaction the current task is inside: a nested `transaction` would
    /// take a second connection and could wait on the first one's locks forever.
    @TaskLocal private static var enclosingStore: ObjectIdentifier?

    private init(client: PostgresClient, runner: Task<Void, Never>, configuration: PostgresStoreConfiguration, migrations: [Migration], logger: Logger) {
        self.client = client
        self.runner = runner
        self.configuration = configuration
        self.migrations = migrations
        self.logger = logger
    }

    /// Connects and brings the schema up to date (creating `configuration.schema` if it is
    /// missing). Fails if the database is unreachable.
    public static func open(_ configuration: PostgresStoreConfiguration, applicationName: String = "mpos-host",
                            logger: Logger = Logger(label: "mpos.store.postgres")) async throws -> PostgresHostStore {
        try await open(configuration, migrations: PostgresMigrations.all, applicationName: applicationName, logger: logger)
    }

    /// A store whose schema `migrations` make instead of its own: for the test that checks the
    /// DDL the schema's descriptions generate.
    package static func open(_ configuration: PostgresStoreConfiguration, migrations: [Migration], applicationName: String = "mpos-host",
                             logger: Logger = Logger(label: "mpos.store.postgres")) async throws -> PostgresHostStore {
        // postgres-nio's trace messages quote the rows it receives and the actions it runs
        // (bound values among them): this logger never goes below debug.
        var logger = logger
        if logger.logLevel < .debug { logger.logLevel = .debug }
        var settings: PostgresClient.Configuration
        if let directory = configuration.socketDirectory {
            settings = PostgresClient.Configuration(
                unixSocketPath: "\(directory)/.s.PGSQL.\(configuration.port)", username: configuration.username,
                password: configuration.password, database: configuration.database)
        } else {
            let tls: PostgresClient.Configuration.TLS = switch configuration.tls {
            case .disable: .disable
            case .require: .require(.makeClientConfiguration())
            }
            settings = PostgresClient.Configuration(
                host: configuration.host, port: configuration.port, username: configuration.username,
                password: configuration.password, database: configuration.database, tls: tls)
        }
        settings.options.maximumConnections = configuration.maximumConnections
        settings.options.additionalStartupParameters = [("application_name", applicationName)]
            + (configuration.schema.map { [("search_path", $0)] } ?? [])
        let client = PostgresClient(configuration: settings, backgroundLogger: logger)
        // The pool works once `run()` has begun (a lease before it logs a warning): wait
        // until the runner is about to call it.
        let (started, starting) = AsyncStream<Void>.makeStream()
        let runner = Task {
            starting.finish()
            await client.run()
        }
        for await _ in started {}
        let store = PostgresHostStore(client: client, runner: runner, configuration: configuration, migrations: migrations, logger: logger)
        do {
            try await store.migrate()
            try await store.checkDurability()
        } catch {
            try? await store.close()
            throw error
        }
        return store
    }

    private static let statements = SQLStatements(.postgres)
    private static let metrics = StoreMetrics(store: "postgres")

    /// The schema version this program brings a store to (its migrations' last).
    package static var schemaVersion: Int { PostgresMigrations.all.latestVersion }

    public func sqlTransaction<T: Sendable>(_ body: @Sendable (SQLTransaction) async throws -> T) async throws -> T {
        if Self.enclosingStore == ObjectIdentifier(self) {
            throw StoreError(.failure, "transaction: nested transactions on one store are not supported")
        }
        return try await withConnection(table: "transaction") { executor in
            try await executor.execute("BEGIN ISOLATION LEVEL READ COMMITTED", table: "transaction")
            let transaction = SQLTransaction(executor: executor, statements: Self.statements)
            do {
                let value = try await Self.$enclosingStore.withValue(ObjectIdentifier(self)) { try await body(transaction) }
                try transaction.endBody()
                let commitStarted = StoreMetrics.now()
                try await executor.execute("COMMIT", table: "transaction")
                Self.metrics.committed(startedAt: commitStarted, transactions: 1)
                return value
            } catch {
                transaction.end()
                try await executor.rollBack()
                throw error
            }
        }
    }

    /// Stops the pool: running transactions end first, later ones fail.
    public func close() async throws {
        guard !isClosed.withLockedValue({ closed in defer { closed = true }; return closed }) else { return }
        runner.cancel()
        await runner.value
    }

    /// Runs one statement outside any transaction and returns the first column of its first
    /// row as text: for tests that inspect or tamper with the database, and drop their schema.
    package func rawScalar(_ sql: String) async throws -> String? {
        try await withConnection(table: "database") { executor in
            try await executor.firstValue(sql, table: "database")?.scalarText
        }
    }

    /// The store's tables as PostgreSQL's catalogs report them (in the store's schema, but
    /// for `schema_migrations`): for the test that compares them with the schema's descriptions.
    package func liveSchema() async throws -> [LiveTable] {
        try await withConnection(table: "schema") { executor in
            let tables = try await executor.rows(
                """
                SELECT table_name FROM information_schema.tables
                WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations' ORDER BY table_name
                """, [], table: "schema").map { try $0.text("table_name") }
            var live: [LiveTable] = []
            for table in tables {
                let columns = try await executor.rows(
                    """
                    SELECT column_name, data_type, is_nullable FROM information_schema.columns
                    WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position
                    """, [.text(table)], table: table).map {
                    LiveTable.LiveColumn(name: try $0.text("column_name"), type: try $0.text("data_type"), nullable: try $0.text("is_nullable") == "YES")
                }
                let indexes = try await executor.rows(
                    """
                    SELECT c.relname AS name, i.indisprimary AS is_key, i.indisunique AS is_unique,
                           EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype = 'u') AS is_constraint,
                           array_to_string(ARRAY(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, position)
                                                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                                                 ORDER BY k.position), ',') AS columns
                    FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                    WHERE i.indrelid = to_regclass($1)
                    """, [.text(table)], table: table)
                var key: [String] = [], found: Set<LiveTable.LiveIndex> = []
                for index in indexes {
                    let columns = try index.text("columns").split(separator: ",").map(String.init)
                    if try index.bool("is_key") { key = columns; continue }
                    found.insert(LiveTable.LiveIndex(name: try index.bool("is_constraint") ? nil : try index.text("name"), columns: columns,
                                                     unique: try index.bool("is_unique")))
                }
                live.append(LiveTable(name: table, columns: columns, primaryKey: key, indexes: found))
            }
            return live
        }
    }

    // MARK: - Connections

    /// How long a transaction waits for a connection: the pool's (all busy) or a new one's
    /// (the server unreachable). Then it fails, and the terminal gets `96` at once rather than
    /// after its own timeout; a request waiting that long finds the host overloaded anyway.
    public static let connectionWaitLimit: Duration = .seconds(5)

    private func withConnection<T: Sendable>(table: String, _ body: @Sendable (PostgresExecutor) async throws -> T) async throws -> T {
        guard !isClosed.withLockedValue({ $0 }) else { throw StoreError(.failure, "\(table): the store is closed") }
        let (client, logger) = (self.client, self.logger)
        // Only the wait for a connection is limited: once it is leased, the watchdog stands
        // down and the transaction runs to its end (a cancelled body would leave it half done).
        let leased = NIOLockedValueBox(false)
        do {
            return try await withoutActuallyEscaping(body) { body in
                try await withThrowingTaskGroup(of: T?.self) { group in
                    group.addTask {
                        try await client.withConnection { connection in
                            leased.withLockedValue { $0 = true }
                            let executor = PostgresExecutor(connection: connection, logger: logger)
                            guard #available(macOS 15.0, iOS 18.0, *) else { return try await body(executor) }
                            return try await withTaskExecutorPreference(EventLoopTaskExecutor(connection.eventLoop)) { try await body(executor) }
                        }
                    }
                    group.addTask {
                        try await Task.sleep(for: Self.connectionWaitLimit)
                        guard leased.withLockedValue({ $0 }) else {
                            throw StoreError(.failure, "\(table): no database connection within \(Self.connectionWaitLimit) (the database is unreachable or every connection is busy)")
                        }
                        return nil
                    }
                    defer { group.cancelAll() }
                    while let result = try await group.next() {
                        if let value = result { return value }
                    }
                    throw CancellationError()
                }
            }
        } catch let error as PSQLError {
            // Failing to get a connection at all (the server is down, the pool is closed).
            throw StoreError.mapping(error, table: table)
        }
    }

    // MARK: - Opening

    /// All pending migrations in one transaction, under an advisory lock so that nodes
    /// starting at the same moment apply each once.
    private func migrate() async throws {
        try await withConnection(table: "schema_migrations") { executor in
            try await executor.execute("BEGIN", table: "schema_migrations")
            do {
                try await executor.execute("SELECT pg_advisory_xact_lock(1836085107, 0)", table: "schema_migrations")
                if let schema = configuration.schema {
                    try await executor.execute("CREATE SCHEMA IF NOT EXISTS \(schema)", table: "schema_migrations")
                }
                try await executor.execute(PostgresMigrations.createSchemaMigrationsTable, table: "schema_migrations")
                let rows = try await executor.rows("SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations", [], table: "schema_migrations")
                guard let current = try rows.first?.int("version") else { throw StoreError(.schema, "schema_migrations: unreadable version") }
                guard current <= migrations.latestVersion else {
                    throw StoreError(.schema, "schema_migrations: the database is at version \(current), newer than this program's \(migrations.latestVersion)")
                }
                for migration in migrations.pending(after: current) {
                    for statement in migration.statements {
                        try await executor.execute(statement, table: "schema_migrations")
                    }
                    _ = try await executor.rows("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
                                                [.int(migration.version), .date(Date())], table: "schema_migrations")
                    logger.info("Applied store migration", metadata: ["version": "\(migration.version)"])
                }
                try await executor.execute("COMMIT", table: "schema_migrations")
            } catch {
                try await executor.rollBack()
                throw error
            }
        }
    }

    /// The host answers a terminal once its transaction commits: with `fsync` or
    /// `synchronous_commit` off, an approved operation could vanish in a crash of the server.
    private func checkDurability() async throws {
        for setting in ["fsync", "synchronous_commit"] {
            let value = try await rawScalar("SHOW \(setting)")
            if value != "on" && !(setting == "synchronous_commit" && ["remote_write", "remote_apply"].contains(value ?? "")) {
                logger.warning("PostgreSQL's \(setting) is \(value ?? "unknown"): a commit may be lost in a crash of the database server")
            }
        }
    }
}

/// Statements of one transaction, on the connection it holds.
private struct PostgresExecutor: SQLExecutor {
    let connection: PostgresConnection
    let logger: Logger
    init(connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    func rows(_ sql: String, _ binds: [StoredValue], table: String) async throws -> [RowReader] {
        do {
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds.postgresBindings), logger: logger).collect()
            return rows.map { RowReader(row: $0, table: table) }
        } catch {
            throw StoreError.mapping(error, table: table)
        }
    }

    /// The first column of the first row, if any.
    func firstValue(_ sql: String, table: String) async throws -> StoredValue? {
        do {
            return try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).collect().first?.first?.storedValue
        } catch {
            throw StoreError.mapping(error, table: table)
        }
    }

    func execute(_ sql: String, table: String) async throws {
        _ = try await rows(sql, [], table: table)
    }

    /// Ends the transaction; if even that fails, the connection is closed so that the pool
    /// cannot hand it out again in the middle of a transaction.
    func rollBack() async throws {
        do {
            _ = try await connection.query(PostgresQuery(unsafeSQL: "ROLLBACK"), logger: logger).collect()
        } catch {
            try? await connection.close()
        }
    }
}
