import Foundation
import ISO8583
import MPOSCrypto
import MPOSProtocol
import MPOSTestSupport
import Testing
@testable import MPOSTerminal

@Suite("Terminal SDK, against a scripted host")
struct TerminalTests {
    static let card = "4367123412341234126"

    /// A terminal on an in-memory store and a scripted transport, enrolled and (by default) signed on.
    static func terminal(signedOn: Bool = true, retransmissions: Int = 2) async throws -> (Terminal, ScriptedTransport, InMemoryKeyStore) {
        let store = InMemoryKeyStore()
        let transport = ScriptedTransport(store: store)
        let terminal = try await Terminal(configuration: configuration(retransmissions), keyStore: store, transport: transport)
        try await terminal.enroll(terminalID: ScriptedHost.terminalID, enrollmentCode: await transport.codeText)
        if signedOn { try await terminal.signOn(operatorNumber: "01", operatorKey: "111111") }
        return (terminal, transport, store)
    }

    static func configuration(_ retransmissions: Int = 2) -> TerminalConfiguration {
        var configuration = TerminalConfiguration(host: "unused", port: 0)
        configuration.retransmissions = retransmissions
        configuration.retransmissionDelay = .zero
        return configuration
    }

    @Test("the whole flow: enroll, sign on, open a card, sign a contract, echo, sign off; the states in order")
    func wholeFlow() async throws {
        let store = InMemoryKeyStore()
        let transport = ScriptedTransport(store: store)
        let terminal = try await Terminal(configuration: Self.configuration(), keyStore: store, transport: transport)
        let states = terminal.states
        #expect(terminal.state == .unenrolled)

        try await terminal.enroll(terminalID: ScriptedHost.terminalID, enrollmentCode: await transport.codeText)
        #expect(try await terminal.signOn(operatorNumber: "01", operatorKey: "111111") == KeySetIdentifier(baseKeyVersion: 1, session: 1))
        let pinPad = TestPINPad()
        #expect(try await terminal.openCard(cardNumber: Self.card, identityType: "01", identityNumber: "410102196905185559", pinPad: pinPad) == "000000000001")
        #expect(try await terminal.signContract(cardNumber: Self.card, carrierCode: "1", phoneNumber: "13912345678", tariff: "monthly", pinPad: pinPad) == "000000000002")
        #expect(await pinPad.prompts == ["436712*********4126", "436712*********4126"], "the PIN pad sees the masked card number only")
        try await terminal.echo()
        try await terminal.signOff(operatorNumber: "01", operatorKey: "111111")
        try await terminal.echo()
        #expect(terminal.state == .enrolled)
        #expect(await transport.processed == [.enrollment, .signOn, .cardOpening, .contractSigning, .echoTest, .signOff, .echoTest])

        let expected: [TerminalState] = [.unenrolled, .enrolling, .enrolled, .signingOn, .signedIn, .busy, .signedIn, .busy, .signedIn,
                                         .busy, .signedIn, .signingOff, .enrolled, .busy, .enrolled]
        var seen: [TerminalState] = []
        for await state in states {
            seen.append(state)
            if seen.count == expected.count { break }
        }
        #expect(seen == expected)
    }

    @Test("a lost request is resent byte for byte, with the same STAN, and answered")
    func retransmission() async throws {
        let (terminal, transport, _) = try await Self.terminal()
        await transport.lose([.timeout, .responseLost])
        let sentBefore = await transport.sent.count
        let reference = try await terminal.openCard(cardNumber: Self.card, identityType: "01", identityNumber: "410102196905185559", pinPad: TestPINPad())
        #expect(reference == "000000000001")
        let frames = Array(await transport.sent.dropFirst(sentBefore))
        #expect(frames.count == 3 && Set(frames).count == 1, "three sends of one frame")
        #expect(await transport.processed.filter { $0 == .cardOpening }.count == 1, "the host processed it once")
        #expect(terminal.state == .signedIn)
    }

    @Test("still unanswered after the retransmissions: outcome unknown, with the reference; resend recovers it")
    func outcomeUnknownThenResend() async throws {
        let (terminal, transport, _) = try await Self.terminal()
        await transport.lose([.timeout, .responseLost, .timeout])
        let sentBefore = await transport.sent.count
        let error = try await #require(throws: TerminalError.self) {
            try await terminal.signContract(cardNumber: Self.card, carrierCode: "1", phoneNumber: "13912345678", tariff: "monthly", pinPad: TestPINPad())
        }
        #expect(error.code == .outcomeUnknown)
        let frames = Array(await transport.sent.dropFirst(sentBefore))
        #expect(frames.count == 3 && Set(frames).count == 1)
        let pending = try #require(error.pendingRequest)
        #expect(pending.operation == .contractSigning && pending.terminalID == ScriptedHost.terminalID)
        #expect(try pending.stan == stan(of: frames[0]))
        #expect(try pending.transmissionTime == ISO8583Codec(specification: .mpos).decode(frames[0]).text(MPOSField.transmissionDateTime))
        #expect(await terminal.pendingRequest == pending)
        #expect(terminal.state == .busy)

        // Nothing else runs until the pending request is resolved.
        await #expect(throws: TerminalError(.wrongState, "")) { try await terminal.echo() }
        #expect(await transport.sent.count == sentBefore + 3)

        #expect(try await terminal.resendPendingRequest() == .contractSigned(reference: "000000000001"))
        #expect(await transport.sent.last == frames[0], "the very same frame")
        #expect(await transport.processed.filter { $0 == .contractSigning }.count == 1)
        #expect(terminal.state == .signedIn)
        #expect(await terminal.pendingRequest == nil)
    }

    @Test("abandoning a pending request signs the terminal out; nothing is sent again")
    func abandon() async throws {
        let (terminal, transport, _) = try await Self.terminal(retransmissions: 0)
        await transport.lose([.timeout])
        await #expect(throws: TerminalError(.outcomeUnknown, "")) {
            try await terminal.openCard(cardNumber: Self.card, identityType: "01", identityNumber: "410102196905185559", pinPad: TestPINPad())
        }
        let abandoned = try await terminal.abandonPendingRequest()
        #expect(abandoned.operation == .cardOpening)
        #expect(terminal.state == .enrolled)
        let pinPad = TestPINPad()
        await #expect(throws: TerminalError(.wrongState, "")) {
            try await terminal.openCard(cardNumber: Self.card, identityType: "01", identityNumber: "410102196905185559", pinPad: pinPad)
        }
        #expect(await pinPad.prompts.isEmpty)
        #expect(try await terminal.signOn(operatorNumber: "01", operatorKey: "111111") == KeySetIdentifier(baseKeyVersion: 1, session: 2))
    }

    @Test("a host that cannot be reached at all: a transport error, and the terminal is where it was")
    func unreachable() async throws {
        let (terminal, transport, _) = try await Self.terminal()
        await transport.lose([.unreachable, .unreachable, .unreachable])
        await #expect(throws: TerminalError(.transport, "")) { try await terminal.echo() }
        #expect(terminal.state == .signedIn)
        #expect(await terminal.pendingRequest == nil)
        try await terminal.echo()
    }

    @Test("every response code but 00 maps to a typed error with an operator message; refusals arrive as them")
    func responseCodes() async throws {
        var codes = Set<TerminalError.Code>()
        for responseCode in ResponseCode.allCases {
            guard let error = TerminalError(refusal: responseCode) else {
                #expect(responseCode == .approved)
                continue
            }
            #expect(error.responseCode == responseCode && !error.message.isEmpty)
            codes.insert(error.code)
        }
        #expect(codes.count == ResponseCode.allCases.count - 1, "one code per refusal")
        #expect(TerminalError(refusal: .incorrectPIN)!.message == "Incorrect PIN: ask the customer to enter it again")

        let (terminal, transport, _) = try await Self.terminal()
        await transport.answer(.cardOpening, with: .incorrectPIN)
        let error = try await #require(throws: TerminalError.self) {
            try await terminal.openCard(cardNumber: Self.card, identityType: "01", identityNumber: "410102196905185559", pinPad: TestPINPad())
        }
        #expect(error.code == .incorrectPIN && error.responseCode == .incorrectPIN)
        #expect(!error.message.contains(Self.card) && !error.message.contains("123456"))
        #expect(terminal.state == .signedIn)

        await transport.answer(.cardOpening, with: .keysOutdated)
        await #expect(throws: TerminalError(refusal: .keysOutdated)!) {
            try await terminal.openCard(cardNumber: Self.card, identityType: "01", identityNumber: "410102196905185559", pinPad: TestPINPad())
        }
        #expect(terminal.state == .enrolled, "A1 erases the session")

        await transport.answer(.signOn, with: .invalidOperator)
        await #expect(throws: TerminalError(refusal: .invalidOperator)!) { try await terminal.signOn(operatorNumber: "01", operatorKey: "111111") }
        #expect(terminal.state == .enrolled)
        await #expect(throws: TerminalError(.invalidInput, "")) { try await terminal.signOn(operatorNumber: "01", operatorKey: "1") }
    }

    @Test("after sign-off the terminal holds no session: a business call fails without sending or asking for a PIN")
    func noSessionAfterSignOff() async throws {
        let (terminal, transport, _) = try await Self.terminal()
        try await terminal.signOff(operatorNumber: "01", operatorKey: "111111")
        let sent = await transport.sent.count
        let pinPad = TestPINPad()
        await #expect(throws: TerminalError(.wrongState, "")) {
            try await terminal.signContract(cardNumber: Self.card, carrierCode: "1", phoneNumber: "13912345678", tariff: "monthly", pinPad: pinPad)
        }
        #expect(await transport.sent.count == sent)
        #expect(await pinPad.prompts.isEmpty)
    }

    @Test("the STAN is saved before each request leaves, and keeps increasing across a restart")
    func stanPersistence() async throws {
        let (terminal, transport, store) = try await Self.terminal()
        try await terminal.echo()
        let sent = await transport.sent
        let saved = await transport.storedSTANAtSend
        #expect(try sent.map { try stan(of: $0).flatMap { Int($0) } } == saved)
        #expect(saved == [1, 2, 3])

        // A restart: the same store, a new terminal. Enrolled, but signed out (no session keys stored).
        let restarted = try await Terminal(configuration: Self.configuration(), keyStore: store, transport: transport)
        #expect(restarted.state == .enrolled)
        #expect(await restarted.terminalID == ScriptedHost.terminalID)
        try await restarted.signOn(operatorNumber: "01", operatorKey: "111111")
        let last = try #require(await transport.sent.last)
        #expect(try stan(of: last) == "000004")
        #expect(await store.load()?.lastSTAN == 4)
    }

    @Test("one operation at a time: a second call while one runs fails clearly")
    func oneAtATime() async throws {
        let (terminal, _, _) = try await Self.terminal()
        let pinPad = GatedPINPad()
        let slow = Task { try await terminal.openCard(cardNumber: Self.card, identityType: "01", identityNumber: "410102196905185559", pinPad: pinPad) }
        try await Deadline.within(.seconds(5), "the PIN pad being asked") { for await _ in pinPad.asked { return } }
        let error = try await #require(throws: TerminalError.self) { try await terminal.echo() }
        #expect(error.code == .wrongState && error.message.contains("in progress"))
        pinPad.release()
        #expect(try await slow.value == "000000000001")
    }
}
