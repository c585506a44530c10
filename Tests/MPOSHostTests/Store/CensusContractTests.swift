import Foundation
import MPOSHost
import Testing

/// The aggregate queries behind the fleet summary and the metrics, on every backend: the same
/// answers as counting the rows one by one.
@Suite("HostStore contract: census")
struct CensusContractTests {
    @Test("terminals by state and on older keys, and the outbox's depth and oldest entry", arguments: StoreBackend.allCases)
    func census(backend: StoreBackend) async throws {
        try await backend.withStore { store async throws in
            var blocked = Fixtures.fullTerminal("00000001")
            blocked.masterKeyVersion = 1
            var signedIn = Fixtures.fullTerminal("00000002")
            signedIn.isBlocked = false
            signedIn.masterKeyVersion = 2
            var signedOut = signedIn
            signedOut.id = "00000003"
            signedOut.currentSession = nil
            signedOut.masterKeyVersion = 1
            let awaiting = Fixtures.minimalTerminal("00000004")
            let records = [blocked, signedIn, signedOut, awaiting]
            try await store.transaction { tx async throws in
                #expect(try await tx.terminalCensus(activeVersion: nil) == TerminalCensus(byState: [:], onOlderKeys: 0))
                #expect(try await tx.outboxCensus() == OutboxCensus(pending: 0, deadLettered: 0, oldestPendingCreatedAt: nil))
                for record in records { try await tx.insertTerminal(record) }
                try await tx.insertCard(Fixtures.card(1))
                for reference in ["R1", "R2", "R3"] { try await Fixtures.insertContract(reference, cardID: 1, in: tx) }
                var old = Fixtures.outboxEntry("R1")
                old.createdAt = Fixtures.time(1)
                _ = try await tx.insertOutboxEntry(old)
                _ = try await tx.insertOutboxEntry(Fixtures.outboxEntry("R2"))
                var dead = Fixtures.outboxEntry("R3")
                dead.state = .deadLettered
                _ = try await tx.insertOutboxEntry(dead)
            }
            try await store.transaction { tx async throws in
                let census = try await tx.terminalCensus(activeVersion: 2)
                var expected: [TerminalRecord.DisplayState: Int] = [:]
                for record in records { expected[record.displayState, default: 0] += 1 }
                #expect(census.byState == expected)
                #expect(census.onOlderKeys == 2)
                #expect(try await tx.outboxCensus() == OutboxCensus(pending: 2, deadLettered: 1, oldestPendingCreatedAt: Fixtures.time(1)))
            }
        }
    }
}

extension CensusContractTests {
    @Test("pages: filters, order, offset, limit and the filtered total, as counting by hand gives them", arguments: StoreBackend.allCases)
    func pages(backend: StoreBackend) async throws {
        try await backend.withStore { store async throws in
            let records = (1...7).map { index in
                modified(Fixtures.minimalTerminal(String(format: "%08d", index))) { record in
                    record.label = index % 2 == 0 ? "Counter_\(index) 50%" : "Desk \(index)"
                    record.lastSeenAt = Fixtures.time(Double(index))
                    if index == 3 { record.isBlocked = true }
                }
            }
            try await store.transaction { tx async throws in
                for record in records { try await tx.insertTerminal(record) }
                for (index, reference) in ["R1", "R2", "R3"].enumerated() { try await Fixtures.insertContract(reference, cardID: Int64(index + 1), in: tx) }
            }
            try await store.transaction { tx async throws in
                let all = try await tx.terminalPage(TerminalFilter(), offset: 2, limit: 3)
                #expect(all.total == 7 && all.rows.map(\.id) == ["00000003", "00000004", "00000005"])
                // LIKE's own characters match literally, in any case.
                let counters = try await tx.terminalPage(TerminalFilter(labelContains: "COUNTER_"), offset: 0, limit: 10)
                #expect(counters.total == 3 && counters.rows.allSatisfy { $0.label.hasPrefix("Counter_") })
                #expect(try await tx.terminalPage(TerminalFilter(labelContains: "0%"), offset: 0, limit: 10).total == 3)
                #expect(try await tx.terminalPage(TerminalFilter(labelContains: "_"), offset: 0, limit: 10).total == 3)
                let blocked = try await tx.terminalPage(TerminalFilter(state: .blocked), offset: 0, limit: 10)
                #expect(blocked.rows.map(\.id) == ["00000003"])
                #expect(try await tx.terminalPage(TerminalFilter(state: .awaitingEnrollment, seenSince: Fixtures.time(5)), offset: 0, limit: 10).total == 3)
                #expect(try await tx.terminalPage(TerminalFilter(), offset: 7, limit: 10).rows.isEmpty)
                let contracts = try await tx.contractPage(reference: nil, terminalID: nil, offset: 1, limit: 1)
                #expect(contracts.total == 3 && contracts.rows.count == 1)
                #expect(try await tx.contractPage(reference: "R2", terminalID: nil, offset: 0, limit: 10).rows.map(\.reference) == ["R2"])
                #expect(try await tx.cardPage(openingReference: nil, offset: 0, limit: 2).rows.map(\.id) == [1, 2])
                #expect(try await tx.cardPage(openingReference: nil, offset: 0, limit: 2).total == 3)
            }
        }
    }
}
