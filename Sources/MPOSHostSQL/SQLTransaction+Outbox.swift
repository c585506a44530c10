public import Foundation
public import MPOSHost

extension SQLTransaction: OutboxRows {
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

    public func outboxCensus() async throws -> OutboxCensus {
        let rows = try await query(
            """
            SELECT SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END) AS pending,
                   SUM(CASE WHEN state = 'dead-lettered' THEN 1 ELSE 0 END) AS dead,
                   MIN(CASE WHEN state = 'pending' THEN created_at END) AS oldest
            FROM outbox WHERE state <> 'delivered'
            """, table: "outbox")
        guard let row = rows.first else { return OutboxCensus(pending: 0, deadLettered: 0, oldestPendingCreatedAt: nil) }
        return OutboxCensus(pending: try row.optional("pending", row.int) ?? 0, deadLettered: try row.optional("dead", row.int) ?? 0,
                            oldestPendingCreatedAt: try row.optional("oldest", row.date))
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
}
