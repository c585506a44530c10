public import Foundation
public import MPOSHost
import NIOConcurrencyHelpers

/// Runs one statement on the connection a transaction holds. Each backend maps its driver's
/// errors to ``StoreError`` here.
public protocol SQLExecutor: Sendable {
    var dialect: SQLDialect { get }
    func rows(_ sql: String, _ binds: [StoredValue], table: String) async throws -> [RowReader]
}

/// The operations of one transaction, written once for both SQL backends: the statements are
/// the same but for placeholders and, on PostgreSQL, the row locks that make a read-then-write
/// safe when several nodes share the database (see ``SQLDialect``).
///
/// It is only valid while its transaction runs: the store ends it before `COMMIT` or
/// `ROLLBACK`, after which every call fails, so a reference that escaped the body cannot write
/// into a later transaction.
public final class SQLTransaction: HostTransaction {
    private let executor: any SQLExecutor
    private let state = NIOLockedValueBox(State())

    private struct State {
        var isOpen = true
        /// A statement failed. The store must then not commit, even if the body caught the
        /// error and returned: PostgreSQL has already aborted the transaction (its COMMIT
        /// would silently roll back), and SQLite is held to the same rule.
        var failed = false
    }

    public init(executor: any SQLExecutor) {
        self.executor = executor
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

    private var dialect: SQLDialect { executor.dialect }
    private func p(_ number: Int) -> String { dialect.placeholder(number) }

    // MARK: - Plumbing

    private func query(_ sql: String, _ binds: [StoredValue] = [], table: String) async throws -> [RowReader] {
        guard state.withLockedValue({ $0.isOpen }) else { throw StoreError(.failure, "\(table): the transaction has ended") }
        try Task.checkCancellation()
        do {
            return try await executor.rows(sql, binds, table: table)
        } catch {
            state.withLockedValue { $0.failed = true }
            throw error
        }
    }

    private func fetch<R>(_ mapping: TableMapping<R>, _ clause: String = "", _ binds: [StoredValue] = []) async throws -> [R] {
        try await query("\(mapping.select) \(clause)", binds, table: mapping.table).map(mapping.decode)
    }

    /// One row, locked until the transaction ends when `lock` is set and the dialect has row
    /// locks: the host reads these rows (terminal, operator, card) to change their counters
    /// and states, and another node must wait rather than read the same old values.
    private func fetchOne<R>(_ mapping: TableMapping<R>, _ clause: String, _ binds: [StoredValue], lock: Bool = false) async throws -> R? {
        try await fetch(mapping, "\(clause) LIMIT 1\(lock ? dialect.rowLock : "")", binds).first
    }

    private func insert<R>(_ record: R, into mapping: TableMapping<R>) async throws {
        _ = try await query(mapping.insert(dialect), mapping.encode(record), table: mapping.table)
    }

    private func update<R>(_ record: R, in mapping: TableMapping<R>) async throws {
        guard try await !query(mapping.update(dialect), mapping.encode(record), table: mapping.table).isEmpty else {
            throw StoreError(.notFound, "\(mapping.table): no row with this key")
        }
    }

    /// A non-positive limit returns nothing (SQLite would read a negative LIMIT as "no limit").
    private func limitBind(_ limit: Int) -> StoredValue? {
        limit > 0 ? .int(limit) : nil
    }

    // MARK: - Keys

    public func hostKey(_ role: HostKeyRole) async throws -> StoredHostKey? {
        try await fetchOne(Tables.hostKeys, "WHERE role = \(p(1))", [.enumValue(role)])
    }

    public func hostKeys() async throws -> [StoredHostKey] {
        try await fetch(Tables.hostKeys, "ORDER BY role")
    }

    public func insertHostKey(_ key: StoredHostKey) async throws {
        try await insert(key, into: Tables.hostKeys)
    }

    public func baseMasterKeys() async throws -> [BaseMasterKeyRecord] {
        try await fetch(Tables.baseMasterKeys, "ORDER BY version")
    }

    public func insertBaseMasterKey(_ record: BaseMasterKeyRecord) async throws {
        try await insert(record, into: Tables.baseMasterKeys)
    }

    public func updateBaseMasterKey(_ record: BaseMasterKeyRecord) async throws {
        try await update(record, in: Tables.baseMasterKeys)
    }

    // MARK: - Operators

    public func operatorRecord(number: String) async throws -> OperatorRecord? {
        try await fetchOne(Tables.operators, "WHERE number = \(p(1))", [.text(number)], lock: true)
    }

    public func operators() async throws -> [OperatorRecord] {
        try await fetch(Tables.operators, "ORDER BY number")
    }

    public func insertOperator(_ record: OperatorRecord) async throws {
        try await insert(record, into: Tables.operators)
    }

    public func updateOperator(_ record: OperatorRecord) async throws {
        try await update(record, in: Tables.operators)
    }

    // MARK: - Terminals and sessions

    public func terminal(id: String) async throws -> TerminalRecord? {
        try await fetchOne(Tables.terminals, "WHERE id = \(p(1))", [.text(id)], lock: true)
    }

    public func terminals() async throws -> [TerminalRecord] {
        try await fetch(Tables.terminals, "ORDER BY id")
    }

    public func insertTerminal(_ record: TerminalRecord) async throws {
        try await insert(record, into: Tables.terminals)
    }

    public func updateTerminal(_ record: TerminalRecord) async throws {
        try await update(record, in: Tables.terminals)
    }

    public func terminalCount(masterKeyVersion: Int) async throws -> Int {
        let rows = try await query("SELECT COUNT(*) AS count FROM terminals WHERE master_key_version = \(p(1))", [.int(masterKeyVersion)],
                                   table: "terminals")
        guard let row = rows.first else { return 0 }
        return try row.int("count")
    }

    public func session(number: Int64) async throws -> SessionRecord? {
        try await fetchOne(Tables.sessions, "WHERE number = \(p(1))", [.int(number)])
    }

    public func insertSession(_ record: SessionRecord) async throws {
        try await insert(record, into: Tables.sessions)
    }

    public func updateSession(_ record: SessionRecord) async throws {
        try await update(record, in: Tables.sessions)
    }

    public func nextSequenceValue(_ name: String) async throws -> Int64 {
        if let statement = dialect.nativeSequence(name) {
            guard let row = try await query(statement, table: "sequences").first else { throw StoreError(.failure, "sequences: no value returned") }
            return try row.int64("value")
        }
        let rows = try await query(
            """
            INSERT INTO sequences (name, value) VALUES (\(p(1)), 1)
            ON CONFLICT (name) DO UPDATE SET value = sequences.value + 1
            RETURNING value
            """, [.text(name)], table: "sequences")
        guard let row = rows.first else { throw StoreError(.failure, "sequences: no value returned") }
        return try row.int64("value")
    }

    // MARK: - Message log

    public func messageLogEntry(terminalID: String, stan: String) async throws -> MessageLogEntry? {
        try await fetchOne(Tables.messageLog, "WHERE terminal_id = \(p(1)) AND stan = \(p(2))", [.text(terminalID), .text(stan)])
    }

    /// A replaced entry takes the newest place in the terminal's order, as if inserted now.
    public func putMessageLogEntry(_ entry: MessageLogEntry) async throws {
        let mapping = Tables.messageLog
        _ = try await query(
            """
            INSERT INTO message_log (\(mapping.columnList), entry_order)
            VALUES (\(dialect.placeholders(1...6)), (SELECT COALESCE(MAX(entry_order), 0) + 1 FROM message_log WHERE terminal_id = \(p(1))))
            ON CONFLICT (terminal_id, stan) DO UPDATE SET
                session = excluded.session, request_digest = excluded.request_digest, response = excluded.response,
                created_at = excluded.created_at, entry_order = excluded.entry_order
            """, mapping.encode(entry), table: mapping.table)
    }

    public func pruneMessageLog(terminalID: String, keep: Int) async throws {
        guard keep >= 0 else { throw StoreError(.failure, "message_log: keep must not be negative") }
        // Everything at or below the (keep+1)-th newest position goes; fewer rows, nothing does.
        _ = try await query(
            """
            DELETE FROM message_log WHERE terminal_id = \(p(1)) AND entry_order <= (
                SELECT entry_order FROM message_log WHERE terminal_id = \(p(1)) ORDER BY entry_order DESC LIMIT 1 OFFSET \(p(2)))
            """, [.text(terminalID), .int(keep)], table: "message_log")
    }

    // MARK: - Cards

    public func card(lookupDigest: [UInt8]) async throws -> CardRecord? {
        try await fetchOne(Tables.cards, "WHERE lookup_digest = \(p(1))", [.bytes(lookupDigest)], lock: true)
    }

    public func card(id: Int64) async throws -> CardRecord? {
        try await fetchOne(Tables.cards, "WHERE id = \(p(1))", [.int(id)], lock: true)
    }

    public func cards() async throws -> [CardRecord] {
        try await fetch(Tables.cards, "ORDER BY id")
    }

    /// The caller chooses the id (e.g. from ``nextSequenceValue(_:)``): the protocol returns none.
    public func insertCard(_ record: CardRecord) async throws {
        try await insert(record, into: Tables.cards)
    }

    public func updateCard(_ record: CardRecord) async throws {
        try await update(record, in: Tables.cards)
    }

    // MARK: - Contracts, outbox, ledger

    public func contract(reference: String) async throws -> ContractRecord? {
        try await fetchOne(Tables.contracts, "WHERE reference = \(p(1))", [.text(reference)])
    }

    public func contract(digest: [UInt8]) async throws -> ContractRecord? {
        try await fetchOne(Tables.contracts, "WHERE contract_digest = \(p(1))", [.bytes(digest)])
    }

    /// The newest first (by signing time, then reference).
    public func contracts(limit: Int) async throws -> [ContractRecord] {
        guard let limit = limitBind(limit) else { return [] }
        return try await fetch(Tables.contracts, "ORDER BY signed_at DESC, reference DESC LIMIT \(p(1))", [limit])
    }

    public func insertContract(_ record: ContractRecord) async throws {
        try await insert(record, into: Tables.contracts)
    }

    /// `entry.id` is ignored: the database assigns a fresh one.
    public func insertOutboxEntry(_ entry: OutboxEntry) async throws -> Int64 {
        let mapping = Tables.outbox
        let columns = mapping.columns.dropFirst().joined(separator: ", ")
        let rows = try await query(
            "INSERT INTO outbox (\(columns)) VALUES (\(dialect.placeholders(1...mapping.columns.count - 1))) RETURNING id",
            Array(mapping.encode(entry).dropFirst()), table: mapping.table)
        guard let row = rows.first else { throw StoreError(.failure, "outbox: no id returned") }
        return try row.int64("id")
    }

    public func outboxEntry(id: Int64) async throws -> OutboxEntry? {
        try await fetchOne(Tables.outbox, "WHERE id = \(p(1))", [.int(id)], lock: true)
    }

    /// Oldest first.
    public func outboxEntries(states: Set<OutboxEntry.State>, limit: Int) async throws -> [OutboxEntry] {
        guard let limitValue = limitBind(limit), !states.isEmpty else { return [] }
        let binds = states.map(\.rawValue).sorted().map(StoredValue.text) + [limitValue]
        return try await fetch(
            Tables.outbox, "WHERE state IN (\(dialect.placeholders(1...states.count))) ORDER BY id LIMIT \(p(states.count + 1))", binds)
    }

    /// A lease whose expiry equals `now` has expired. On SQLite only one connection writes;
    /// on PostgreSQL the sub-select skips rows another node is claiming at this moment, and
    /// re-checks a row claimed and committed since it began (so each entry has one owner).
    public func claimDueOutboxEntries(now: Date, owner: String, leaseUntil: Date, limit: Int) async throws -> [OutboxEntry] {
        guard let limit = limitBind(limit) else { return [] }
        let rows = try await query(
            """
            UPDATE outbox SET lease_owner = \(p(1)), lease_expires_at = \(p(2))
            WHERE id IN (
                SELECT id FROM outbox
                WHERE state = 'pending' AND next_attempt_at <= \(p(3)) AND (lease_expires_at IS NULL OR lease_expires_at <= \(p(3)))
                ORDER BY next_attempt_at, id LIMIT \(p(4))\(dialect.skipLockedRows))
            RETURNING \(Tables.outbox.columnList)
            """, [.text(owner), .date(leaseUntil), .date(now), limit], table: "outbox")
        // RETURNING promises no order.
        return try rows.map(Tables.outbox.decode).sorted { ($0.nextAttemptAt, $0.id) < ($1.nextAttemptAt, $1.id) }
    }

    public func updateOutboxEntry(_ entry: OutboxEntry) async throws {
        try await update(entry, in: Tables.outbox)
    }

    public func releaseOutboxLeases(owner: String) async throws -> Int {
        try await query(
            "UPDATE outbox SET lease_owner = NULL, lease_expires_at = NULL WHERE lease_owner = \(p(1)) AND state = 'pending' RETURNING id",
            [.text(owner)], table: "outbox").count
    }

    public func recordLedgerEntry(_ entry: LedgerEntry) async throws {
        let mapping = Tables.ledger
        _ = try await query("\(mapping.insert(dialect)) ON CONFLICT (contract_reference) DO NOTHING", mapping.encode(entry), table: mapping.table)
    }

    /// In signing order.
    public func ledgerEntries(carrierCode: String, day: String) async throws -> [LedgerEntry] {
        try await fetch(Tables.ledger, "WHERE carrier_code = \(p(1)) AND day = \(p(2)) ORDER BY signed_at, contract_reference",
                        [.text(carrierCode), .text(day)])
    }

    // MARK: - Audit trail

    /// The head of the chain. The next entry's sequence and MAC follow from it, so where
    /// several nodes write (PostgreSQL) the head is locked until this transaction ends: the
    /// lock is taken first, and the read after it sees the last committed entry.
    public func lastAuditEntry() async throws -> AuditEntry? {
        if let lock = dialect.auditHeadLock { _ = try await query(lock, table: "audit") }
        return try await fetchOne(Tables.audit, "ORDER BY sequence DESC", [])
    }

    public func appendAuditEntry(_ entry: AuditEntry) async throws {
        try await insert(entry, into: Tables.audit)
    }

    public func auditEntries(after: Int64, limit: Int) async throws -> [AuditEntry] {
        guard let limit = limitBind(limit) else { return [] }
        return try await fetch(Tables.audit, "WHERE sequence > \(p(1)) ORDER BY sequence LIMIT \(p(2))", [.int(after), limit])
    }
}
