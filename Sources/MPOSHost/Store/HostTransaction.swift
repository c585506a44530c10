public import Foundation

/// The operations available inside a transaction of the host's store: one role protocol per
/// kind of row, so that code that needs terminals and sessions says so, and a store implements
/// them in one file each. `insert…` fails with ``StoreError/Code/duplicate`` when the row
/// exists; `update…` with ``StoreError/Code/notFound`` when it does not. (The ledger module's
/// rows are its own: ``LedgerRows``.)
public protocol HostTransaction: KeyRows, OperatorRows, TerminalRows, SessionRows, SequenceRows, MessageLogRows, CardRows, ContractRows,
    OutboxRows, AuditRows, PeopleRows {}

/// The host's own keys and the base master key versions.
public protocol KeyRows: Sendable {
    func hostKey(_ role: HostKeyRole) async throws -> StoredHostKey?
    func hostKeys() async throws -> [StoredHostKey]
    func insertHostKey(_ key: StoredHostKey) async throws
    func baseMasterKeys() async throws -> [BaseMasterKeyRecord]
    func insertBaseMasterKey(_ record: BaseMasterKeyRecord) async throws
    func updateBaseMasterKey(_ record: BaseMasterKeyRecord) async throws
}

/// The patent's operator table.
public protocol OperatorRows: Sendable {
    /// Locked until the transaction ends (its counters are read to be changed).
    func operatorRecord(number: String) async throws -> OperatorRecord?
    func operators() async throws -> [OperatorRecord]
    func insertOperator(_ record: OperatorRecord) async throws
    func updateOperator(_ record: OperatorRecord) async throws
}

public protocol TerminalRows: Sendable {
    /// Locked until the transaction ends.
    func terminal(id: String) async throws -> TerminalRecord?
    /// Not locked (on PostgreSQL a row lock is a write): for a check that decides nothing durable.
    func terminalSnapshot(id: String) async throws -> TerminalRecord?
    func terminals() async throws -> [TerminalRecord]
    func insertTerminal(_ record: TerminalRecord) async throws
    func updateTerminal(_ record: TerminalRecord) async throws
    /// How many terminals hold a master key of this base key version (signed in or not).
    func terminalCount(masterKeyVersion: Int) async throws -> Int
    /// How many terminals are in each state (as ``TerminalRecord/displayState`` says), and how
    /// many hold a master key of another version than `activeVersion`: one query, for the
    /// fleet summary and the metrics.
    func terminalCensus(activeVersion: Int?) async throws -> TerminalCensus
    /// One page of the terminals that match `filter`, by ID, and how many match in all.
    func terminalPage(_ filter: TerminalFilter, offset: Int, limit: Int) async throws -> RecordPage<TerminalRecord>
}

/// What the administration lists of terminals filter on; nil matches anything.
public struct TerminalFilter: Sendable, Hashable {
    public var state: TerminalRecord.DisplayState?
    /// Part of the label, in any case.
    public var labelContains: String?
    public var seenSince: Date?

    public init(state: TerminalRecord.DisplayState? = nil, labelContains: String? = nil, seenSince: Date? = nil) {
        self.state = state; self.labelContains = labelContains; self.seenSince = seenSince
    }
}

/// One page of a list read from the store, and the whole (filtered) list's size.
public struct RecordPage<Record: Sendable>: Sendable {
    public let rows: [Record]
    public let total: Int

    public init(rows: [Record], total: Int) {
        self.rows = rows; self.total = total
    }
}

public struct TerminalCensus: Sendable, Hashable {
    public var byState: [TerminalRecord.DisplayState: Int]
    public var onOlderKeys: Int

    public init(byState: [TerminalRecord.DisplayState: Int], onOlderKeys: Int) {
        self.byState = byState; self.onOlderKeys = onOlderKeys
    }
}

public protocol SessionRows: Sendable {
    func session(number: Int64) async throws -> SessionRecord?
    func insertSession(_ record: SessionRecord) async throws
    func updateSession(_ record: SessionRecord) async throws
}

public protocol SequenceRows: Sendable {
    /// The next value of a named, strictly increasing sequence (session numbers, references):
    /// never given twice, but not always consecutive (on PostgreSQL a value drawn by a
    /// transaction that rolls back is skipped).
    func nextSequenceValue(_ name: String) async throws -> Int64
}

/// The durable retransmission cache.
public protocol MessageLogRows: Sendable {
    func messageLogEntry(terminalID: String, stan: String) async throws -> MessageLogEntry?
    /// Inserts or replaces the entry for (terminal, STAN); a replaced entry counts as the newest.
    func putMessageLogEntry(_ entry: MessageLogEntry) async throws
    /// Keeps the newest `keep` entries of a terminal, deletes the rest.
    func pruneMessageLog(terminalID: String, keep: Int) async throws
}

public protocol CardRows: Sendable {
    /// Locked until the transaction ends.
    func card(lookupDigest: [UInt8]) async throws -> CardRecord?
    func card(id: Int64) async throws -> CardRecord?
    func cards() async throws -> [CardRecord]
    /// One page of the cards (by id), or the one a card opening's reference names.
    func cardPage(openingReference: String?, offset: Int, limit: Int) async throws -> RecordPage<CardRecord>
    func insertCard(_ record: CardRecord) async throws
    func updateCard(_ record: CardRecord) async throws
}

public protocol ContractRows: Sendable {
    func contract(reference: String) async throws -> ContractRecord?
    func contract(digest: [UInt8]) async throws -> ContractRecord?
    /// The newest first.
    func contracts(limit: Int) async throws -> [ContractRecord]
    /// One page of the contracts, newest first, optionally of one reference or one terminal.
    func contractPage(reference: String?, terminalID: String?, offset: Int, limit: Int) async throws -> RecordPage<ContractRecord>
    func insertContract(_ record: ContractRecord) async throws
}

/// Contracts on their way to the carriers' business modules.
public protocol OutboxRows: Sendable {
    /// Inserts with a fresh id and returns it.
    func insertOutboxEntry(_ entry: OutboxEntry) async throws -> Int64
    func outboxEntry(id: Int64) async throws -> OutboxEntry?
    func outboxEntries(states: Set<OutboxEntry.State>, limit: Int) async throws -> [OutboxEntry]
    /// Pending and dead-lettered entries, and the oldest pending one's creation: one query.
    func outboxCensus() async throws -> OutboxCensus
    /// Pending entries due at `now` whose lease (if any) has expired, the longest due first
    /// (an index on state and due time serves it, however many delivered rows there are), leased to
    /// `owner` until `leaseUntil` (PostgreSQL: `FOR UPDATE SKIP LOCKED`).
    func claimDueOutboxEntries(now: Date, owner: String, leaseUntil: Date, limit: Int) async throws -> [OutboxEntry]
    func updateOutboxEntry(_ entry: OutboxEntry) async throws
    /// Ends every lease `owner` holds on a pending entry (a node restarted under its name: the
    /// deliveries it was making when it died are due again at once); returns how many.
    func releaseOutboxLeases(owner: String) async throws -> Int
}

/// The keyed hash chain.
public protocol AuditRows: Sendable {
    /// The head of the chain, locked until the transaction ends where several nodes append.
    func lastAuditEntry() async throws -> AuditEntry?
    func appendAuditEntry(_ entry: AuditEntry) async throws
    /// Entries with sequence > `after`, in order, at most `limit`.
    func auditEntries(after: Int64, limit: Int) async throws -> [AuditEntry]
}

/// The people who administer the host, their sessions and tokens, and dual-control approvals.
public protocol PeopleRows: Sendable {
    /// Locked until the transaction ends (its failure count is read to be changed).
    func adminUser(name: String) async throws -> AdminUserRecord?
    func adminUsers() async throws -> [AdminUserRecord]
    func insertAdminUser(_ record: AdminUserRecord) async throws
    func updateAdminUser(_ record: AdminUserRecord) async throws
    /// Not locked (authentication locks the person's row first).
    func adminCredential(digest: [UInt8]) async throws -> AdminCredentialRecord?
    func adminCredential(id: String) async throws -> AdminCredentialRecord?
    /// A person's sessions and tokens, newest first.
    func adminCredentials(userName: String) async throws -> [AdminCredentialRecord]
    func insertAdminCredential(_ record: AdminCredentialRecord) async throws
    func updateAdminCredential(_ record: AdminCredentialRecord) async throws
    /// Deletes sessions and tokens that ended (expired or revoked) before `before`.
    func deleteAdminCredentials(endedBefore before: Date) async throws
    /// `record.id` is ignored: the database assigns a fresh one, which is returned.
    func insertAdminApproval(_ record: AdminApprovalRecord) async throws -> Int64
    /// Locked until the transaction ends.
    func adminApproval(id: Int64) async throws -> AdminApprovalRecord?
    /// Newest first.
    func adminApprovals(limit: Int) async throws -> [AdminApprovalRecord]
    func updateAdminApproval(_ record: AdminApprovalRecord) async throws
}

public struct OutboxCensus: Sendable, Hashable {
    public var pending: Int
    public var deadLettered: Int
    public var oldestPendingCreatedAt: Date?

    public init(pending: Int, deadLettered: Int, oldestPendingCreatedAt: Date?) {
        self.pending = pending; self.deadLettered = deadLettered; self.oldestPendingCreatedAt = oldestPendingCreatedAt
    }
}
