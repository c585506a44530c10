import Foundation
import MPOSHost
import NIOConcurrencyHelpers
import SQLiteNIO

/// The operations of one transaction of ``SQLiteHostStore``. It is only valid while its
/// transaction runs: the store ends it before `COMMIT` or `ROLLBACK`, after which every call
/// fails, so a reference that escaped the body cannot write into a later transaction.
final class SQLiteTransaction: HostTransaction {
    private let connection: SQLiteConnection
    private let isOpen = NIOLockedValueBox(true)

    init(connection: SQLiteConnection) {
        self.connection = connection
    }

    func end() {
        isOpen.withLockedValue { $0 = false }
    }

    // MARK: - Plumbing

    private func query(_ sql: String, _ binds: [SQLiteData] = [], table: String) async throws -> [SQLiteRow] {
        guard isOpen.withLockedValue({ $0 }) else { throw StoreError(.failure, "\(table): the transaction has ended") }
        try Task.checkCancellation()
        do {
            return try await connection.query(sql, binds)
        } catch {
            throw StoreError.mapping(error, table: table)
        }
    }

    private func fetch<R>(_ mapping: TableMapping<R>, _ clause: String = "", _ binds: [SQLiteData] = []) async throws -> [R] {
        try await query("\(mapping.select) \(clause)", binds, table: mapping.table).map(mapping.decode)
    }

    private func fetchOne<R>(_ mapping: TableMapping<R>, _ clause: String, _ binds: [SQLiteData]) async throws -> R? {
        try await fetch(mapping, "\(clause) LIMIT 1", binds).first
    }

    private func insert<R>(_ record: R, into mapping: TableMapping<R>) async throws {
        _ = try await query(mapping.insert, mapping.encode(record), table: mapping.table)
    }

    private func update<R>(_ record: R, in mapping: TableMapping<R>) async throws {
        guard try await !query(mapping.update, mapping.encode(record), table: mapping.table).isEmpty else {
            throw StoreError(.notFound, "\(mapping.table): no row with this key")
        }
    }

    /// A non-positive limit returns nothing (SQLite would read a negative LIMIT as "no limit").
    private func limitBind(_ limit: Int) -> SQLiteData? {
        limit > 0 ? .int(limit) : nil
    }

    // MARK: - Keys

    func hostKey(_ role: HostKeyRole) async throws -> StoredHostKey? {
        try await fetchOne(Tables.hostKeys, "WHERE role = ?1", [.enumValue(role)])
    }

    func hostKeys() async throws -> [StoredHostKey] {
        try await fetch(Tables.hostKeys, "ORDER BY role")
    }

    func insertHostKey(_ key: StoredHostKey) async throws {
        try await insert(key, into: Tables.hostKeys)
    }

    func baseMasterKeys() async throws -> [BaseMasterKeyRecord] {
        try await fetch(Tables.baseMasterKeys, "ORDER BY version")
    }

    func insertBaseMasterKey(_ record: BaseMasterKeyRecord) async throws {
        try await insert(record, into: Tables.baseMasterKeys)
    }

    func updateBaseMasterKey(_ record: BaseMasterKeyRecord) async throws {
        try await update(record, in: Tables.baseMasterKeys)
    }

    // MARK: - Operators

    func operatorRecord(number: String) async throws -> OperatorRecord? {
        try await fetchOne(Tables.operators, "WHERE number = ?1", [.text(number)])
    }

    func operators() async throws -> [OperatorRecord] {
        try await fetch(Tables.operators, "ORDER BY number")
    }

    func insertOperator(_ record: OperatorRecord) async throws {
        try await insert(record, into: Tables.operators)
    }

    func updateOperator(_ record: OperatorRecord) async throws {
        try await update(record, in: Tables.operators)
    }

    // MARK: - Terminals and sessions

    func terminal(id: String) async throws -> TerminalRecord? {
        try await fetchOne(Tables.terminals, "WHERE id = ?1", [.text(id)])
    }

    func terminals() async throws -> [TerminalRecord] {
        try await fetch(Tables.terminals, "ORDER BY id")
    }

    func insertTerminal(_ record: TerminalRecord) async throws {
        try await insert(record, into: Tables.terminals)
    }

    func updateTerminal(_ record: TerminalRecord) async throws {
        try await update(record, in: Tables.terminals)
    }

    func terminalCount(masterKeyVersion: Int) async throws -> Int {
        let rows = try await query("SELECT COUNT(*) AS count FROM terminals WHERE master_key_version = ?1", [.int(masterKeyVersion)],
                                   table: "terminals")
        guard let row = rows.first else { return 0 }
        return try RowReader(row: row, table: "terminals").int("count")
    }

    func session(number: Int64) async throws -> SessionRecord? {
        try await fetchOne(Tables.sessions, "WHERE number = ?1", [.int(number)])
    }

    func insertSession(_ record: SessionRecord) async throws {
        try await insert(record, into: Tables.sessions)
    }

    func updateSession(_ record: SessionRecord) async throws {
        try await update(record, in: Tables.sessions)
    }

    func nextSequenceValue(_ name: String) async throws -> Int64 {
        let rows = try await query(
            """
            INSERT INTO sequences (name, value) VALUES (?1, 1)
            ON CONFLICT (name) DO UPDATE SET value = sequences.value + 1
            RETURNING value
            """, [.text(name)], table: "sequences")
        guard let row = rows.first else { throw StoreError(.failure, "sequences: no value returned") }
        return try RowReader(row: row, table: "sequences").int64("value")
    }

    // MARK: - Message log

    func messageLogEntry(terminalID: String, stan: String) async throws -> MessageLogEntry? {
        try await fetchOne(Tables.messageLog, "WHERE terminal_id = ?1 AND stan = ?2", [.text(terminalID), .text(stan)])
    }

    /// A replaced entry takes the newest place in the terminal's order, as if inserted now.
    func putMessageLogEntry(_ entry: MessageLogEntry) async throws {
        let mapping = Tables.messageLog
        _ = try await query(
            """
            INSERT INTO message_log (\(mapping.columnList), entry_order)
            VALUES (\(placeholders(1...6)), (SELECT COALESCE(MAX(entry_order), 0) + 1 FROM message_log WHERE terminal_id = ?1))
            ON CONFLICT (terminal_id, stan) DO UPDATE SET
                session = excluded.session, request_digest = excluded.request_digest, response = excluded.response,
                created_at = excluded.created_at, entry_order = excluded.entry_order
            """, mapping.encode(entry), table: mapping.table)
    }

    func pruneMessageLog(terminalID: String, keep: Int) async throws {
        guard keep >= 0 else { throw StoreError(.failure, "message_log: keep must not be negative") }
        // Everything at or below the (keep+1)-th newest position goes; fewer rows, nothing does.
        _ = try await query(
            """
            DELETE FROM message_log WHERE terminal_id = ?1 AND entry_order <= (
                SELECT entry_order FROM message_log WHERE terminal_id = ?1 ORDER BY entry_order DESC LIMIT 1 OFFSET ?2)
            """, [.text(terminalID), .int(keep)], table: "message_log")
    }

    // MARK: - Cards

    func card(lookupDigest: [UInt8]) async throws -> CardRecord? {
        try await fetchOne(Tables.cards, "WHERE lookup_digest = ?1", [.bytes(lookupDigest)])
    }

    func card(id: Int64) async throws -> CardRecord? {
        try await fetchOne(Tables.cards, "WHERE id = ?1", [.int(id)])
    }

    func cards() async throws -> [CardRecord] {
        try await fetch(Tables.cards, "ORDER BY id")
    }

    /// The caller chooses the id (e.g. from ``nextSequenceValue(_:)``): the protocol returns none.
    func insertCard(_ record: CardRecord) async throws {
        try await insert(record, into: Tables.cards)
    }

    func updateCard(_ record: CardRecord) async throws {
        try await update(record, in: Tables.cards)
    }

    // MARK: - Contracts, outbox, ledger

    func contract(reference: String) async throws -> ContractRecord? {
        try await fetchOne(Tables.contracts, "WHERE reference = ?1", [.text(reference)])
    }

    func contract(digest: [UInt8]) async throws -> ContractRecord? {
        try await fetchOne(Tables.contracts, "WHERE contract_digest = ?1", [.bytes(digest)])
    }

    /// The newest first (by signing time, then reference).
    func contracts(limit: Int) async throws -> [ContractRecord] {
        guard let limit = limitBind(limit) else { return [] }
        return try await fetch(Tables.contracts, "ORDER BY signed_at DESC, reference DESC LIMIT ?1", [limit])
    }

    func insertContract(_ record: ContractRecord) async throws {
        try await insert(record, into: Tables.contracts)
    }

    /// `entry.id` is ignored: the database assigns a fresh one.
    func insertOutboxEntry(_ entry: OutboxEntry) async throws -> Int64 {
        let mapping = Tables.outbox
        let columns = mapping.columns.dropFirst().joined(separator: ", ")
        let rows = try await query(
            "INSERT INTO outbox (\(columns)) VALUES (\(placeholders(1...mapping.columns.count - 1))) RETURNING id",
            Array(mapping.encode(entry).dropFirst()), table: mapping.table)
        guard let row = rows.first else { throw StoreError(.failure, "outbox: no id returned") }
        return try RowReader(row: row, table: mapping.table).int64("id")
    }

    func outboxEntry(id: Int64) async throws -> OutboxEntry? {
        try await fetchOne(Tables.outbox, "WHERE id = ?1", [.int(id)])
    }

    /// Oldest first.
    func outboxEntries(states: Set<OutboxEntry.State>, limit: Int) async throws -> [OutboxEntry] {
        guard let limitValue = limitBind(limit), !states.isEmpty else { return [] }
        let binds = states.map(\.rawValue).sorted().map(SQLiteData.text) + [limitValue]
        return try await fetch(
            Tables.outbox, "WHERE state IN (\(placeholders(1...states.count))) ORDER BY id LIMIT ?\(states.count + 1)", binds)
    }

    /// A lease whose expiry equals `now` has expired. Only this connection writes, so the
    /// sub-select and the update see the same rows (PostgreSQL needs `FOR UPDATE SKIP LOCKED`).
    func claimDueOutboxEntries(now: Date, owner: String, leaseUntil: Date, limit: Int) async throws -> [OutboxEntry] {
        guard let limit = limitBind(limit) else { return [] }
        let rows = try await query(
            """
            UPDATE outbox SET lease_owner = ?1, lease_expires_at = ?2
            WHERE id IN (
                SELECT id FROM outbox
                WHERE state = 'pending' AND next_attempt_at <= ?3 AND (lease_expires_at IS NULL OR lease_expires_at <= ?3)
                ORDER BY id LIMIT ?4)
            RETURNING \(Tables.outbox.columnList)
            """, [.text(owner), .date(leaseUntil), .date(now), limit], table: "outbox")
        // RETURNING promises no order.
        return try rows.map(Tables.outbox.decode).sorted { $0.id < $1.id }
    }

    func updateOutboxEntry(_ entry: OutboxEntry) async throws {
        try await update(entry, in: Tables.outbox)
    }

    func recordLedgerEntry(_ entry: LedgerEntry) async throws {
        let mapping = Tables.ledger
        _ = try await query("\(mapping.insert) ON CONFLICT (contract_reference) DO NOTHING", mapping.encode(entry), table: mapping.table)
    }

    /// In signing order.
    func ledgerEntries(carrierCode: String, day: String) async throws -> [LedgerEntry] {
        try await fetch(Tables.ledger, "WHERE carrier_code = ?1 AND day = ?2 ORDER BY signed_at, contract_reference",
                        [.text(carrierCode), .text(day)])
    }

    // MARK: - Audit trail

    func lastAuditEntry() async throws -> AuditEntry? {
        try await fetchOne(Tables.audit, "ORDER BY sequence DESC", [])
    }

    func appendAuditEntry(_ entry: AuditEntry) async throws {
        try await insert(entry, into: Tables.audit)
    }

    func auditEntries(after: Int64, limit: Int) async throws -> [AuditEntry] {
        guard let limit = limitBind(limit) else { return [] }
        return try await fetch(Tables.audit, "WHERE sequence > ?1 ORDER BY sequence LIMIT ?2", [.int(after), limit])
    }
}
