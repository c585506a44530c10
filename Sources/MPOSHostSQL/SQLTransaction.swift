import Foundation
public import MPOSHost
import NIOConcurrencyHelpers

/// Runs one statement on the connection a transaction holds. Each backend maps its driver's
/// errors to ``StoreError`` here.
public protocol SQLExecutor: Sendable {
    func rows(_ sql: String, _ binds: [StoredValue], table: String) async throws -> [RowReader]
}

/// The operations of one transaction, written once for every SQL backend: the statements are
/// the same but for what a dialect says its own way — placeholders and, on PostgreSQL, the
/// row locks that make a read-then-write safe when several nodes share the database (see
/// ``SQLDialect``). One file per role it plays (`SQLTransaction+Keys.swift`, …).
///
/// It is only valid while its transaction runs: the store ends it before `COMMIT` or
/// `ROLLBACK`, after which every call fails, so a reference that escaped the body cannot write
/// into a later transaction.
public final class SQLTransaction: Sendable {
    private let executor: any SQLExecutor
    let statements: SQLStatements
    private let state = NIOLockedValueBox(State())

    private struct State {
        var isOpen = true
        /// A statement failed. The store must then not commit, even if the body caught the
        /// error and returned: PostgreSQL has already aborted the transaction (its COMMIT
        /// would silently roll back), and SQLite is held to the same rule.
        var failed = false
    }

    public init(executor: any SQLExecutor, statements: SQLStatements) {
        self.executor = executor
        self.statements = statements
    }

    /// Every later call fails (the store is about to roll back).
    public func end() {
        state.withLockedValue { $0.isOpen = false }
    }

    /// Ends the transaction's body before the store commits: throws if a statement in it failed.
    public func endBody() throws {
        let failed = state.withLockedValue { state in
            state.isOpen = false
            return state.failed
        }
        if failed { throw StoreError(.failure, "transaction: a statement failed inside it, so nothing was committed") }
    }

    var dialect: SQLDialect { statements.dialect }
    func p(_ number: Int) -> String { dialect.placeholder(number) }

    // MARK: - Plumbing

    func query(_ sql: String, _ binds: [StoredValue] = [], table: String) async throws -> [RowReader] {
        guard state.withLockedValue({ $0.isOpen }) else { throw StoreError(.failure, "\(table): the transaction has ended") }
        try Task.checkCancellation()
        do {
            return try await executor.rows(sql, binds, table: table)
        } catch {
            state.withLockedValue { $0.failed = true }
            throw error
        }
    }

    func fetch<R>(_ mapping: TableMapping<R>, _ clause: String = "", _ binds: [StoredValue] = []) async throws -> [R] {
        try await query("\(mapping.select) \(clause)", binds, table: mapping.table).map(mapping.decode)
    }

    /// One row, locked until the transaction ends when `lock` is set and the dialect has row
    /// locks: the host reads these rows (terminal, operator, card) to change their counters
    /// and states, and another node must wait rather than read the same old values.
    func fetchOne<R>(_ mapping: TableMapping<R>, _ clause: String, _ binds: [StoredValue], lock: Bool = false) async throws -> R? {
        try await fetch(mapping, "\(clause) LIMIT 1\(lock ? dialect.rowLock : "")", binds).first
    }

    func insert<R>(_ record: R, into mapping: TableMapping<R>) async throws {
        _ = try await query(statements.insert(mapping), mapping.encode(record), table: mapping.table)
    }

    func update<R>(_ record: R, in mapping: TableMapping<R>) async throws {
        guard try await !query(statements.update(mapping), mapping.encode(record), table: mapping.table).isEmpty else {
            throw StoreError(.notFound, "\(mapping.table): no row with this key")
        }
    }

    /// One page of `mapping`'s rows matching every condition (SQL with `?` for its one value),
    /// and the count of all that match: two statements, however large the table.
    func page<R>(_ mapping: TableMapping<R>, where conditions: [(sql: String, value: StoredValue)], order: String, offset: Int,
                 limit: Int) async throws -> RecordPage<R> {
        var clauses: [String] = [], binds: [StoredValue] = []
        for condition in conditions {
            binds.append(condition.value)
            clauses.append(condition.sql.replacingOccurrences(of: "?", with: p(binds.count)))
        }
        let whereClause = clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ")
        let counted = try await query("SELECT COUNT(*) AS count FROM \(mapping.table) \(whereClause)", binds, table: mapping.table)
        let total = try counted.first?.int("count") ?? 0
        guard limit > 0, offset >= 0, offset < total else { return RecordPage(rows: [], total: total) }
        let rows = try await fetch(mapping, "\(whereClause) ORDER BY \(order) LIMIT \(p(binds.count + 1)) OFFSET \(p(binds.count + 2))",
                                   binds + [.int(limit), .int(offset)])
        return RecordPage(rows: rows, total: total)
    }

    /// `text` for a LIKE pattern that matches it literally anywhere: `%text%`, with `\`, `%`
    /// and `_` escaped (the condition says `ESCAPE '\'`).
    func containing(_ text: String) -> StoredValue {
        .text("%" + text.lowercased().replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_") + "%")
    }

    /// A non-positive limit returns nothing (SQLite would read a negative LIMIT as "no limit").
    func limitBind(_ limit: Int) -> StoredValue? {
        limit > 0 ? .int(limit) : nil
    }
}

extension SQLTransaction: HostTransaction {}
