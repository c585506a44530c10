public import Foundation
public import MPOSErrors

/// Where the host keeps everything: one implementation per database (embedded SQLite by
/// default; PostgreSQL for several nodes), behind this protocol, so the host's logic makes no
/// assumption about either.
///
/// Every read and write happens inside ``transaction(_:)``. The contract each backend keeps:
/// - **Atomic and durable**: `body`'s writes commit together when it returns, or none do when
///   it throws; once `transaction` returns, the commit survives a crash or a power cut. The
///   host answers a terminal only after that.
/// - **Isolated**: what `body` reads does not change under it until it commits — two
///   transactions racing on the same terminal, card, contract or STAN produce one outcome
///   (the loser waits for the winner's row lock and sees its row, or fails on a unique
///   constraint or with ``StoreError/Code/conflict`` and is run again: see
///   ``HostStore/retryingTransaction(attempts:_:)``). The rows the host reads in order to
///   change them — a terminal, an operator, a card — and the audit chain's head are locked
///   until the transaction ends.
/// - **Not nested**: starting a transaction inside another on the same store is an error; a
///   cancelled task's transaction rolls back.
/// - **Erasure is enforced** by the schema: a retired base master key and an ended session
///   must have their key blocks erased in the same update.
public protocol HostStore: Sendable {
    func transaction<T: Sendable>(_ body: @Sendable (any HostTransaction) async throws -> T) async throws -> T
    func close() async throws
}

extension HostStore {
    /// Runs `body` in a transaction, and again when it lost a race: a conflict, or a row
    /// inserted by a concurrent transaction (a card opened, a contract signed at the same
    /// moment on another node). Rolled back, nothing of the attempt remains; the next attempt
    /// reads the winner's rows and answers accordingly. Bodies must have no effect outside the
    /// store.
    public func retryingTransaction<T: Sendable>(attempts: Int = 4, _ body: @Sendable (any HostTransaction) async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await transaction(body)
            } catch let error as StoreError where attempt < attempts && [.conflict, .duplicate].contains(error.code) {
                attempt += 1
            }
        }
    }
}

/// The operations available inside a transaction. `insert…` fails with
/// ``StoreError/Code/duplicate`` when the row exists; `update…` with
/// ``StoreError/Code/notFound`` when it does not.
public protocol HostTransaction: Sendable {
    // Keys
    func hostKey(_ role: HostKeyRole) async throws -> StoredHostKey?
    func hostKeys() async throws -> [StoredHostKey]
    func insertHostKey(_ key: StoredHostKey) async throws
    func baseMasterKeys() async throws -> [BaseMasterKeyRecord]
    func insertBaseMasterKey(_ record: BaseMasterKeyRecord) async throws
    func updateBaseMasterKey(_ record: BaseMasterKeyRecord) async throws

    // Operators
    func operatorRecord(number: String) async throws -> OperatorRecord?
    func operators() async throws -> [OperatorRecord]
    func insertOperator(_ record: OperatorRecord) async throws
    func updateOperator(_ record: OperatorRecord) async throws

    // Terminals and sessions
    func terminal(id: String) async throws -> TerminalRecord?
    func terminals() async throws -> [TerminalRecord]
    func insertTerminal(_ record: TerminalRecord) async throws
    func updateTerminal(_ record: TerminalRecord) async throws
    /// How many terminals hold a master key of this base key version (signed in or not).
    func terminalCount(masterKeyVersion: Int) async throws -> Int
    func session(number: Int64) async throws -> SessionRecord?
    func insertSession(_ record: SessionRecord) async throws
    func updateSession(_ record: SessionRecord) async throws

    /// The next value of a named, strictly increasing sequence (session numbers, references):
    /// never given twice, but not always consecutive (on PostgreSQL a value drawn by a
    /// transaction that rolls back is skipped).
    func nextSequenceValue(_ name: String) async throws -> Int64

    // The durable retransmission cache
    func messageLogEntry(terminalID: String, stan: String) async throws -> MessageLogEntry?
    /// Inserts or replaces the entry for (terminal, STAN); a replaced entry counts as the newest.
    func putMessageLogEntry(_ entry: MessageLogEntry) async throws
    /// Keeps the newest `keep` entries of a terminal, deletes the rest.
    func pruneMessageLog(terminalID: String, keep: Int) async throws

    // Cards
    func card(lookupDigest: [UInt8]) async throws -> CardRecord?
    func card(id: Int64) async throws -> CardRecord?
    func cards() async throws -> [CardRecord]
    func insertCard(_ record: CardRecord) async throws
    func updateCard(_ record: CardRecord) async throws

    // Contracts, outbox, ledger
    func contract(reference: String) async throws -> ContractRecord?
    func contract(digest: [UInt8]) async throws -> ContractRecord?
    /// The newest first.
    func contracts(limit: Int) async throws -> [ContractRecord]
    func insertContract(_ record: ContractRecord) async throws
    /// Inserts with a fresh id and returns it.
    func insertOutboxEntry(_ entry: OutboxEntry) async throws -> Int64
    func outboxEntry(id: Int64) async throws -> OutboxEntry?
    func outboxEntries(states: Set<OutboxEntry.State>, limit: Int) async throws -> [OutboxEntry]
    /// Pending entries due at `now` whose lease (if any) has expired, the longest due first
    /// (an index on state and due time serves it, however many delivered rows there are), leased to
    /// `owner` until `leaseUntil` (PostgreSQL: `FOR UPDATE SKIP LOCKED`).
    func claimDueOutboxEntries(now: Date, owner: String, leaseUntil: Date, limit: Int) async throws -> [OutboxEntry]
    func updateOutboxEntry(_ entry: OutboxEntry) async throws
    /// Ends every lease `owner` holds on a pending entry (a node restarted under its name: the
    /// deliveries it was making when it died are due again at once); returns how many.
    func releaseOutboxLeases(owner: String) async throws -> Int
    /// Records a ledger row; a row for the same contract reference already there is kept
    /// (deliveries are at-least-once, the ledger has each contract once).
    func recordLedgerEntry(_ entry: LedgerEntry) async throws
    /// In signing order.
    func ledgerEntries(carrierCode: String, day: String) async throws -> [LedgerEntry]

    // Audit trail
    func lastAuditEntry() async throws -> AuditEntry?
    func appendAuditEntry(_ entry: AuditEntry) async throws
    /// Entries with sequence > `after`, in order, at most `limit`.
    func auditEntries(after: Int64, limit: Int) async throws -> [AuditEntry]
}

/// A store failure. Compared by code; the message names the table and the constraint, never
/// a value.
public struct StoreError: CodedError {
    public struct Code: ErrorCode {
        public let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }

        /// A row with the same key exists.
        public static let duplicate = Code("store.duplicate")
        /// The row to update does not exist.
        public static let notFound = Code("store.not-found")
        /// Another writer holds the database; the transaction may be retried.
        public static let busy = Code("store.busy")
        /// The transaction lost a race with a concurrent one (PostgreSQL: a serialization
        /// failure or a deadlock) and was rolled back; run it again.
        public static let conflict = Code("store.conflict")
        /// The database's schema is newer than this program, or damaged.
        public static let schema = Code("store.schema")
        /// The database refused the operation (I/O error, full disk, closed store).
        public static let failure = Code("store.failure")
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}
