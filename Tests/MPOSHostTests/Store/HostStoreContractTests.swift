import Foundation
import MPOSHost
import MPOSTestSupport
import Testing

/// The `HostStore` contract, run against every backend in ``StoreBackend``.
@Suite("HostStore contract")
struct HostStoreContractTests {
    private struct BodyFailure: Error, Equatable {}
    private struct Escape: Error { let tx: any HostTransaction }

    // MARK: - Round trips

    @Test("host keys round-trip; a second key of a role is a duplicate", arguments: StoreBackend.allCases)
    func hostKeys(backend: StoreBackend) async throws {
        try await backend.withStore { store async throws in
            let keys = HostKeyRole.allCases.map(Fixtures.hostKey)
            try await store.transaction { tx async throws in for key in keys { try await tx.insertHostKey(key) } }
            try await store.transaction { tx async throws in
                #expect(try await tx.hostKey(.auditChain) == Fixtures.hostKey(.auditChain))
                #expect(Set(try await tx.hostKeys()) == Set(keys))
            }
            await #expect(throws: StoreError(.duplicate, "")) { try await store.transaction { tx async throws in try await tx.insertHostKey(Fixtures.hostKey(.signing)) } }
        }
    }

    @Test("base master keys round-trip through insert, update and retirement", arguments: StoreBackend.allCases)
    func baseMasterKeys(backend: StoreBackend) async throws {
        try await backend.withStore { store async throws in
            let first = Fixtures.baseMasterKey(1)
            try await store.transaction { tx async throws in try await tx.insertBaseMasterKey(first) }
            let retired = BaseMasterKeyRecord(version: 1, block: "", checkValue: first.checkValue, state: .retired, origin: first.origin,
                                              createdAt: first.createdAt, retiredAt: Fixtures.time(100))
            let second = Fixtures.baseMasterKey(2)
            try await store.transaction { tx async throws in
                #expect(try await tx.baseMasterKeys() == [first])
                try await tx.updateBaseMasterKey(retired)
                try await tx.insertBaseMasterKey(second)
            }
            try await store.transaction { tx async throws in
                #expect(try await tx.baseMasterKeys() == [retired, second])
            }
            await #expect(throws: StoreError(.duplicate, "")) { try await store.transaction { tx async throws in try await tx.insertBaseMasterKey(Fixtures.baseMasterKey(2, .superseded)) } }
            await #expect(throws: StoreError(.notFound, "")) { try await store.transaction { tx async throws in try await tx.updateBaseMasterKey(Fixtures.baseMasterKey(9)) } }
        }
    }

    @Test("at most one base master key is active", arguments: StoreBackend.allCases)
    func oneActiveBaseMasterKey(backend: StoreBackend) async throws {
        try await backend.withStore { store async throws in
            try await store.transaction { tx async throws in
                try await tx.insertBaseMasterKey(Fixtures.baseMasterKey(1))
                try await tx.insertBaseMasterKey(Fixtures.baseMasterKey(2, .superseded))
            }
            await #expect(throws: StoreError.self) {
                try await store.transaction { tx async throws in try await tx.insertBaseMasterKey(Fixtures.baseMasterKey(3, .active)) }
            }
            await #expect(throws: StoreError.self) {
                try await store.transaction { tx async throws in try await tx.updateBaseMasterKey(Fixtures.baseMasterKey(2, .active)) }
            }
            // Rotation: supersede the old one, then activate the new one, in one transaction.
            try await store.transaction { tx async throws in
                try await tx.updateBaseMasterKey(Fixtures.baseMasterKey(1, .superseded))
                try await tx.updateBaseMasterKey(Fixtures.baseMasterKey(2, .active))
            }
            let active = try await store.transaction { tx async throws in try await tx.baseMasterKeys().filter { $0.state == .active }.map(\.version) }
            #expect(active == [2])
        }
    }

    @Test("a cancelled task's transaction rolls back, in its own task; the store goes on", arguments: StoreBackend.allCases)
    func cancellation(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let (started, starting) = AsyncStream<Void>.makeStream()
            let task = Task {
                try await store.transaction { tx async throws in
                    try await tx.insertOperator(Fixtures.operatorRecord("07"))
                    starting.finish()
                    try await Task.sleep(for: .seconds(30))  // ends at once if the cancellation reaches the body
                    try await tx.insertOperator(Fixtures.operatorRecord("08"))
                }
            }
            try await Deadline.within(.seconds(10), "the transaction's body starting") { for await _ in started {} }
            task.cancel()
            let outcome = try await Deadline.within(.seconds(10), "the cancelled transaction ending") { await task.result }
            #expect(throws: CancellationError.self) { try outcome.get() }
            try await store.transaction { tx async throws in try await tx.insertOperator(Fixtures.operatorRecord("09")) }
            #expect(try await store.transaction { tx async throws in try await tx.operators() }.map(\.number) == ["09"])
        }
    }

    @Test("operators round-trip with every field and with nil optionals", arguments: StoreBackend.allCases)
    func operators(backend: StoreBackend) async throws {
        try await backend.withStore { store async throws in
            let full = Fixtures.operatorRecord("01")
            let minimal = OperatorRecord(number: "02", name: "", verificationValue: [], createdAt: Fixtures.time(0))
            try await store.transaction { tx async throws in
                try await tx.insertOperator(full)
                try await tx.insertOperator(minimal)
            }
            let changed = modified(full) {
                $0.consecutiveFailures = 0; $0.isLocked = false; $0.isDisabled = false; $0.lastSignOnAt = nil
                $0.name = "Renamed"; $0.verificationValue = Array(repeating: 0xFF, count: 16)
            }
            try await store.transaction { tx async throws in
                #expect(try await tx.operatorRecord(number: "01") == full)
                #expect(try await tx.operatorRecord(number: "02") == minimal)
                #expect(try await tx.operatorRecord(number: "03") == nil)
                #expect(try await tx.operators() == [full, minimal])
                try await tx.updateOperator(changed)
            }
            await #expect(throws: StoreError(.duplicate, "")) { try await store.transaction { tx async throws in try await tx.insertOperator(minimal) } }
            await #expect(throws: StoreError(.notFound, "")) { try await store.transaction { tx async throws in try await tx.updateOperator(Fixtures.operatorRecord("99")) } }
            #expect(try await store.transaction { tx async throws in try await tx.operatorRecord(number: "01") } == changed)
        }
    }

    @Test("terminals round-trip, optionals set and cleared, counted by key version", arguments: StoreBackend.allCases)
    func terminals(backend: StoreBackend) async throws {
        try await backend.withStore { store async throws in
            let minimal = Fixtures.minimalTerminal("T1")
            let full = Fixtures.fullTerminal("T2")
            try await store.transaction { tx async throws in
                try await tx.insertTerminal(minimal)
                try await tx.insertTerminal(full)
            }
            try await store.transaction { tx async throws in
                #expect(try await tx.terminal(id: "T1") == minimal)
                #expect(try await tx.terminal(id: "T2") == full)
                #expect(try await tx.terminals() == [minimal, full])
                #expect(try await tx.terminalCount(masterKeyVersion: 7) == 1)
                #expect(try await tx.terminalCount(masterKeyVersion: 1) == 0)
                // Swap: the full one loses its optionals, the minimal one gains them.
                let cleared = modified(Fixtures.minimalTerminal("T2")) { $0.createdAt = full.createdAt }
                let filled = modified(Fixtures.fullTerminal("T1")) { $0.createdAt = minimal.createdAt }
                try await tx.updateTerminal(cleared)
                try await tx.updateTerminal(filled)
                #expect(try await tx.terminal(id: "T2") == cleared)
                #expect(try await tx.terminal(id: "T1") == filled)
            }
            await #expect(throws: StoreError(.duplicate, "")) { try await store.transaction { tx async throws in try await tx.insertTerminal(minimal) } }
            await #expect(throws: StoreError(.notFound, "")) { try await store.transaction { tx async throws in try await tx.updateTerminal(Fixtures.minimalTerminal("T9")) } }
        }
    }

    @Test("sessions round-trip, and end with their keys erased", arguments: StoreBackend.allCases)
    func sessions(backend: StoreBackend) async throws {
        try await backend.withStore { store async throws in
            let running = Fixtures.session(1_000_000_000_001, terminal: "T1")
            let ended = modified(running) {
                $0.pinKeyBlock = ""; $0.macKeyBlock = ""; $0.dataKeyBlock = ""
                $0.endedAt = Fixtures.time(60); $0.endReason = .superseded
            }
            try await store.transaction { tx async throws in
                try await tx.insertTerminal(Fixtures.minimalTerminal("T1"))
                try await tx.insertSession(running)
            }
            try await store.transaction { tx async throws in
                #expect(try await tx.session(number: running.number) == running)
                try await tx.updateSession(ended)
                #expect(try await tx.session(number: running.number) == ended)
                #expect(try await tx.session(number: 2) == nil)
            }
            await #expect(throws: StoreError(.duplicate, "")) { try await store.transaction { tx async throws in try await tx.insertSession(running) } }
            await #expect(throws: StoreError(.notFound, "")) { try await store.transaction { tx async throws in try await tx.updateSession(Fixtures.session(2, terminal: "T1")) } }
        }
    }

    @Test("a session refers to an existing terminal", arguments: StoreBackend.allCases)
    func sessionNeedsTerminal(backend: StoreBackend) async throws {
        try await backend.withStore { store async throws in
            await #expect(throws: StoreError(.failure, "")) {
                try await store.transaction { tx async throws in try await tx.insertSession(Fixtures.session(1, terminal: "nowhere")) }
            }
        }
    }

    @Test("cards round-trip and are found by lookup digest and id", arguments: StoreBackend.allCases)
    func cards(backend: StoreBackend) async throws {
        try await backend.withStore { store async throws in
            let card = Fixtures.card(1)
            let other = Fixtures.card(2)
            try await store.transaction { tx async throws in
                try await tx.insertCard(card)
                try await tx.insertCard(other)
            }
            let changed = modified(card) { $0.consecutivePINFailures = 0; $0.isLocked = false; $0.pinVerificationValue = [9, 9, 9, 9, 9, 9, 9, 9] }
            try await store.transaction { tx async throws in
                #expect(try await tx.card(lookupDigest: card.lookupDigest) == card)
                #expect(try await tx.card(id: 2) == other)
                #expect(try await tx.card(lookupDigest: Fixtures.digest(3)) == nil)
                #expect(try await tx.cards() == [card, other])
                try await tx.updateCard(changed)
                #expect(try await tx.card(id: 1) == changed)
            }
            await #expect(throws: StoreError(.duplicate, "")) { try await store.transaction { tx async throws in try await tx.insertCard(Fixtures.card(1)) } }
            let sameDigest = modified(Fixtures.card(3)) { $0.lookupDigest = card.lookupDigest }
            await #expect(throws: StoreError(.duplicate, "")) { try await store.transaction { tx async throws in try await tx.insertCard(sameDigest) } }
            await #expect(throws: StoreError(.notFound, "")) { try await store.transaction { tx async throws in try await tx.updateCard(Fixtures.card(4)) } }
        }
    }

    @Test("a card keeps the reference it was opened with; two cards cannot share one", arguments: StoreBackend.allCases)
    func cardOpeningReferences(backend: StoreBackend) async throws {
        try await backend.withStore { store async throws in
            let unreferenced = [modified(Fixtures.card(2)) { $0.openingReference = nil }, modified(Fixtures.card(3)) { $0.openingReference = nil }]
            try await store.transaction { tx async throws in
                try await tx.insertCard(Fixtures.card(1))
                for card in unreferenced { try await tx.insertCard(card) }  // cards from before the column: several without one
            }
            #expect(try await store.transaction { tx async throws in try await tx.card(id: 1)?.openingReference } == "000000000001")
            #expect(try await store.transaction { tx async throws in try await tx.card(id: 2)?.openingReference } == nil)
            let reused = modified(Fixtures.card(4)) { $0.openingReference = "000000000001" }
            await #expect(throws: StoreError(.duplicate, "")) { try await store.transaction { tx async throws in try await tx.insertCard(reused) } }
        }
    }

    @Test("contracts round-trip, are found by digest, and list newest first", arguments: StoreBackend.allCases)
    func contracts(backend: StoreBackend) async throws {
        try await backend.withStore { store async throws in
            let older = Fixtures.contract("000000000001", cardID: 1, signedAt: Fixtures.time(10))
            let newer = Fixtures.contract("000000000002", cardID: 1, signedAt: Fixtures.time(20))
            try await store.transaction { tx async throws in
                try await tx.insertCard(Fixtures.card(1))
                try await tx.insertContract(older)
                try await tx.insertContract(newer)
            }
            try await store.transaction { tx async throws in
                #expect(try await tx.contract(reference: older.reference) == older)
                #expect(try await tx.contract(digest: newer.contractDigest) == newer)
                #expect(try await tx.contract(reference: "missing") == nil)
                #expect(try await tx.contracts(limit: 10) == [newer, older])
                #expect(try await tx.contracts(limit: 1) == [newer])
            }
            await #expect(throws: StoreError(.duplicate, "")) { try await store.transaction { tx async throws in try await tx.insertContract(older) } }
            let sameDigest = modified(Fixtures.contract("000000000003", cardID: 1)) { $0.contractDigest = older.contractDigest }
            await #expect(throws: StoreError(.duplicate, "")) { try await store.transaction { tx async throws in try await tx.insertContract(sameDigest) } }
        }
    }

    @Test("outbox entries get fresh ids and round-trip", arguments: StoreBackend.allCases)
    func outbox(backend: StoreBackend) async throws {
        try await backend.withStore { store async throws in
            let ids = try await store.transaction { tx async throws in
                try await Fixtures.insertContract("R1", cardID: 1, in: tx)
                try await Fixtures.insertContract("R2", cardID: 1, in: tx)
                return [try await tx.insertOutboxEntry(Fixtures.outboxEntry("R1")), try await tx.insertOutboxEntry(Fixtures.outboxEntry("R2"))]
            }
            #expect(ids[0] != ids[1])
            let first = modified(Fixtures.outboxEntry("R1")) { $0.id = ids[0] }
            let delivered = modified(first) {
                $0.state = .delivered; $0.attempts = 3; $0.lastError = "HTTP 503"
                $0.leaseOwner = "node-a"; $0.leaseExpiresAt = Fixtures.time(30); $0.deliveredAt = Fixtures.time(31)
            }
            try await store.transaction { tx async throws in
                #expect(try await tx.outboxEntry(id: ids[0]) == first)
                try await tx.updateOutboxEntry(delivered)
                #expect(try await tx.outboxEntry(id: ids[0]) == delivered)
                #expect(try await tx.outboxEntries(states: [.pending], limit: 10).map(\.id) == [ids[1]])
                #expect(try await tx.outboxEntries(states: [.pending, .delivered], limit: 10).map(\.id) == ids)
                #expect(try await tx.outboxEntries(states: [.deadLettered], limit: 10).isEmpty)
            }
            let missing = modified(first) { $0.id = 999_999 }
            await #expect(throws: StoreError(.notFound, "")) { try await store.transaction { tx async throws in try await tx.updateOutboxEntry(missing) } }
        }
    }

    @Test("claiming respects due time, lease expiry, limit and other owners' leases", arguments: StoreBackend.allCases)
    func claimDueOutboxEntries(backend: StoreBackend) async throws {
        try await backend.withStore { store async throws in
            let now = Fixtures.time(1000)
            let ids = try await store.transaction { tx async throws in
                var ids: [Int64] = []
                for index in 1...5 {
                    try await Fixtures.insertContract("R\(index)", cardID: 1, in: tx)
                    // R4 is due only later; the others are due now or earlier.
                    let due = index == 4 ? Fixtures.time(2000) : Fixtures.time(Double(990 + index))
                    ids.append(try await tx.insertOutboxEntry(Fixtures.outboxEntry("R\(index)", nextAttemptAt: due)))
                }
                try await tx.updateOutboxEntry(modified(try #require(try await tx.outboxEntry(id: ids[4]))) { $0.state = .delivered })
                return ids
            }
            let leaseEnd = Fixtures.time(1060)
            let claimedByA = try await store.transaction { tx async throws in
                try await tx.claimDueOutboxEntries(now: now, owner: "node-a", leaseUntil: leaseEnd, limit: 2)
            }
            #expect(claimedByA.map(\.id) == [ids[0], ids[1]])
            #expect(claimedByA.allSatisfy { $0.leaseOwner == "node-a" && $0.leaseExpiresAt == leaseEnd })
            #expect(try await store.transaction { tx async throws in try await tx.outboxEntry(id: ids[0]) } == claimedByA[0])

            // B gets what is left and due: not A's leased ones, not R4 (later), not R5 (delivered).
            let claimedByB = try await store.transaction { tx async throws in
                try await tx.claimDueOutboxEntries(now: Fixtures.time(1059), owner: "node-b", leaseUntil: Fixtures.time(1100), limit: 10)
            }
            #expect(claimedByB.map(\.id) == [ids[2]])

            // Once A's lease has run out, C may take them.
            let claimedByC = try await store.transaction { tx async throws in
                try await tx.claimDueOutboxEntries(now: leaseEnd, owner: "node-c", leaseUntil: Fixtures.time(1200), limit: 10)
            }
            #expect(claimedByC.map(\.id) == [ids[0], ids[1]])
            #expect(try await store.transaction { tx async throws in try await tx.claimDueOutboxEntries(now: now, owner: "x", leaseUntil: now, limit: 0) }.isEmpty)

            // C restarts under its name: its leases end at once, and the entries are due again.
            #expect(try await store.transaction { tx async throws in try await tx.releaseOutboxLeases(owner: "node-c") } == 2)
            #expect(try await store.transaction { tx async throws in try await tx.releaseOutboxLeases(owner: "node-c") } == 0)
            #expect(try await store.transaction { tx async throws in try await tx.outboxEntry(id: ids[2])?.leaseOwner } == "node-b")
            let reclaimed = try await store.transaction { tx async throws in
                try await tx.claimDueOutboxEntries(now: Fixtures.time(1061), owner: "node-c", leaseUntil: Fixtures.time(1300), limit: 10)
            }
            #expect(reclaimed.map(\.id) == [ids[0], ids[1]])
        }
    }

    @Test("a ledger entry is recorded once per contract", arguments: StoreBackend.allCases)
    func ledger(backend: StoreBackend) async throws {
        try await backend.withStore { store async throws in
            let entry = Fixtures.ledgerEntry("R1", signedAt: Fixtures.time(1))
            let second = Fixtures.ledgerEntry("R2", signedAt: Fixtures.time(2))
            try await store.ledgerTransaction { tx async throws in
                try await tx.recordLedgerEntry(entry)
                try await tx.recordLedgerEntry(second)
                try await tx.recordLedgerEntry(Fixtures.ledgerEntry("R3", carrier: "CU"))
                try await tx.recordLedgerEntry(Fixtures.ledgerEntry("R4", day: "2023-11-15"))
            }
            let redelivered = modified(entry) { $0.recordedAt = Fixtures.time(500); $0.tariff = "changed" }
            try await store.ledgerTransaction { tx async throws in try await tx.recordLedgerEntry(redelivered) }
            let entries = try await store.ledgerTransaction { tx async throws in try await tx.ledgerEntries(carrierCode: "CM", day: "2023-11-14") }
            #expect(entries == [entry, second])
        }
    }

    @Test("the message log replaces by STAN and keeps the newest entries of a terminal", arguments: StoreBackend.allCases)
    func messageLog(backend: StoreBackend) async throws {
        try await backend.withStore { store async throws in
            try await store.transaction { tx async throws in
                for stan in 1...6 { try await tx.putMessageLogEntry(Fixtures.messageLogEntry(terminal: "T1", stan: String(format: "%06d", stan))) }
                try await tx.putMessageLogEntry(Fixtures.messageLogEntry(terminal: "T2", stan: "000001"))
            }
            let replaced = modified(Fixtures.messageLogEntry(terminal: "T1", stan: "000002", session: 9)) { $0.response = [] }
            try await store.transaction { tx async throws in
                #expect(try await tx.messageLogEntry(terminalID: "T1", stan: "000003") == Fixtures.messageLogEntry(terminal: "T1", stan: "000003"))
                #expect(try await tx.messageLogEntry(terminalID: "T1", stan: "999999") == nil)
                // Rewriting STAN 2 makes it the newest.
                try await tx.putMessageLogEntry(replaced)
                #expect(try await tx.messageLogEntry(terminalID: "T1", stan: "000002") == replaced)
                try await tx.pruneMessageLog(terminalID: "T1", keep: 3)
            }
            let kept = try await store.transaction { tx async throws in
                var kept: [String] = []
                for stan in 1...6 {
                    let stan = String(format: "%06d", stan)
                    if try await tx.messageLogEntry(terminalID: "T1", stan: stan) != nil { kept.append(stan) }
                }
                return kept
            }
            #expect(kept == ["000002", "000005", "000006"])
            try await store.transaction { tx async throws in
                #expect(try await tx.messageLogEntry(terminalID: "T2", stan: "000001") != nil)
                try await tx.pruneMessageLog(terminalID: "T1", keep: 10)
                #expect(try await tx.messageLogEntry(terminalID: "T1", stan: "000005") != nil)
                try await tx.pruneMessageLog(terminalID: "T1", keep: 0)
                #expect(try await tx.messageLogEntry(terminalID: "T1", stan: "000006") == nil)
                #expect(try await tx.messageLogEntry(terminalID: "T2", stan: "000001") != nil)
            }
        }
    }

    @Test("audit entries come back in order after a sequence", arguments: StoreBackend.allCases)
    func audit(backend: StoreBackend) async throws {
        try await backend.withStore { store async throws in
            #expect(try await store.transaction { tx async throws in try await tx.lastAuditEntry() } == nil)
            try await store.transaction { tx async throws in for sequence in 1...6 { try await tx.appendAuditEntry(Fixtures.auditEntry(Int64(sequence))) } }
            try await store.transaction { tx async throws in
                #expect(try await tx.lastAuditEntry() == Fixtures.auditEntry(6))
                #expect(try await tx.auditEntries(after: 2, limit: 3) == (3...5).map { Fixtures.auditEntry(Int64($0)) })
                #expect(try await tx.auditEntries(after: 0, limit: 100).map(\.sequence) == Array(1...6))
                #expect(try await tx.auditEntries(after: 6, limit: 100).isEmpty)
            }
            await #expect(throws: StoreError(.duplicate, "")) { try await store.transaction { tx async throws in try await tx.appendAuditEntry(Fixtures.auditEntry(3)) } }
        }
    }

    @Test("sequences start at 1 and count up, each on its own", arguments: StoreBackend.allCases)
    func sequences(backend: StoreBackend) async throws {
        try await backend.withStore { store async throws in
            let values = try await store.transaction { tx async throws in
                [try await tx.nextSequenceValue("session"), try await tx.nextSequenceValue("session"),
                 try await tx.nextSequenceValue("reference"), try await tx.nextSequenceValue("session")]
            }
            #expect(values == [1, 2, 1, 3])
        }
    }

    // MARK: - Exactness

    @Test("dates keep the microsecond; a date read back is stored unchanged", arguments: StoreBackend.allCases)
    func datePrecision(backend: StoreBackend) async throws {
        try await backend.withStore { store async throws in
            let dates = [Date(), Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: -86_400.000001),
                         Date(timeIntervalSince1970: 1_999_999_999.999999), Date(timeIntervalSince1970: 1_700_000_000.000001)]
            for (index, date) in dates.enumerated() {
                let id = "T\(index)"
                let terminal = modified(Fixtures.minimalTerminal(id)) { $0.createdAt = date; $0.lastSeenAt = date }
                try await store.transaction { tx async throws in try await tx.insertTerminal(terminal) }
                let once = try #require(try await store.transaction { tx async throws in try await tx.terminal(id: id) })
                #expect(abs(once.createdAt.timeIntervalSince(date)) < 0.000_001)
                try await store.transaction { tx async throws in try await tx.updateTerminal(once) }
                let twice = try await store.transaction { tx async throws in try await tx.terminal(id: id) }
                #expect(twice == once)
            }
            // Dates written with at most six decimals come back equal.
            let exact = Date(timeIntervalSince1970: 1_700_000_000.000001)
            #expect(try await store.transaction { tx async throws in try await tx.terminal(id: "T4") }?.createdAt == exact)
        }
    }

    @Test("empty byte arrays and empty strings are kept apart from nil", arguments: StoreBackend.allCases)
    func emptyValues(backend: StoreBackend) async throws {
        try await backend.withStore { store async throws in
            let terminal = modified(Fixtures.minimalTerminal("T1")) {
                $0.deviceSigningKey = []; $0.enrollmentCodeBlock = ""; $0.lastNetworkRequestSTAN = ""
            }
            try await store.transaction { tx async throws in try await tx.insertTerminal(terminal) }
            #expect(try await store.transaction { tx async throws in try await tx.terminal(id: "T1") } == terminal)
        }
    }

    @Test("error messages name the table, never the row's values", arguments: StoreBackend.allCases)
    func errorMessagesHoldNoValues(backend: StoreBackend) async throws {
        try await backend.withStore { store async throws in
            let secret = "SECRET-4111111111111111"
            try await store.transaction { tx async throws in try await tx.insertOperator(Fixtures.operatorRecord(secret)) }
            let error = await #expect(throws: StoreError.self) {
                try await store.transaction { tx async throws in try await tx.insertOperator(Fixtures.operatorRecord(secret)) }
            }
            #expect(error?.code == .duplicate)
            #expect(error?.message.contains("operators") == true)
            #expect(error?.message.contains("SECRET") == false)
            #expect(error?.message.contains("4111") == false)
        }
    }

    // MARK: - Transactions

    @Test("a throwing body rolls back everything it wrote", arguments: StoreBackend.allCases)
    func rollback(backend: StoreBackend) async throws {
        try await backend.withStore { store async throws in
            try await store.transaction { tx async throws in _ = try await tx.nextSequenceValue("s") }
            await #expect(throws: BodyFailure()) {
                try await store.transaction { tx async throws in
                    try await tx.insertTerminal(Fixtures.minimalTerminal("T1"))
                    try await tx.insertCard(Fixtures.card(1))
                    _ = try await tx.nextSequenceValue("s")
                    try await tx.appendAuditEntry(Fixtures.auditEntry(1))
                    throw BodyFailure()
                }
            }
            // A store error inside the body, caught by nobody, rolls back the same way.
            await #expect(throws: StoreError(.duplicate, "")) {
                try await store.transaction { tx async throws in
                    try await tx.insertOperator(Fixtures.operatorRecord("01"))
                    try await tx.insertOperator(Fixtures.operatorRecord("01"))
                }
            }
            // A body that catches a store error and carries on commits nothing either: on
            // PostgreSQL the failed statement has already aborted the transaction, and both
            // stores behave alike.
            await #expect(throws: StoreError(.failure, "")) {
                try await store.transaction { tx async throws in
                    try await tx.insertTerminal(Fixtures.minimalTerminal("T2"))
                    try await tx.insertOperator(Fixtures.operatorRecord("02"))
                    do {
                        try await tx.insertOperator(Fixtures.operatorRecord("02"))
                        Issue.record("a second operator 02 was inserted")
                    } catch let error as StoreError {
                        #expect(error.code == .duplicate)
                    }
                }
            }
            try await store.transaction { tx async throws in
                #expect(try await tx.terminals().isEmpty)
                #expect(try await tx.cards().isEmpty)
                #expect(try await tx.lastAuditEntry() == nil)
                #expect(try await tx.operators().isEmpty)
                #expect(try await tx.nextSequenceValue("s") == 2)
            }
        }
    }

    @Test("a transaction object fails once its transaction has ended", arguments: StoreBackend.allCases)
    func transactionAfterEnd(backend: StoreBackend) async throws {
        try await backend.withStore { store async throws in
            let leaked = try await store.transaction { tx async throws in tx }
            await #expect(throws: StoreError(.failure, "")) { try await leaked.insertTerminal(Fixtures.minimalTerminal("T1")) }
            await #expect(throws: StoreError(.failure, "")) { _ = try await leaked.terminals() }
            do {
                try await store.transaction { tx async throws in throw Escape(tx: tx) }
            } catch let escape as Escape {
                await #expect(throws: StoreError(.failure, "")) { try await escape.tx.insertTerminal(Fixtures.minimalTerminal("T1")) }
            }
            #expect(try await store.transaction { tx async throws in try await tx.terminals() }.isEmpty)
        }
    }

    @Test("concurrent transactions serialise: no lost update, no duplicate id", arguments: StoreBackend.allCases)
    func concurrentTransactions(backend: StoreBackend) async throws {
        try await backend.withStore { store async throws in
            try await store.transaction { tx async throws in try await tx.insertOperator(Fixtures.operatorRecord("01")) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<50 {
                    group.addTask {
                        try await store.transaction { tx async throws in
                            // Read-modify-write across suspensions: a lost update would show.
                            var record = try #require(try await tx.operatorRecord(number: "01"))
                            await Task.yield()
                            record.consecutiveFailures += 1
                            try await tx.updateOperator(record)
                            let id = try await tx.nextSequenceValue("card")
                            try await tx.insertCard(Fixtures.card(id))
                        }
                    }
                }
                try await group.waitForAll()
            }
            try await store.transaction { tx async throws in
                #expect(try await tx.operatorRecord(number: "01")?.consecutiveFailures == 2 + 50)
                #expect(try await tx.cards().map(\.id) == Array(1...50))
                #expect(try await tx.nextSequenceValue("card") == 51)
            }
        }
    }
}
