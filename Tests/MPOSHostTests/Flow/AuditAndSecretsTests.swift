import Foundation
import MPOSCrypto
import MPOSHost
import MPOSHostSQLite
import Testing

@Suite("Audit trail and secrets at rest")
struct AuditAndSecretsTests {
    /// A file store with a full flow in it; `body` gets the harness and the store's path.
    private func withFlow(operatorKey: String = HostHarness.operatorKey, _ body: (HostHarness, SQLiteHostStore, String, [String]) async throws -> Void) async throws {
        let folder = try TemporaryFolder.make()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("host.sqlite").path
        let store = try await SQLiteHostStore.open(path: path)
        let h = try await HostHarness(store: store)
        var terminal = try await h.terminal()
        let cards = [HostHarness.cardNumber(700), HostHarness.cardNumber(701)]
        for card in cards {
            #expect(try await terminal.openCard(card, pin: "739154").code == .approved)
            #expect(try await terminal.signContract(card, pin: "739154").code == .approved)
        }
        #expect(try await terminal.signContract(cards[0], pin: "000000", phone: "13900000001").code == .incorrectPIN)
        try await body(h, store, path, cards)
        try await store.close()
    }

    @Test("the audit trail records every security event and verifies intact")
    func intact() async throws {
        try await withFlow { h, _, _, _ in
            let entries = try await h.admin.auditTail(1000)
            let events = Set(entries.map(\.event))
            for event in ["key.created", "key.bmk.created", "admin.operator.add", "admin.terminal.add", "terminal.enrolled",
                          "sign-on.succeeded", "card.opened", "contract.signed", "contract.sign.refused"] {
                #expect(events.contains(event), "no \(event) entry")
            }
            #expect(try await h.admin.verifyAuditTrail() == .intact(entries: Int64(entries.count)))
        }
    }

    @Test("times finer than a microsecond do not break the chain: it covers the time as stored", arguments: StoreBackend.allCases)
    func subMicrosecondTimes(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let clock = TestClock(Date(timeIntervalSince1970: 1_795_000_000.123_456_789))
            let h = try await HostHarness(store: store, clock: clock)
            for index in 0..<20 {
                clock.advance(0.000_000_37 + Double(index) * 0.013_579_246_8)
                _ = try await h.admin.addTerminal(label: "t\(index)")
            }
            let count = try #require(try await h.admin.auditTail(1).first).sequence
            #expect(try await h.admin.verifyAuditTrail() == .intact(entries: count))
        }
    }

    @Test("an altered row breaks the chain at that row")
    func alteredRow() async throws {
        try await withFlow { h, store, _, _ in
            _ = try await store.rawScalar("UPDATE audit SET details = 'nothing happened' WHERE sequence = 12")
            #expect(try await h.admin.verifyAuditTrail() == .broken(atSequence: 12, reason: "entry 12 was altered, or an entry before it was removed or inserted"))
        }
    }

    @Test("a deleted row is found by the gap it leaves; one replaced by a forged row, by its MAC")
    func deletedAndForgedRows() async throws {
        try await withFlow { h, store, _, _ in
            _ = try await store.rawScalar("DELETE FROM audit WHERE sequence = 9")
            guard case .broken(let sequence, let reason) = try await h.admin.verifyAuditTrail() else { Issue.record("not detected"); return }
            #expect(sequence == 9)
            #expect(reason.contains("missing"))
            // A forged row in its place, with a plausible MAC copied from another row.
            _ = try await store.rawScalar("INSERT INTO audit SELECT 9, recorded_at, 'sign-on.succeeded', actor, subject, 'ok', '', mac FROM audit WHERE sequence = 10")
            #expect(try await h.admin.verifyAuditTrail() == .broken(atSequence: 9, reason: "entry 9 was altered, or an entry before it was removed or inserted"))
        }
    }

    @Test("rows cut from the end leave a valid shorter chain, found against a head recorded earlier")
    func truncatedTail() async throws {
        try await withFlow { h, store, _, _ in
            let head = try #require(try await h.admin.auditHead())
            #expect(AuditHead(head.description) == head)
            _ = try await store.rawScalar("DELETE FROM audit WHERE sequence > \(head.sequence - 3)")
            #expect(try await h.admin.verifyAuditTrail() == .intact(entries: head.sequence - 3))
            #expect(try await h.admin.verifyAuditTrail(expectedHead: head)
                    == .broken(atSequence: head.sequence - 2, reason: "entries \(head.sequence - 2) to \(head.sequence) are missing: the trail was cut short"))
            // A head that does not match the row at its sequence is refused too.
            let other = AuditHead(sequence: head.sequence - 5, mac: head.mac)
            #expect(try await h.admin.verifyAuditTrail(expectedHead: other)
                    == .broken(atSequence: head.sequence - 5, reason: "entry \(head.sequence - 5) is not the one recorded in the expected head"))
        }
    }

    @Test("a row appended without the audit key is found")
    func appendedRow() async throws {
        try await withFlow { h, store, _, _ in
            let last = try #require(try await h.admin.auditTail(1).first)
            _ = try await store.rawScalar("INSERT INTO audit SELECT sequence + 1, recorded_at, event, actor, subject, outcome, details, mac FROM audit WHERE sequence = \(last.sequence)")
            #expect(try await h.admin.verifyAuditTrail() == .broken(atSequence: last.sequence + 1, reason: "entry \(last.sequence + 1) was altered, or an entry before it was removed or inserted"))
        }
    }

    @Test("no secret is in the database file: not a card or identity number, PIN, operator key, key or LMK")
    func nothingSecretAtRest() async throws {
        try await withFlow(operatorKey: HostHarness.operatorKey) { h, store, path, cards in
            // Every key the host holds, in clear, as it would appear if written carelessly.
            var secrets: [(String, [UInt8])] = [("LMK", h.lmk.unsafeRawBytes)]
            for session in try await sessions(store) where !session.pinKeyBlock.isEmpty {
                secrets.append(("PIN key", try h.lmk.load(session.pinKeyBlock, as: PINEncryption.self).unsafeRawBytes()))
                secrets.append(("MAC key", try h.lmk.load(session.macKeyBlock, as: MessageAuthentication.self).unsafeRawBytes()))
                secrets.append(("data key", try h.lmk.load(session.dataKeyBlock, as: DataEncryption.self).unsafeRawBytes()))
            }
            for key in try await store.transaction({ tx in try await tx.baseMasterKeys() }) where !key.block.isEmpty {
                secrets.append(("base master key", try h.lmk.load(key.block, as: BaseDerivation.self).unsafeRawBytes()))
            }
            for card in cards { secrets.append(("card number", Array(card.utf8))) }
            secrets.append(("identity number", Array(HostHarness.identityNumber.utf8)))
            secrets.append(("PIN", Array("739154".utf8)))
            secrets.append(("operator key", Array(HostHarness.operatorKey.utf8)))
            // Checkpoint the WAL into the file so everything written is in one place, and read both.
            _ = try await store.rawScalar("PRAGMA wal_checkpoint(FULL)")
            var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: path)))
            if let wal = FileManager.default.contents(atPath: path + "-wal") { bytes += Array(wal) }
            #expect(bytes.count > 10_000)
            // The control: what is meant to be there in clear (the carrier needs it) is found.
            #expect(contains(bytes, Array(HostHarness.phoneNumber.utf8)))
            for (name, secret) in secrets {
                #expect(!contains(bytes, secret), "the database holds a \(name) in clear")
            }
        }
    }

    private func sessions(_ store: any HostStore) async throws -> [SessionRecord] {
        try await store.transaction { tx in
            var sessions: [SessionRecord] = []
            for terminal in try await tx.terminals() {
                if let number = terminal.currentSession, let session = try await tx.session(number: number) { sessions.append(session) }
            }
            return sessions
        }
    }

    private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        return (0...(haystack.count - needle.count)).contains { start in
            haystack[start] == needle[0] && haystack[start..<(start + needle.count)].elementsEqual(needle)
        }
    }
}
