import Foundation
import ISO8583
import MPOSCrypto
@testable import MPOSHost
import MPOSProtocol
import Testing

/// The node's cache of unwrapped session keys saves work and nothing else: the session's row,
/// read in each request's transaction, decides which keys apply and whether they still do.
@Suite("Session key cache")
struct SessionKeyCacheTests {
    private static func entry(_ session: Int, blocks tag: String) throws -> SessionKeyCache.Entry {
        let keys = SessionKeys(pinKey: try AESKey<PINEncryption>(generating: .bits128), macKey: try AESKey<MessageAuthentication>(generating: .bits128),
                               dataKey: try AESKey<DataEncryption>(generating: .bits128), keySet: KeySetIdentifier(baseKeyVersion: 1, session: session)!)
        let record = SessionRecord(number: Int64(session), terminalID: "T", operatorNumber: "01", baseKeyVersion: 1,
                                   pinKeyBlock: "P\(tag)", macKeyBlock: "M\(tag)", dataKeyBlock: "D\(tag)", startedAt: Date())
        return SessionKeyCache.Entry(blocks: SessionKeyCache.Blocks(record), keys: keys)
    }

    @Test("bounded: past its capacity the oldest entries go; an ended session's entry is removed; capacity 0 keeps nothing")
    func bounded() throws {
        let cache = SessionKeyCache(capacity: 3)
        for session in 1...5 { cache.insert(try Self.entry(session, blocks: "\(session)"), session: Int64(session)) }
        #expect(cache.count == 3)
        #expect(cache.entry(session: 1) == nil && cache.entry(session: 2) == nil)
        #expect(cache.entry(session: 5)?.blocks == (try Self.entry(5, blocks: "5")).blocks)
        cache.remove(session: 4)
        #expect(cache.entry(session: 4) == nil && cache.count == 2)
        for session in 6...1000 { cache.insert(try Self.entry(session, blocks: "\(session)"), session: Int64(session)) }
        #expect(cache.count == 3)
        #expect(cache.entry(session: 1000) != nil && cache.entry(session: 998) != nil && cache.entry(session: 997) == nil)

        // A session removed and cached again is evicted by its new place in the order, not its old.
        let again = SessionKeyCache(capacity: 2)
        again.insert(try Self.entry(1, blocks: "1"), session: 1)
        again.insert(try Self.entry(2, blocks: "2"), session: 2)
        again.remove(session: 1)
        again.insert(try Self.entry(1, blocks: "1b"), session: 1)
        again.insert(try Self.entry(3, blocks: "3"), session: 3)
        #expect(again.entry(session: 1)?.blocks == (try Self.entry(1, blocks: "1b")).blocks)
        #expect(again.entry(session: 2) == nil && again.entry(session: 3) != nil)

        let off = SessionKeyCache(capacity: 0)
        off.insert(try Self.entry(1, blocks: "1"), session: 1)
        #expect(off.count == 0)
    }

    @Test("a session's keys are unwrapped once and reused; sign-off drops them", arguments: StoreBackend.allCases)
    func reusedAndDropped(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            var terminal = try await h.terminal()
            #expect(h.host.sessionKeyCache.count == 0)
            #expect(try await terminal.openCard(HostHarness.cardNumber(41)).code == .approved)
            #expect(h.host.sessionKeyCache.count == 1)
            #expect(try await terminal.signContract(HostHarness.cardNumber(41)).code == .approved)
            #expect(try await terminal.signContract(HostHarness.cardNumber(41), phone: "13900000001").code == .approved)
            #expect(h.host.sessionKeyCache.count == 1)
            #expect(try await terminal.signOff() == .signedOff)
            #expect(h.host.sessionKeyCache.count == 0)
        }
    }

    @Test("keys cached for a session are not used once the session's row holds other key blocks", arguments: StoreBackend.allCases)
    func rowDecides(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            var terminal = try await h.terminal()
            #expect(try await terminal.openCard(HostHarness.cardNumber(42)).code == .approved)
            let number = try #require(try await h.terminalRecord(terminal.id).currentSession)
            #expect(h.host.sessionKeyCache.entry(session: number) != nil)
            // The row now holds other keys (as a session number drawn again after a rolled-back
            // group would): the terminal's MAC, under the cached keys, must no longer verify.
            try await h.store.transaction { tx in
                var session = try #require(try await tx.session(number: number))
                session.pinKeyBlock = try h.lmk.store(try AESKey<PINEncryption>(generating: .bits128))
                session.macKeyBlock = try h.lmk.store(try AESKey<MessageAuthentication>(generating: .bits128))
                session.dataKeyBlock = try h.lmk.store(try AESKey<DataEncryption>(generating: .bits128))
                try await tx.updateSession(session)
            }
            let frame = try terminal.contractFrame(card: HostHarness.cardNumber(42), machine: &terminal.machine, at: h.clock.now)
            guard case .respond(let response) = await terminal.reply(to: frame) else { Issue.record("no response"); return }
            // A0, MACed under the row's keys (which the terminal does not hold).
            #expect(try ISO8583Codec(specification: .mpos).decode(response).text(MPOSField.responseCode) == ResponseCode.macFailure.rawValue)
            #expect(try await h.admin.contracts().isEmpty)
        }
    }

    @Test("a session ended by an administrator is refused even though this node still holds its keys", arguments: StoreBackend.allCases)
    func endedElsewhere(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            var terminal = try await h.terminal()
            #expect(try await terminal.openCard(HostHarness.cardNumber(43)).code == .approved)
            try await h.admin.forceSignOff(terminal.id)
            #expect(h.host.sessionKeyCache.count == 1)
            #expect(try await terminal.signContract(HostHarness.cardNumber(43)).code == .keysOutdated)
            // The refusal found the session ended: its keys are dropped here too.
            #expect(h.host.sessionKeyCache.count == 0)
            #expect(try await h.admin.contracts().isEmpty)
        }
    }
}
