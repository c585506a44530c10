import Foundation

// What administrators read and repair: cards, contracts, the outbox, the ledger, the audit trail.
extension HostAdministration {
    // MARK: Cards, contracts, outbox, ledger

    public func cards() async throws -> [CardRecord] {
        try await read { tx in try await tx.cards() }
    }

    /// Unlocks a card's PIN after too many wrong PINs.
    public func unlockCard(id: Int64) async throws {
        try await change { [actor] tx, _ in
            guard var card = try await tx.card(id: id) else { throw HostError(.notFound, "no card \(id)") }
            card.isLocked = false
            card.consecutivePINFailures = 0
            try await tx.updateCard(card)
            return ((), AuditEvent("admin.card.unlock", actor: actor, subject: "card:\(card.maskedCardNumber)"))
        }
    }

    /// Every reference the host has answered an approved operation with: each contract's, and
    /// each card opening's (cards opened before schema version 2 have none). For checking a
    /// load run's approvals (`mpos-terminal load verify`).
    public func references() async throws -> (contracts: [String], cardOpenings: [String]) {
        try await read { tx in
            (try await tx.contracts(limit: Int.max).map(\.reference), try await tx.cards().compactMap(\.openingReference))
        }
    }

    public func contracts(limit: Int = 100) async throws -> [ContractRecord] {
        try await read { tx in try await tx.contracts(limit: limit) }
    }

    public func outbox(states: Set<OutboxEntry.State> = [.pending, .deadLettered], limit: Int = 100) async throws -> [OutboxEntry] {
        try await read { tx in try await tx.outboxEntries(states: states, limit: limit) }
    }

    /// Puts a dead-lettered entry back in the queue, due now, with its attempts reset.
    public func retryOutboxEntry(id: Int64) async throws {
        try await change { [actor] tx, now in
            guard var entry = try await tx.outboxEntry(id: id) else { throw HostError(.notFound, "no outbox entry \(id)") }
            guard entry.state == .deadLettered else { throw HostError(.wrongState, "outbox entry \(id) is \(entry.state.rawValue), not dead-lettered") }
            entry.state = .pending
            entry.attempts = 0
            entry.nextAttemptAt = now
            entry.leaseOwner = nil
            entry.leaseExpiresAt = nil
            try await tx.updateOutboxEntry(entry)
            return ((), AuditEvent("admin.outbox.retry", actor: actor, subject: "contract:\(entry.contractReference)", details: "module \(entry.module)"))
        }
    }

    /// The ledger module's CSV file of a carrier's day (UTC, `YYYY-MM-DD`); a store that keeps
    /// no ledger: `wrongState`.
    public func ledgerCSV(carrierCode: String, day: String) async throws -> String {
        guard let ledger = store as? any LedgerStore else { throw HostError(.wrongState, "this store keeps no ledger") }
        return try await LedgerExport.csv(from: ledger, carrierCode: carrierCode, day: day)
    }

    // MARK: Audit

    public func verifyAuditTrail(expectedHead: AuditHead? = nil) async throws -> AuditTrail.Verification {
        try await AuditTrail.verify(store: store, key: keys.auditChain, expectedHead: expectedHead)
    }

    /// The newest entry's sequence and MAC, to record outside the database.
    public func auditHead() async throws -> AuditHead? {
        try await read { tx in try await tx.lastAuditEntry().map { AuditHead(sequence: $0.sequence, mac: $0.mac) } }
    }

    /// The newest `count` entries (1 to 10,000), oldest first.
    public func auditTail(_ count: Int) async throws -> [AuditEntry] {
        guard (1...10_000).contains(count) else { throw HostError(.invalidRequest, "ask for 1 to 10,000 entries") }
        return try await read { tx in
            let last = try await tx.lastAuditEntry()?.sequence ?? 0
            return try await tx.auditEntries(after: max(0, last - Int64(count)), limit: count)
        }
    }

    /// Records that an administrator looked at personal data (cards, contracts, a carrier file):
    /// reading it is an action too.
    public func recordRead(_ what: String, details: String = "") async throws {
        try await change { [actor] _, _ in ((), AuditEvent("admin.read.\(what)", actor: actor, subject: what, details: details)) }
    }
}

extension HostAdministration {
    /// The fleet in numbers: terminals by state and on older keys, the outbox, the active key
    /// version — two aggregate queries, whatever the fleet's size.
    public struct Census: Sendable, Hashable {
        public let terminals: TerminalCensus
        public let outbox: OutboxCensus
        public let activeKeyVersion: Int?
    }

    public func census() async throws -> Census {
        try await read { tx in
            let active = try await tx.baseMasterKeys().first { $0.state == .active }?.version
            return Census(terminals: try await tx.terminalCensus(activeVersion: active), outbox: try await tx.outboxCensus(), activeKeyVersion: active)
        }
    }
}

extension HostAdministration {
    /// Lists as the API pages them: filtered and paged by the store.
    public func terminalPage(_ filter: TerminalFilter, offset: Int, limit: Int) async throws -> RecordPage<TerminalRecord> {
        try await read { tx in try await tx.terminalPage(filter, offset: offset, limit: limit) }
    }

    public func cardPage(openingReference: String?, offset: Int, limit: Int) async throws -> RecordPage<CardRecord> {
        try await read { tx in try await tx.cardPage(openingReference: openingReference, offset: offset, limit: limit) }
    }

    public func contractPage(reference: String?, terminalID: String?, offset: Int, limit: Int) async throws -> RecordPage<ContractRecord> {
        try await read { tx in try await tx.contractPage(reference: reference, terminalID: terminalID, offset: offset, limit: limit) }
    }
}
