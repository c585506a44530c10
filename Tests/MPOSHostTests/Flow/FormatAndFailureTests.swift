import Foundation
import ISO8583
import MPOSCrypto
import MPOSHost
import MPOSProtocol
import Testing

/// A store that can be made to fail, to see what the host answers when its database does.
final class FailingStore: HostStore, LedgerStore, @unchecked Sendable {
    let inner: any HostStore & LedgerStore
    private let lock = NSLock()
    private var _failing = false
    var failing: Bool {
        get { lock.withLock { _failing } }
        set { lock.withLock { _failing = newValue } }
    }

    init(_ inner: any HostStore & LedgerStore) { self.inner = inner }

    func transaction<T: Sendable>(_ body: @Sendable (any HostTransaction) async throws -> T) async throws -> T {
        if failing { throw StoreError(.failure, "database: disk I/O error") }
        return try await inner.transaction(body)
    }

    func ledgerTransaction<T: Sendable>(_ body: @Sendable (any LedgerRows) async throws -> T) async throws -> T {
        if failing { throw StoreError(.failure, "database: disk I/O error") }
        return try await inner.ledgerTransaction(body)
    }

    func close() async throws { try await inner.close() }
}

@Suite("Format errors, signatures, host failures")
struct FormatAndFailureTests {
    @Test("a business message without its PIN block, or without an item the operation needs, gets 30", arguments: StoreBackend.allCases)
    func formatErrors(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            var terminal = try await h.terminal()
            // Card opening without the identity document number.
            var data = ConfidentialData()
            data.set(.cardNumber, text: HostHarness.cardNumber(60))
            data.set(.identityDocumentType, text: "01")
            let frame = try terminal.machine.businessRequest(.cardOpening, pin: PIN("1234"), cardNumber: PrimaryAccountNumber(HostHarness.cardNumber(60)),
                                                             confidential: data, at: h.clock.now)
            #expect(try await terminal.send(frame) == .answered(.formatError, retrievalReference: nil))
            #expect(try await h.admin.cards().isEmpty)
            #expect(try await h.admin.auditTail(5).contains { $0.event == "card.open.refused" && $0.outcome == "30" })
        }
    }

    @Test("field 61 with an item the operation does not take gets 30, and nothing is opened", arguments: StoreBackend.allCases)
    func extraConfidentialItem(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            var terminal = try await h.terminal()
            var data = ConfidentialData()
            data.set(.cardNumber, text: HostHarness.cardNumber(61))
            data.set(.identityDocumentType, text: "01")
            data.set(.identityDocumentNumber, text: HostHarness.identityNumber)
            data.set(.tariff, text: "monthly")  // a contract's item, in a card opening
            let frame = try terminal.machine.businessRequest(.cardOpening, pin: PIN("1234"), cardNumber: PrimaryAccountNumber(HostHarness.cardNumber(61)),
                                                             confidential: data, at: h.clock.now)
            #expect(try await terminal.send(frame) == .answered(.formatError, retrievalReference: nil))
            #expect(try await h.admin.cards().isEmpty)
        }
    }

    @Test("a request with a field its message does not carry, or without one it must, gets a signed 30 before anything else", arguments: StoreBackend.allCases)
    func exactFieldSets(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            var terminal = try await h.terminal(signedOn: false)
            let codec = ISO8583Codec(specification: .mpos)
            let signOn = try terminal.machine.signOn(operator: OperatorCredentials(number: HostHarness.operatorNumber, key: HostHarness.operatorKey), at: h.clock.now)
            var withExtra = try codec.decode(signOn)
            withExtra.setText(MPOSField.retrievalReferenceNumber, "000000000001")
            var withoutEnvelope = try codec.decode(signOn)
            withoutEnvelope[MPOSField.sealedEnvelope] = nil
            for message in [withExtra, withoutEnvelope] {
                let frame = try codec.encode(message)
                guard case .respond(let response) = await terminal.reply(to: frame) else { Issue.record("closed"); return }
                // 30, not 63: the field set is checked before the signature (which these fail).
                #expect(try signedResponseCode(response, answering: frame, host: h.host) == .formatError)
            }
            #expect(try await h.terminalRecord(terminal.id).currentSession == nil)
            // The genuine request still signs on: nothing was recorded against its STAN.
            guard case .signedIn = try await terminal.send(signOn) else { Issue.record("the genuine sign-on was refused"); return }
        }
    }

    @Test("a business message without field 53 gets a signed 30", arguments: StoreBackend.allCases)
    func missingKeySet(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            let terminal = try await h.terminal()
            var message = MessageKind.cardOpening.request(transmissionTime: TransmissionDateTime(h.clock.now).field, stan: "000009", terminalID: terminal.id)
            message[MPOSField.messageAuthenticationCode] = [UInt8](repeating: 0, count: 16)
            let frame = try ISO8583Codec(specification: .mpos).encode(message)
            guard case .respond(let response) = await terminal.reply(to: frame) else { Issue.record("closed"); return }
            #expect(try signedResponseCode(response, answering: frame, host: h.host) == .formatError)
        }
    }

    @Test("a sign-on whose device signature does not verify gets 63 and changes nothing", arguments: StoreBackend.allCases)
    func badSignature(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            var terminal = try await h.terminal(signedOn: false)
            let before = try await h.terminalRecord(terminal.id)
            var attempt = terminal.machine
            var frame = try attempt.signOn(operator: OperatorCredentials(number: "01", key: HostHarness.operatorKey), at: h.clock.now)
            frame[frame.count - 10] ^= 0x80
            guard case .respond(let response) = await terminal.reply(to: frame) else { Issue.record("closed"); return }
            #expect(try signedResponseCode(response, answering: frame, host: h.host) == .securityViolation)
            let record = try await h.terminalRecord(terminal.id)
            #expect(record == before)
            guard case .signedIn = try await terminal.signOn() else { Issue.record("refused"); return }
        }
    }

    @Test("a retransmitted sign-on gets the same response and opens no second session", arguments: StoreBackend.allCases)
    func signOnRetransmission(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            var terminal = try await h.terminal()
            let session = try await h.terminalRecord(terminal.id).currentSession
            let (request, response) = (terminal.lastRequest, terminal.lastResponse)
            h.clock.advance(5)
            #expect(await terminal.reply(to: request) == .respond(response))
            #expect(try await h.terminalRecord(terminal.id).currentSession == session)
            #expect(try await terminal.openCard(HostHarness.cardNumber(61)).code == .approved)
        }
    }

    @Test("when the store fails, the terminal gets a signed 96 and nothing is committed")
    func storeFailure() async throws {
        try await StoreBackend.sqliteMemory.withStore { inner in
            let store = FailingStore(inner)
            let h = try await HostHarness(store: store)
            let terminal = try await h.terminal()
            var attempt = terminal.machine
            let frame = try terminal.cardOpeningFrame(card: HostHarness.cardNumber(62), machine: &attempt, at: h.clock.now)
            store.failing = true
            guard case .respond(let response) = await terminal.reply(to: frame) else { Issue.record("closed"); return }
            #expect(try signedResponseCode(response, answering: frame, host: h.host) == .systemMalfunction)
            #expect(try attempt.receive(response) == .answered(.systemMalfunction, retrievalReference: nil))
            store.failing = false
            #expect(try await h.admin.cards().isEmpty)
            // The same frame again is processed afresh: nothing of the failed attempt was kept.
            #expect(await terminal.reply(to: frame) != .close)
            #expect(try await h.admin.cards().count == 1)
        }
    }
}
