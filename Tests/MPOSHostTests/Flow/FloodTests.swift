import Foundation
import ISO8583
@testable import MPOSHost
import MPOSProtocol
import Testing

/// Requests that prove nothing, in a flood: answered one by one, recorded once per window.
@Suite("Floods of unauthenticated requests")
struct FloodTests {
    /// An echo of `terminal` whose device signature (field 127) is altered: it names a real
    /// terminal and decodes, but proves nothing.
    static func forgedEcho(_ terminal: SimulatedTerminal, at time: Date) throws -> [UInt8] {
        var machine = terminal.machine
        let codec = ISO8583Codec(specification: .mpos)
        var message = try codec.decode(try machine.echo(at: time))
        var signature = try #require(message[MPOSField.signature])
        signature[signature.count / 2] ^= 0x5A
        message[MPOSField.signature] = signature
        return try codec.encode(message)
    }

    @Test("500 forged echoes for a real terminal: each answered 63 and unauthenticated, one audit entry, then one with the count",
          arguments: StoreBackend.allCases)
    func forgedEchoFlood(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            let terminal = try await h.terminal()
            let before = try #require(try await h.admin.auditHead()).sequence
            for _ in 1...500 {
                let frame = try Self.forgedEcho(terminal, at: h.clock.now)
                let processed = await h.host.process(frame)
                guard case .respond(let response) = processed.reply else { Issue.record("the host closed instead of answering"); return }
                #expect(try signedResponseCode(response, answering: frame, host: h.host) == .securityViolation)
                #expect(!processed.authenticated)
            }
            // One entry for the first; the other 499 only counted (no commit of their own).
            #expect(try #require(try await h.admin.auditHead()).sequence == before + 1)
            try await h.host.flushAggregatedRefusals()
            #expect(try #require(try await h.admin.auditHead()).sequence == before + 1, "the window has not ended: nothing to write yet")

            h.clock.advance(61)
            try await h.host.flushAggregatedRefusals()
            let entries = try await h.admin.auditTail(2)
            #expect(try #require(try await h.admin.auditHead()).sequence == before + 2)
            #expect(entries.first?.event == "echo.refused" || entries.last?.event == "echo.refused")
            #expect(entries.contains { $0.details.contains("499 more") && $0.outcome == ResponseCode.securityViolation.rawValue })
            guard case .intact = try await h.admin.verifyAuditTrail() else { Issue.record("the audit chain is broken"); return }

            // The genuine terminal is unaffected, and proves itself.
            var genuine = terminal
            let echo = try genuine.machine.echo(at: h.clock.now)
            let processed = await h.host.process(echo)
            #expect(processed.authenticated)
        }
    }

    @Test("the next refusal after a counted window carries the count; a flush at shutdown writes what is left", arguments: StoreBackend.allCases)
    func countCarriedByTheNext(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            let terminal = try await h.terminal()
            let before = try #require(try await h.admin.auditHead()).sequence
            for _ in 1...3 { _ = await h.host.process(try Self.forgedEcho(terminal, at: h.clock.now)) }
            h.clock.advance(61)
            _ = await h.host.process(try Self.forgedEcho(terminal, at: h.clock.now))
            let last = try #require(try await h.admin.auditTail(1).first)
            #expect(last.details.contains("2 more like it"))
            _ = await h.host.process(try Self.forgedEcho(terminal, at: h.clock.now))
            try await h.host.flushAggregatedRefusals(everything: true)
            #expect(try #require(try await h.admin.auditHead()).sequence == before + 3)
            #expect(try #require(try await h.admin.auditTail(1).first).details.contains("1 more like the one recorded"))
        }
    }

    @Test("requests that verify are authenticated: enrollment, sign-on, echo, business; a bad MAC is not")
    func authenticatedFlag() async throws {
        try await HostHarness.run(.sqliteMemory) { h in
            let (record, code) = try await h.admin.addTerminal(label: "new")
            var terminal = SimulatedTerminal(harness: h, id: record.id)
            var frame = try terminal.machine.enroll(code: EnrollmentCode(text: code), at: h.clock.now)
            var processed = await h.host.process(frame)
            #expect(processed.authenticated)
            guard case .respond(let enrolled) = processed.reply else { Issue.record("closed"); return }
            _ = try terminal.machine.receive(enrolled)
            frame = try terminal.machine.signOn(operator: OperatorCredentials(number: HostHarness.operatorNumber, key: HostHarness.operatorKey), at: h.clock.now)
            processed = await h.host.process(frame)
            #expect(processed.authenticated)
            guard case .respond(let signedOn) = processed.reply else { Issue.record("closed"); return }
            _ = try terminal.machine.receive(signedOn)
            var copy = terminal.machine
            var business = try terminal.cardOpeningFrame(card: HostHarness.cardNumber(1), machine: &copy, at: h.clock.now)
            business[business.count - 1] ^= 0x01
            #expect(!(await h.host.process(business)).authenticated, "a MAC that does not verify proves nothing")
        }
    }
}
