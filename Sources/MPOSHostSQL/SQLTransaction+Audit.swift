public import MPOSHost

extension SQLTransaction: AuditRows {
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
