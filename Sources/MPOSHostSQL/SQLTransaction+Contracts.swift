public import MPOSHost

extension SQLTransaction: ContractRows {
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

    public func contractPage(reference: String?, terminalID: String?, offset: Int, limit: Int) async throws -> RecordPage<ContractRecord> {
        var conditions: [(sql: String, value: StoredValue)] = []
        if let reference { conditions.append(("reference = ?", .text(reference))) }
        if let terminalID { conditions.append(("terminal_id = ?", .text(terminalID))) }
        return try await page(Tables.contracts, where: conditions, order: "signed_at DESC, reference DESC", offset: offset, limit: limit)
    }

    public func insertContract(_ record: ContractRecord) async throws {
        try await insert(record, into: Tables.contracts)
    }
}
