import Foundation
import ISO8583
import MPOSCrypto
import MPOSHost
import MPOSProtocol
import Testing

/// Every refusal of the host, each with its response code (docs/protocol.md §4 and §6).
@Suite("Host refusals")
struct RefusalTests {
    // MARK: Operators

    @Test("a wrong operator key gets A2; five in a row lock the operator (A3) until an administrator unlocks it", arguments: StoreBackend.allCases)
    func operatorLockout(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            var terminal = try await h.terminal(signedOn: false)
            for attempt in 1...5 {
                #expect(try await terminal.signOn(key: "654321") == .refused(.invalidOperator), "attempt \(attempt)")
            }
            #expect(try await h.admin.operators().first?.isLocked == true)
            // The right key no longer helps.
            #expect(try await terminal.signOn() == .refused(.operatorLocked))
            let events = try await h.admin.auditTail(20).map(\.event)
            #expect(events.contains("operator.locked"))
            try await h.admin.unlockOperator(HostHarness.operatorNumber)
            guard case .signedIn = try await terminal.signOn() else { Issue.record("sign-on after unlock refused"); return }
        }
    }

    @Test("a locked or disabled operator is revealed (A3) only to someone with its key", arguments: StoreBackend.allCases)
    func lockedOperatorNotRevealed(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            var terminal = try await h.terminal(signedOn: false)
            try await h.admin.setOperatorDisabled(HostHarness.operatorNumber, true)
            #expect(try await terminal.signOn(key: "guess-1") == .refused(.invalidOperator))
            #expect(try await terminal.signOn("77", key: "guess-2") == .refused(.invalidOperator))
            #expect(try await terminal.signOn() == .refused(.operatorLocked))
        }
    }

    @Test("wrong operator keys spread over many operators block the terminal after ten in a row", arguments: StoreBackend.allCases)
    func guessingAcrossOperators(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            for number in 2...5 { _ = try await h.admin.addOperator(number: "0\(number)", name: "Operator \(number)", key: "Key-\(number)-ok") }
            var terminal = try await h.terminal(signedOn: false)
            for attempt in 0..<9 {
                #expect(try await terminal.signOn("0\(attempt % 5 + 1)", key: "000000") == .refused(.invalidOperator))
            }
            #expect(try await h.admin.operators().allSatisfy { !$0.isLocked })
            #expect(try await terminal.signOn("99", key: "000000") == .refused(.invalidOperator))
            #expect(try await h.terminalRecord(terminal.id).displayState == .blocked)
            #expect(try await terminal.signOn() == .refused(.terminalBlocked))
            #expect(try await h.admin.auditTail(10).contains { $0.event == "terminal.blocked" })
            try await h.admin.unblockTerminal(terminal.id)
            guard case .signedIn = try await terminal.signOn() else { Issue.record("refused after unblock"); return }
        }
    }

    @Test("a success resets the count of wrong operator keys", arguments: StoreBackend.allCases)
    func operatorFailuresReset(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            var terminal = try await h.terminal(signedOn: false)
            for _ in 1...4 { #expect(try await terminal.signOn(key: "000000") == .refused(.invalidOperator)) }
            guard case .signedIn = try await terminal.signOn() else { Issue.record("refused"); return }
            #expect(try await h.admin.operators().first?.consecutiveFailures == 0)
        }
    }

    @Test("an unknown operator gets A2, a disabled one A3", arguments: StoreBackend.allCases)
    func unknownAndDisabledOperators(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            var terminal = try await h.terminal(signedOn: false)
            #expect(try await terminal.signOn("99", key: HostHarness.operatorKey) == .refused(.invalidOperator))
            try await h.admin.setOperatorDisabled(HostHarness.operatorNumber, true)
            #expect(try await terminal.signOn() == .refused(.operatorLocked))
            try await h.admin.setOperatorDisabled(HostHarness.operatorNumber, false)
            guard case .signedIn = try await terminal.signOn() else { Issue.record("refused"); return }
        }
    }

    @Test("sign-off checks the operator again", arguments: StoreBackend.allCases)
    func signOffChecksOperator(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            var terminal = try await h.terminal()
            #expect(try await terminal.signOff(key: "999999") == .refused(.invalidOperator))
            #expect(try await h.terminalRecord(terminal.id).displayState == .signedIn)
            #expect(try await terminal.signOff() == .signedOff)
        }
    }

    // MARK: Terminals

    @Test("an unknown terminal, and one not yet enrolled, get 03", arguments: StoreBackend.allCases)
    func unknownAndUnenrolledTerminals(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            // A terminal that enrolled with this host but whose ID the host no longer knows is
            // not possible; an enrolled twin of a known terminal with an unknown ID is.
            var twin = try await h.terminal(signedOn: false)
            let (record, _) = try await h.admin.addTerminal(label: "never enrolled")
            // Same device, requests naming another terminal ID: the state machine cannot make
            // them, so build the sign-on by hand, as an attacker would.
            for id in ["ZZZZZZZZ", record.id] {
                var message = MessageKind.signOn.request(transmissionTime: TransmissionDateTime(h.clock.now).field, stan: "000001", terminalID: id)
                try SignOnSecurity.sealCredentials(OperatorCredentials(number: "01", key: HostHarness.operatorKey), into: &message, to: h.host.sealingPublicKey)
                let frame = try MessageSignature.sign(message, with: twin.machine.credentials.deviceSigning, codec: ISO8583Codec(specification: .mpos))
                guard case .respond(let response) = await twin.reply(to: frame) else { Issue.record("closed"); return }
                #expect(try signedResponseCode(response, answering: frame, host: h.host) == .invalidTerminal, "terminal \(id)")
            }
            guard case .signedIn = try await twin.signOn() else { Issue.record("refused"); return }
        }
    }

    @Test("a blocked terminal gets 58 for everything; its session ends; unblocked, it signs on again", arguments: StoreBackend.allCases)
    func blockedTerminal(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            var terminal = try await h.terminal()
            let stale = terminal.machine
            try await h.admin.blockTerminal(terminal.id)
            #expect(try await h.terminalRecord(terminal.id).displayState == .blocked)
            #expect(try await terminal.openCard(HostHarness.cardNumber(10)) == .answered(.terminalBlocked, retrievalReference: nil))
            terminal.machine = stale
            #expect(try await terminal.signOff() == .refused(.terminalBlocked))
            try await h.admin.unblockTerminal(terminal.id)
            #expect(try await h.terminalRecord(terminal.id).displayState == .signedOut)
            // The session ended when the terminal was blocked: its keys are revoked.
            terminal.machine = stale
            #expect(try await terminal.openCard(HostHarness.cardNumber(10)) == .refused(.keysOutdated))
            guard case .signedIn = try await terminal.signOn() else { Issue.record("refused"); return }
            #expect(try await terminal.openCard(HostHarness.cardNumber(10)).code == .approved)
        }
    }

    @Test("an administrator's forced sign-off revokes the keys: the next business message gets A1", arguments: StoreBackend.allCases)
    func forcedSignOff(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            var terminal = try await h.terminal()
            try await h.admin.forceSignOff(terminal.id)
            #expect(try await terminal.openCard(HostHarness.cardNumber(11)) == .refused(.keysOutdated))
            #expect(terminal.machine.state == .enrolled)
        }
    }

    @Test("a business message from a terminal that never signed on gets 12", arguments: StoreBackend.allCases)
    func businessBeforeSignOn(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            let terminal = try await h.terminal(signedOn: false)
            // Keys the host never issued, for a session that does not exist.
            let keys = SessionKeys(pinKey: try AESKey(generating: .bits128), macKey: try AESKey(generating: .bits128),
                                   dataKey: try AESKey(generating: .bits128), keySet: KeySetIdentifier(baseKeyVersion: 1, session: 999)!)
            var message = MessageKind.cardOpening.request(transmissionTime: TransmissionDateTime(h.clock.now).field, stan: "000002", terminalID: terminal.id)
            message[MPOSField.pinBlock] = try PINBlockFormat4.encipher(PIN("1234"), pan: PrimaryAccountNumber(HostHarness.cardNumber(12)), using: keys.pinKey).bytes
            let frame = try BusinessMessageSecurity.protect(message, confidential: ConfidentialData(), keys: keys, codec: ISO8583Codec(specification: .mpos))
            guard case .respond(let response) = await terminal.reply(to: frame) else { Issue.record("closed"); return }
            #expect(try signedResponseCode(response, answering: frame, host: h.host) == .invalidTransaction)
        }
    }

    // MARK: Enrollment

    @Test("a wrong enrollment code gets 63 and is counted, but voids nothing; an expired code gets 63; a reissued one enrolls, once", arguments: StoreBackend.allCases)
    func enrollmentCode(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            let (record, code) = try await h.admin.addTerminal(label: "new", codeLifetime: 3600)
            var terminal = SimulatedTerminal(harness: h, id: record.id)
            for _ in 1...8 {
                var attempt = terminal.machine
                let frame = try attempt.enroll(code: EnrollmentCode(), at: h.clock.now)
                guard case .respond(let response) = await terminal.reply(to: frame) else { Issue.record("closed"); return }
                #expect(try signedResponseCode(response, answering: frame, host: h.host) == .securityViolation)
            }
            #expect(try await h.terminalRecord(record.id).enrollmentFailures == 8)
            // Whoever knows a terminal ID cannot void its code; but the code expires.
            h.clock.advance(3601)
            var attempt = terminal.machine
            let frame = try attempt.enroll(code: EnrollmentCode(text: code), at: h.clock.now)
            guard case .respond(let response) = await terminal.reply(to: frame) else { Issue.record("closed"); return }
            #expect(try signedResponseCode(response, answering: frame, host: h.host) == .securityViolation)

            let fresh = try await h.admin.reissueEnrollmentCode(record.id)
            h.clock.advance(1)
            #expect(try await terminal.enroll(fresh) == .enrolled)
            // Once: a second enrollment of an enrolled terminal is refused (12).
            var again = TerminalStateMachine(credentials: .init(terminalID: record.id))
            let second = try again.enroll(code: EnrollmentCode(text: fresh), at: h.clock.now)
            guard case .respond(let refusal) = await terminal.reply(to: second) else { Issue.record("closed"); return }
            #expect(try signedResponseCode(refusal, answering: second, host: h.host) == .invalidTransaction)
        }
    }

    @Test("wrong enrollment codes never void the genuine one: after 20, the code still enrolls the device", arguments: StoreBackend.allCases)
    func wrongCodesVoidNothing(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            let (record, code) = try await h.admin.addTerminal(label: "new")
            var terminal = SimulatedTerminal(harness: h, id: record.id)
            for _ in 1...20 {
                var stranger = TerminalStateMachine(credentials: .init(terminalID: record.id))
                let frame = try stranger.enroll(code: EnrollmentCode(), at: h.clock.now)
                guard case .respond(let response) = await terminal.reply(to: frame) else { Issue.record("closed"); return }
                #expect(try signedResponseCode(response, answering: frame, host: h.host) == .securityViolation)
            }
            #expect(try await h.terminalRecord(record.id).enrollmentFailures == 20)
            #expect(try await h.admin.auditTail(30).filter { $0.event == "terminal.enrollment.failed" }.count == 20)
            #expect(try await terminal.enroll(code) == .enrolled)
        }
    }

    @Test("after a reset, the replacement device's STANs (from 1 again) do not collide with the old device's", arguments: StoreBackend.allCases)
    func resetForgetsRetransmissions(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            var old = try await h.terminal(signedOn: false)  // STAN 1: enrollment
            for _ in 1...3 {  // STANs 2-4 while signed out
                #expect(try await old.send(old.machine.echo(at: h.clock.now)) == .answered(.approved, retrievalReference: nil))
            }
            let code = try await h.admin.resetTerminal(old.id)
            var replacement = SimulatedTerminal(harness: h, id: old.id)
            #expect(try await replacement.enroll(code) == .enrolled)
            guard case .signedIn = try await replacement.signOn() else { Issue.record("the replacement's sign-on (STAN 2) was refused"); return }
            #expect(try await replacement.send(replacement.machine.echo(at: h.clock.now)) == .answered(.approved, retrievalReference: nil))
        }
    }

    @Test("a replaced device: an administrator resets the terminal, which enrolls anew with a new code", arguments: StoreBackend.allCases)
    func resetTerminal(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            var old = try await h.terminal()
            let oldMasterKey = try #require(try old.machine.credentials.masterKey?.checkValue(length: 5))
            let code = try await h.admin.resetTerminal(old.id)
            #expect(try await h.terminalRecord(old.id).displayState == .awaitingEnrollment)
            // The old device's session and keys are gone.
            #expect(try await old.openCard(HostHarness.cardNumber(13)) == .answered(.invalidTerminal, retrievalReference: nil))
            var replacement = SimulatedTerminal(harness: h, id: old.id)
            #expect(try await replacement.enroll(code) == .enrolled)
            guard case .signedIn = try await replacement.signOn() else { Issue.record("refused"); return }
            #expect(try await replacement.openCard(HostHarness.cardNumber(13)).code == .approved)
            // Under the same base key version, the replacement's master key is not the one the
            // old (perhaps stolen) device holds: its session keys travel under a key the old
            // device cannot open.
            #expect(try await h.terminalRecord(old.id).masterKeyVersion == 1)
            #expect(try replacement.machine.credentials.masterKey?.checkValue(length: 5) != oldMasterKey)
        }
    }

    // MARK: Messages: tampering, replay, retransmission, time

    @Test("a tampered business message gets A0 and changes nothing", arguments: StoreBackend.allCases)
    func tampered(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            var terminal = try await h.terminal()
            var frame = try terminal.cardOpeningFrame(card: HostHarness.cardNumber(20), machine: &terminal.machine, at: h.clock.now)
            frame[frame.count - 40] ^= 0x01
            #expect(try await terminal.send(frame) == .answered(.macFailure, retrievalReference: nil))
            #expect(try await h.admin.cards().isEmpty)
        }
    }

    @Test("a retransmission gets the original response, byte for byte, and is processed once", arguments: StoreBackend.allCases)
    func retransmission(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            var terminal = try await h.terminal()
            #expect(try await terminal.openCard(HostHarness.cardNumber(21)).code == .approved)
            let signed = try await terminal.signContract(HostHarness.cardNumber(21))
            #expect(signed.code == .approved)
            let (request, response) = (terminal.lastRequest, terminal.lastResponse)
            h.clock.advance(30)
            #expect(await terminal.reply(to: request) == .respond(response))
            #expect(try await h.admin.contracts().count == 1)
            #expect(try await h.admin.outbox(states: [.pending]).count == 1)
        }
    }

    @Test("a business request whose answer was lost gets it again after its session ended: signed off, or superseded by a new sign-on", arguments: StoreBackend.allCases)
    func retransmissionAfterTheSessionEnded(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            var terminal = try await h.terminal()
            #expect(try await terminal.openCard(HostHarness.cardNumber(26)).code == .approved)
            let (opening, opened) = (terminal.lastRequest, terminal.lastResponse)
            guard case .signedIn = try await terminal.signOn() else { Issue.record("refused"); return }  // the session it belonged to ends
            #expect(await terminal.reply(to: opening) == .respond(opened))
            let signed = try await terminal.signContract(HostHarness.cardNumber(26))
            #expect(signed.code == .approved)
            let (contract, answered) = (terminal.lastRequest, terminal.lastResponse)
            #expect(try await terminal.signOff() == .signedOff)
            #expect(await terminal.reply(to: contract) == .respond(answered))
            #expect(try await h.admin.contracts().count == 1)
            #expect(try await h.admin.cards().count == 1)
        }
    }

    @Test("the same STAN with other content gets 94", arguments: StoreBackend.allCases)
    func stanReuse(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            var terminal = try await h.terminal()
            var twin = terminal.machine  // will use the same STAN next
            #expect(try await terminal.openCard(HostHarness.cardNumber(22)).code == .approved)
            let frame = try terminal.cardOpeningFrame(card: HostHarness.cardNumber(23), machine: &twin, at: h.clock.now)
            guard case .respond(let response) = await terminal.reply(to: frame) else { Issue.record("closed"); return }
            #expect(try twin.receive(response) == .answered(.duplicateTransmission, retrievalReference: nil))
            #expect(try await h.admin.cards().count == 1)
        }
    }

    @Test("a message outside the clock skew gets A4", arguments: StoreBackend.allCases)
    func staleTime(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            var terminal = try await h.terminal()
            // The SDK never sends a field 7 earlier than its last: a state machine that has
            // forgotten its last time stands in for a terminal that would.
            terminal.machine = TerminalStateMachine(credentials: terminal.machine.credentials, lastSTAN: terminal.machine.lastSTAN,
                                                    session: terminal.machine.sessionKeys)
            let frame = try terminal.cardOpeningFrame(card: HostHarness.cardNumber(24), machine: &terminal.machine, at: h.clock.now.addingTimeInterval(-600))
            #expect(try await terminal.send(frame) == .answered(.staleMessage, retrievalReference: nil))
            var late = terminal.machine
            let signOff = try late.signOff(operator: OperatorCredentials(number: "01", key: HostHarness.operatorKey), at: h.clock.now.addingTimeInterval(900))
            guard case .respond(let response) = await terminal.reply(to: signOff) else { Issue.record("closed"); return }
            #expect(try late.receive(response) == .refused(.staleMessage))
        }
    }

    @Test("a captured sign-off replayed into a later session gets its stored 0830 again and changes nothing", arguments: StoreBackend.allCases)
    func replayedSignOff(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            var terminal = try await h.terminal()
            #expect(try await terminal.signOff() == .signedOff)
            let (captured, answered) = (terminal.lastRequest, terminal.lastResponse)
            guard case .signedIn = try await terminal.signOn() else { Issue.record("refused"); return }
            let session = try await h.terminalRecord(terminal.id).currentSession
            // The retransmission cache spans sessions (a terminal whose 0830 was lost must
            // still get it): the replay is answered from it, byte for byte, and processed not at all.
            #expect(await terminal.reply(to: captured) == .respond(answered))
            #expect(try await h.terminalRecord(terminal.id).currentSession == session)
            #expect(try await terminal.openCard(HostHarness.cardNumber(25)).code == .approved)
        }
    }

    @Test("a frame that does not decode, or names no operation, closes the connection", arguments: StoreBackend.allCases)
    func undecodable(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            #expect(await h.host.handle([]) == .close)
            #expect(await h.host.handle(Array("0800garbage".utf8)) == .close)
            var message = ISO8583Message(mti: MessageTypeIndicator("0800")!)
            message.setText(MPOSField.networkManagementCode, "999")
            message.setText(MPOSField.systemTraceAuditNumber, "000001")
            message.setText(MPOSField.terminalID, "00000001")
            let frame = try ISO8583Codec(specification: .mpos).encode(message)
            #expect(await h.host.handle(frame) == .close)
        }
    }

    // MARK: Card opening

    @Test("card opening refusals: 14 for a bad or foreign card, A5 for a bad identity, A6 for a card opened twice", arguments: StoreBackend.allCases)
    func cardOpeningRules(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            var terminal = try await h.terminal()
            var badLuhn = HostHarness.cardNumber(30)
            badLuhn = String(badLuhn.dropLast()) + String((Int(String(badLuhn.last!))! + 1) % 10)
            #expect(try await terminal.openCard(badLuhn).code == .invalidCardNumber)
            #expect(try await terminal.openCard(HostHarness.cardNumber(30, prefix: "411111")).code == .invalidCardNumber)
            #expect(try await terminal.openCard(HostHarness.cardNumber(30), identityNumber: "110105194912310021").code == .invalidIdentity)
            #expect(try await terminal.openCard(HostHarness.cardNumber(30), identityType: "99").code == .invalidIdentity)
            #expect(try await terminal.openCard(HostHarness.cardNumber(30)).code == .approved)
            #expect(try await terminal.openCard(HostHarness.cardNumber(30), pin: "999999").code == .cardAlreadyOpened)
            #expect(try await h.admin.cards().count == 1)
        }
    }

    @Test("the same person always gets the same customer identifier; another person another", arguments: StoreBackend.allCases)
    func customerIdentifier(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            var terminal = try await h.terminal()
            #expect(try await terminal.openCard(HostHarness.cardNumber(31)).code == .approved)
            // Lower-case x: the same document once normalised.
            #expect(try await terminal.openCard(HostHarness.cardNumber(32), identityNumber: "11010519491231002x").code == .approved)
            #expect(try await terminal.openCard(HostHarness.cardNumber(33), identityType: "02", identityNumber: "E12345678").code == .approved)
            let ids = try await h.admin.cards().sorted { $0.id < $1.id }.map(\.customerIdentifier)
            #expect(ids[0] == ids[1])
            #expect(ids[0] != ids[2])
        }
    }

    // MARK: Contract signing

    @Test("contract refusals: 25 for a card not opened, A7 for bad terms, 91 with no module, 05 when the module declines", arguments: StoreBackend.allCases)
    func contractRules(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            var terminal = try await h.terminal()
            let card = HostHarness.cardNumber(40)
            #expect(try await terminal.signContract(card).code == .cardNotOpened)
            #expect(try await terminal.openCard(card).code == .approved)
            #expect(try await terminal.signContract(card, carrier: "7").code == .invalidContractTerms)
            #expect(try await terminal.signContract(card, phone: "12345678912").code == .invalidContractTerms)
            #expect(try await terminal.signContract(card, tariff: "weekly").code == .invalidContractTerms)
            #expect(try await terminal.signContract(card, carrier: "4").code == .businessModuleUnavailable)
            h.scripted.decision = .decline(reason: "no coverage")
            #expect(try await terminal.signContract(card, carrier: "3").code == .doNotHonour)
            #expect(try await h.admin.contracts().isEmpty)
            h.scripted.decision = .accept
            #expect(try await terminal.signContract(card, carrier: "3").code == .approved)
        }
    }

    @Test("a wrong PIN gets 55; three in a row lock the card (75) until an administrator unlocks it", arguments: StoreBackend.allCases)
    func pinTries(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            var terminal = try await h.terminal()
            let card = HostHarness.cardNumber(41)
            #expect(try await terminal.openCard(card).code == .approved)
            #expect(try await terminal.signContract(card, pin: "111111").code == .incorrectPIN)
            #expect(try await terminal.signContract(card, pin: "222222").code == .incorrectPIN)
            #expect(try await terminal.signContract(card, pin: "333333").code == .pinTriesExceeded)
            #expect(try await terminal.signContract(card).code == .pinTriesExceeded)
            let locked = try #require(try await h.admin.cards().first)
            #expect(locked.isLocked)
            try await h.admin.unlockCard(id: locked.id)
            #expect(try await terminal.signContract(card).code == .approved)
            let events = try await h.admin.auditTail(40).map(\.event)
            #expect(events.contains("card.locked") && events.contains("admin.card.unlock"))
        }
    }

    @Test("a right PIN resets the count of wrong ones", arguments: StoreBackend.allCases)
    func pinFailuresReset(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            var terminal = try await h.terminal()
            let card = HostHarness.cardNumber(42)
            #expect(try await terminal.openCard(card).code == .approved)
            #expect(try await terminal.signContract(card, pin: "111111").code == .incorrectPIN)
            #expect(try await terminal.signContract(card, pin: "111111").code == .incorrectPIN)
            #expect(try await terminal.signContract(card).code == .approved)
            #expect(try await terminal.signContract(card, pin: "111111", phone: "13900000000").code == .incorrectPIN)
            #expect(try await h.admin.cards().first?.isLocked == false)
        }
    }

    @Test("signing the same contract twice returns the first contract's reference", arguments: StoreBackend.allCases)
    func sameContractTwice(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            var terminal = try await h.terminal()
            let card = HostHarness.cardNumber(43)
            #expect(try await terminal.openCard(card).code == .approved)
            let first = try await terminal.signContract(card)
            let second = try await terminal.signContract(card)
            #expect(first.code == .approved && second.code == .approved)
            #expect(first.reference == second.reference)
            let other = try await terminal.signContract(card, tariff: "prepaid")
            #expect(other.reference != first.reference)
            #expect(try await h.admin.contracts().count == 2)
        }
    }
}
