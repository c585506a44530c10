import Foundation
import ISO8583
import MPOSProtocol
@testable import MPOSTerminal
import NIOConcurrencyHelpers
import Testing

/// Where the terminal stands after what a faulty network does to it (issue 17).
@Suite("The terminal on a faulty network")
struct FaultyNetworkTests {
    static let card = TerminalTests.card

    @Test("an echo test with no answer leaves nothing pending: it changes nothing, so the terminal is where it was")
    func echoWithoutAnswer() async throws {
        let (terminal, transport, _) = try await TerminalTests.terminal()
        await transport.lose([.timeout, .responseLost, .timeout])
        let error = try await #require(throws: TerminalError.self) { try await terminal.echo() }
        #expect(error.code == .noAnswer && error.pendingRequest == nil)
        #expect(terminal.state == .signedIn)
        #expect(await terminal.pendingRequest == nil)
        try await terminal.echo()
        let stans = try await transport.sent.suffix(4).map { try stan(of: $0) }
        #expect(Set(stans).count == 2, "the lost echo's STAN stays used; the next echo has a new one")
        _ = try await terminal.openCard(cardNumber: Self.card, identityType: "01", identityNumber: "410102196905185559", pinPad: TestPINPad())
    }

    @Test("a refused sign-on leaves the session as it was")
    func refusedSignOnKeepsSession() async throws {
        let (terminal, transport, _) = try await TerminalTests.terminal()
        await transport.answer(.signOn, with: .invalidOperator)
        let error = try await #require(throws: TerminalError.self) { try await terminal.signOn(operatorNumber: "01", operatorKey: "111111") }
        #expect(error.code == .invalidOperator)
        #expect(terminal.state == .signedIn)
        #expect(await terminal.keyCheckValues != nil)
        _ = try await terminal.openCard(cardNumber: Self.card, identityType: "01", identityNumber: "410102196905185559", pinPad: TestPINPad())
    }

    @Test("an enrollment with no answer is kept: a restarted simulator resends the same frame and is enrolled")
    func pendingEnrollmentIsResendable() async throws {
        let store = InMemoryKeyStore()
        let transport = ScriptedTransport(store: store)
        var configuration = TerminalTests.configuration(0)
        configuration.keepsSessionAcrossRestarts = true
        let first = try await Terminal(configuration: configuration, keyStore: store, transport: transport)
        await transport.lose([.responseLost])
        await #expect(throws: TerminalError(.outcomeUnknown, "")) {
            try await first.enroll(terminalID: ScriptedHost.terminalID, enrollmentCode: await transport.codeText)
        }
        let lost = try #require(await transport.sent.last)
        let restarted = try await Terminal(configuration: configuration, keyStore: store, transport: transport)
        #expect(await restarted.pendingRequest?.operation == .enrollment)
        #expect(try await restarted.resendPendingRequest() == .enrolled)
        #expect(await transport.sent.last == lost, "the very same frame")
        #expect(restarted.state == .enrolled)
        #expect(await store.load()?.pendingEnrollmentCode == nil, "the code leaves the store once answered")
    }

    @Test("field 7 never goes back: after the clock is stepped back the last time is sent again, with a new STAN, and kept across restarts")
    func monotonicTransmissionTime() async throws {
        let store = InMemoryKeyStore()
        let transport = ScriptedTransport(store: store)
        let offset = NIOLockedValueBox<TimeInterval>(0)
        let start = Date(timeIntervalSince1970: 1_764_000_000)
        let clock: @Sendable () -> Date = { start.addingTimeInterval(offset.withLockedValue { $0 }) }
        let terminal = try await Terminal(configuration: TerminalTests.configuration(), keyStore: store, transport: transport, clock: clock)
        try await terminal.enroll(terminalID: ScriptedHost.terminalID, enrollmentCode: await transport.codeText)
        offset.withLockedValue { $0 = 30 }
        try await terminal.echo()
        offset.withLockedValue { $0 = -200 }
        try await terminal.echo()
        let restarted = try await Terminal(configuration: TerminalTests.configuration(), keyStore: store, transport: transport, clock: clock)
        try await restarted.echo()
        offset.withLockedValue { $0 = 31 }
        try await restarted.echo()
        let codec = ISO8583Codec(specification: .mpos)
        let times = try await transport.sent.suffix(4).map { try codec.decode($0).text(MPOSField.transmissionDateTime) }
        let at30 = TransmissionDateTime(start.addingTimeInterval(30)).field, at31 = TransmissionDateTime(start.addingTimeInterval(31)).field
        #expect(times == [at30, at30, at30, at31])
    }
}
