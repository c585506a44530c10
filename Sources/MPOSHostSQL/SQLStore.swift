public import MPOSHost

/// A store on SQL: one kind of transaction (``SQLTransaction``) serves both the host's rows
/// and the ledger module's.
public protocol SQLStore: HostStore, LedgerStore {
    /// Runs `body` in one transaction, with the guarantees of ``HostStore/transaction(_:)``.
    func sqlTransaction<T: Sendable>(_ body: @Sendable (SQLTransaction) async throws -> T) async throws -> T
}

extension SQLStore {
    public func transaction<T: Sendable>(_ body: @Sendable (any HostTransaction) async throws -> T) async throws -> T {
        try await sqlTransaction { try await body($0) }
    }

    public func ledgerTransaction<T: Sendable>(_ body: @Sendable (any LedgerRows) async throws -> T) async throws -> T {
        try await sqlTransaction { try await body($0) }
    }
}
