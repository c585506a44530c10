/// The ledger module's own rows, in the host's database but not among the host's
/// (``HostTransaction``): only the ledger module and its export read or write them.
public protocol LedgerRows: Sendable {
    /// Records a ledger row; a row for the same contract reference already there is kept
    /// (deliveries are at-least-once, the ledger has each contract once).
    func recordLedgerEntry(_ entry: LedgerEntry) async throws
    /// In signing order.
    func ledgerEntries(carrierCode: String, day: String) async throws -> [LedgerEntry]
}

/// A store that keeps the ledger module's rows: transactions over them, with the same
/// guarantees as ``HostStore/transaction(_:)``.
public protocol LedgerStore: Sendable {
    func ledgerTransaction<T: Sendable>(_ body: @Sendable (any LedgerRows) async throws -> T) async throws -> T
}
