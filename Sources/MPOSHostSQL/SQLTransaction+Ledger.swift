public import MPOSHost

/// The ledger module's rows (``LedgerRows``): in the host's database, apart from its transactions' roles.
extension SQLTransaction: LedgerRows {
    public func recordLedgerEntry(_ entry: LedgerEntry) async throws {
        let mapping = Tables.ledger
        _ = try await query("\(statements.insert(mapping)) ON CONFLICT (contract_reference) DO NOTHING", mapping.encode(entry), table: mapping.table)
    }

    /// In signing order.
    public func ledgerEntries(carrierCode: String, day: String) async throws -> [LedgerEntry] {
        try await fetch(Tables.ledger, "WHERE carrier_code = \(p(1)) AND day = \(p(2)) ORDER BY signed_at, contract_reference",
                        [.text(carrierCode), .text(day)])
    }
}
