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
