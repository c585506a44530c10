import Foundation
import MPOSCrypto
import MPOSHost
import MPOSProtocol
import MPOSHostSQLite
import Testing

@Suite("The patent's flow, host and terminal state machine, without sockets")
struct PatentFlowTests {
    @Test("enroll, sign on, open a card, sign a contract, deliver it, sign off", arguments: StoreBackend.allCases)
    func wholeFlow(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            var terminal = try await h.terminal(signedOn: false)
            #expect(try await h.terminalRecord(terminal.id).displayState == .signedOut)

            // Steps 101-104: sign-on; keys issued.
            guard case .signedIn(let keySet) = try await terminal.signOn() else { Issue.record("sign-on refused"); return }
            #expect(keySet.baseKeyVersion == 1)
            let record = try await h.terminalRecord(terminal.id)
            #expect(record.displayState == .signedIn)
            #expect(record.currentSession == Int64(keySet.session))
            #expect(record.masterKeyVersion == 1)

            // Steps 105-108: card opening.
            let card = HostHarness.cardNumber(1)
            let opened = try await terminal.openCard(card)
            #expect(opened.code == .approved)
            #expect(opened.reference?.count == 12)
            let cards = try await h.admin.cards()
            #expect(cards.count == 1)
            #expect(cards.first?.maskedCardNumber == (try PrimaryAccountNumber(card)).masked)
            #expect(cards.first?.customerIdentifier.count == 32)

            // Steps 109-111: contract signing for carrier 1.
            let signed = try await terminal.signContract(card)
            #expect(signed.code == .approved)
            let contracts = try await h.admin.contracts()
            #expect(contracts.map(\.reference) == [signed.reference!])
            #expect(contracts.first?.carrierCode == "1")
            #expect(try await h.admin.outbox(states: [.pending]).count == 1)

            // The outbox hands it to the ledger module; the carrier's file has it.
            let report = try await OutboxDispatcher(host: h.host, owner: "test").dispatchDue()
            #expect(report.delivered == 1)
            #expect(try await h.admin.outbox(states: [.delivered]).count == 1)
            let csv = try await h.admin.ledgerCSV(carrierCode: "1", day: LedgerExport.day(of: h.clock.now))
            #expect(csv.contains(signed.reference!))
            #expect(csv.contains(HostHarness.phoneNumber))
            #expect(!csv.contains(card))

            // Step 112: sign-off; the host ends the session and erases its keys.
            #expect(try await terminal.signOff() == .signedOff)
            #expect(try await h.terminalRecord(terminal.id).displayState == .signedOut)
            let session = try #require(try await h.session(Int64(keySet.session)))
            #expect(session.endReason == .signedOff)
            #expect(session.pinKeyBlock.isEmpty && session.macKeyBlock.isEmpty && session.dataKeyBlock.isEmpty)

            #expect(try await h.admin.verifyAuditTrail() == .intact(entries: try await h.admin.auditTail(1).first!.sequence))
            let events = try await h.admin.auditTail(100).map(\.event)
            for expected in ["terminal.enrolled", "sign-on.succeeded", "card.opened", "contract.signed", "sign-off"] {
                #expect(events.contains(expected), "audit lacks \(expected)")
            }
        }
    }

    @Test("two terminals get different master keys and different session keys", arguments: StoreBackend.allCases)
    func separateKeys(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            let one = try await h.terminal()
            let two = try await h.terminal()
            let masterOne = try #require(one.machine.credentials.masterKey)
            let masterTwo = try #require(two.machine.credentials.masterKey)
            #expect(masterOne != masterTwo)
            #expect(try masterOne.checkValue() != masterTwo.checkValue())

            let numberOne = try #require(try await h.terminalRecord(one.id).currentSession)
            let numberTwo = try #require(try await h.terminalRecord(two.id).currentSession)
            let sessionOne = try #require(try await h.session(numberOne))
            let sessionTwo = try #require(try await h.session(numberTwo))
            #expect(sessionOne.number != sessionTwo.number)
            #expect(try h.lmk.load(sessionOne.pinKeyBlock, as: PINEncryption.self) != h.lmk.load(sessionTwo.pinKeyBlock, as: PINEncryption.self))
            #expect(try h.lmk.load(sessionOne.macKeyBlock, as: MessageAuthentication.self) != h.lmk.load(sessionTwo.macKeyBlock, as: MessageAuthentication.self))
            #expect(try h.lmk.load(sessionOne.dataKeyBlock, as: DataEncryption.self) != h.lmk.load(sessionTwo.dataKeyBlock, as: DataEncryption.self))
        }
    }

    @Test("a new sign-on issues new keys and revokes the previous session's: its messages get A1", arguments: StoreBackend.allCases)
    func previousSessionRevoked(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            var terminal = try await h.terminal()
            let firstSession = try #require(try await h.terminalRecord(terminal.id).currentSession)
            let first = try #require(try await h.session(firstSession))
            // A copy of the terminal as it was in the first session, keys and all.
            var stale = terminal.machine

            #expect(try await terminal.signOff() == .signedOff)
            guard case .signedIn = try await terminal.signOn() else { Issue.record("second sign-on refused"); return }
            let secondSession = try #require(try await h.terminalRecord(terminal.id).currentSession)
            #expect(secondSession != firstSession)
            let second = try #require(try await h.session(secondSession))
            #expect(try h.lmk.load(second.macKeyBlock, as: MessageAuthentication.self) != h.lmk.load(first.macKeyBlock, as: MessageAuthentication.self))

            // The first session's keys: refused, and the stale terminal is told to sign on.
            let frame = try terminal.cardOpeningFrame(card: HostHarness.cardNumber(2), machine: &stale, at: h.clock.now)
            guard case .respond(let response) = await terminal.reply(to: frame) else { Issue.record("closed"); return }
            #expect(try stale.receive(response) == .refused(.keysOutdated))
            #expect(stale.state == .enrolled)
            #expect(try await h.admin.cards().isEmpty)

            // The current session works.
            #expect(try await terminal.openCard(HostHarness.cardNumber(2)).code == .approved)
        }
    }

    @Test("a terminal that lost its sign-on response, and with it its master key, signs on again with a new request", arguments: StoreBackend.allCases)
    func lostSignOnResponse(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            var terminal = try await h.terminal(signedOn: false)
            var lost = terminal.machine
            let frame = try lost.signOn(operator: OperatorCredentials(number: HostHarness.operatorNumber, key: HostHarness.operatorKey), at: h.clock.now)
            _ = await terminal.reply(to: frame)  // the host signs it on; the answer never arrives
            h.clock.advance(60)
            // The app restarts: a new request, a new STAN; the terminal still has no master key.
            terminal.machine = TerminalStateMachine(credentials: terminal.machine.credentials, lastSTAN: 5)
            guard case .signedIn = try await terminal.signOn() else { Issue.record("refused"); return }
            #expect(try await terminal.openCard(HostHarness.cardNumber(4)).code == .approved)
        }
    }

    @Test("the host's state survives a restart of the host on the same store")
    func survivesRestart() async throws {
        let folder = try TemporaryFolder.make()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("host.sqlite").path
        let lmk = try LocalMasterKey()
        let clock = TestClock()
        var machine: TerminalStateMachine
        do {
            let store = try await SQLiteHostStore.open(path: path)
            let h = try await HostHarness(store: store, lmk: lmk, clock: clock)
            var terminal = try await h.terminal()
            #expect(try await terminal.openCard(HostHarness.cardNumber(3)).code == .approved)
            machine = terminal.machine
            try await store.close()
        }
        let store = try await SQLiteHostStore.open(path: path)
        let h = try await HostHarness(store: store, lmk: lmk, clock: clock)
        var terminal = SimulatedTerminal(harness: h, id: machine.credentials.terminalID)
        terminal.machine = machine
        #expect(try await terminal.signContract(HostHarness.cardNumber(3)).code == .approved)
        #expect(try await h.admin.cards().count == 1)
        try await store.close()
    }
}
