import Foundation
import MPOSCrypto
import MPOSHost
import MPOSHostSQLite
import Testing

@Suite("The outbox: durable, at-least-once delivery to business modules")
struct OutboxTests {
    /// Signs `count` contracts for carrier 3 (the scripted module).
    private func signContracts(_ h: HostHarness, count: Int) async throws -> [String] {
        var terminal = try await h.terminal()
        var references: [String] = []
        for index in 0..<count {
            let card = HostHarness.cardNumber(800 + index)
            #expect(try await terminal.openCard(card).code == .approved)
            let signed = try await terminal.signContract(card, carrier: "3")
            #expect(signed.code == .approved)
            references.append(try #require(signed.reference))
        }
        return references
    }

    @Test("a transient failure is retried after a growing delay, then delivered", arguments: StoreBackend.allCases)
    func retries(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            _ = try await signContracts(h, count: 1)
            h.scripted.script([.retryLater(reason: "HTTP 503"), .retryLater(reason: "timeout")])
            var dispatcher = OutboxDispatcher(host: h.host, owner: "node-a", retryPolicy: RetryPolicy(initialDelay: 10, multiplier: 2, maximumDelay: 100, maximumAttempts: 5))
            dispatcher.jitterForTesting(1)
            #expect(try await dispatcher.dispatchDue().retried == 1)
            #expect(try await dispatcher.dispatchDue().claimed == 0)  // not due yet
            h.clock.advance(10)
            #expect(try await dispatcher.dispatchDue().retried == 1)
            h.clock.advance(10)
            #expect(try await dispatcher.dispatchDue().claimed == 0)  // the second delay is 20 s
            h.clock.advance(10)
            #expect(try await dispatcher.dispatchDue().delivered == 1)
            let entry = try #require(try await h.admin.outbox(states: [.delivered]).first)
            #expect(entry.attempts == 3 && entry.deliveredAt != nil && entry.lastError == nil)
            #expect(h.scripted.delivered.count == 3)
            #expect(Set(h.scripted.delivered.map(\.reference)).count == 1)
        }
    }

    @Test("after the policy's attempts, or on a rejection, an entry is dead-lettered; an administrator retries it", arguments: StoreBackend.allCases)
    func deadLetters(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            _ = try await signContracts(h, count: 2)
            h.scripted.script([.rejected(reason: "HTTP 400"), .retryLater(reason: "HTTP 500"), .retryLater(reason: "HTTP 500")])
            var dispatcher = OutboxDispatcher(host: h.host, owner: "node-a", retryPolicy: RetryPolicy(initialDelay: 1, maximumAttempts: 2))
            dispatcher.jitterForTesting(0)
            let first = try await dispatcher.dispatchDue()
            #expect(first.deadLettered == 1 && first.retried == 1)
            h.clock.advance(5)
            #expect(try await dispatcher.dispatchDue().deadLettered == 1)
            let dead = try await h.admin.outbox(states: [.deadLettered])
            #expect(dead.count == 2)
            #expect(Set(dead.compactMap(\.lastError)) == ["HTTP 400", "HTTP 500"])
            #expect(try await h.admin.auditTail(10).filter { $0.event == "outbox.dead-lettered" }.count == 2)

            for entry in dead { try await h.admin.retryOutboxEntry(id: entry.id) }
            #expect(try await dispatcher.dispatchDue().delivered == 2)
            await #expect(throws: HostError(.wrongState, "")) { try await h.admin.retryOutboxEntry(id: dead[0].id) }
        }
    }

    @Test("a claim is a lease: another node takes an entry only when the lease has run out", arguments: StoreBackend.allCases)
    func leases(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            _ = try await signContracts(h, count: 1)
            // Node A claims and dies before recording anything.
            let claimed = try await h.store.transaction { tx in
                try await tx.claimDueOutboxEntries(now: h.clock.now, owner: "node-a", leaseUntil: h.clock.now.addingTimeInterval(120), limit: 10)
            }
            #expect(claimed.count == 1)
            let nodeB = OutboxDispatcher(host: h.host, owner: "node-b")
            #expect(try await nodeB.dispatchDue().claimed == 0)
            h.clock.advance(121)
            #expect(try await nodeB.dispatchDue().delivered == 1)
            #expect(h.scripted.delivered.count == 1)
        }
    }

    @Test("pending deliveries survive a restart")
    func survivesRestart() async throws {
        let folder = try TemporaryFolder.make()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("host.sqlite").path
        let lmk = try LocalMasterKey()
        let clock = TestClock()
        do {
            let store = try await SQLiteHostStore.open(path: path)
            let h = try await HostHarness(store: store, lmk: lmk, clock: clock)
            _ = try await signContracts(h, count: 3)
            try await store.close()
        }
        let store = try await SQLiteHostStore.open(path: path)
        let h = try await HostHarness(store: store, lmk: lmk, clock: clock)
        #expect(try await OutboxDispatcher(host: h.host, owner: "after-restart").dispatchDue().delivered == 3)
        try await store.close()
    }
}
