import Foundation
import MPOSTestSupport
import Testing

/// README's two-shell flow: `mpos-host serve --tls` in one process, `mpos-terminal` commands
/// (each a process of its own, its session kept encrypted in its state directory) in others.
@Suite("End to end: mpos-terminal commands against mpos-host serve", .serialized, .timeLimit(.minutes(10)))
struct TerminalCLITests {
    @Test("enroll, sign on, open a card, sign a contract, sign off — over TLS, one process per command")
    func readmeFlow() async throws {
        let host = try await HostProcess.start(arguments: ["--tls"])
        defer { host.stop(); host.removeData() }
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("mpos-terminal-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: state) }
        try await host.admin(["operator", "add", "01", "--name", "Operator 01"], input: "111111\n")
        let (id, code) = try await host.addTerminal()

        func terminal(_ arguments: [String], input: String = "") async throws -> ProcessRunner.Run {
            try await ProcessRunner.run("mpos-terminal", arguments + ["--state-dir", state], input: input)
        }
        let certificate = host.dataDirectory.appendingPathComponent("tls-certificate.pem").path
        // Pinned to another host's certificate: the handshake fails, nothing is sent (exit 3,
        // not "outcome unknown"), and the code is still good.
        let other = FileManager.default.temporaryDirectory.appendingPathComponent("mpos-other-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: other) }
        #expect(try await ProcessRunner.run("mpos-host", ["init", "--data-dir", other]).status == 0)
        let impostor = try await terminal(["enroll", "--terminal-id", id, "--host", "127.0.0.1", "--port", String(host.port),
                                     "--tls-certificate", other + "/tls-certificate.pem"], input: code + "\n")
        #expect(impostor.status == 3, "\(impostor.error)")
        #expect(impostor.error.contains("nothing was sent"))
        try FileManager.default.removeItem(atPath: state)
        let enrolled = try await terminal(["enroll", "--terminal-id", id, "--host", "127.0.0.1", "--port", String(host.port),
                                     "--tls-certificate", certificate], input: code + "\n")
        #expect(enrolled.status == 0, "\(enrolled.error)")
        #expect(enrolled.output.contains("enrolled as \(id)"))
        #expect(enrolled.error.contains("(TLS)"))

        let signedOn = try await terminal(["sign-on", "--operator", "01"], input: "111111\n")
        #expect(signedOn.status == 0, "\(signedOn.error)")
        #expect(signedOn.output.contains("key set 0001"))
        let opened = try await terminal(["open-card", "--card", "6225880000000019", "--id-type", "01", "--id-number", "11010519491231002X"], input: "123456\n")
        #expect(opened.status == 0, "\(opened.error)")
        #expect(opened.output.contains("card opened: reference"))
        let signed = try await terminal(["sign-contract", "--card", "6225880000000019", "--carrier", "1", "--phone", "13912345678", "--tariff", "monthly", "--json"],
                                  input: "123456\n")
        #expect(signed.status == 0, "\(signed.error)")
        let reference = try JSONDecoder().decode([String: String].self, from: Data(signed.output.utf8))["reference"]
        #expect(try await host.admin(["contract", "list"]).contains(try #require(reference)))

        // A refusal: exit code 1 and the host's code.
        let wrongPIN = try await terminal(["sign-contract", "--card", "6225880000000019", "--carrier", "1", "--phone", "13900000000", "--tariff", "monthly"],
                                    input: "000000\n")
        #expect(wrongPIN.status == 1)
        #expect(wrongPIN.error.contains("response code 55"))

        let signedOff = try await terminal(["sign-off", "--operator", "01"], input: "111111\n")
        #expect(signedOff.status == 0, "\(signedOff.error)")
        // Signed out: the session is gone from the state directory too.
        let after = try await terminal(["open-card", "--card", "6225880000000027", "--id-number", "11010519491231002X"], input: "123456\n")
        #expect(after.status == 4)
        #expect(after.error.contains("sign on first"))
        // Nothing secret in the state directory in clear: not the PIN, not the operator key.
        for file in try FileManager.default.contentsOfDirectory(atPath: state) {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: state).appendingPathComponent(file))
            #expect(bytes.range(of: Data("111111".utf8)) == nil && bytes.range(of: Data("123456".utf8)) == nil, "\(file)")
        }
    }

    @Test("outcome unknown: a host that stops answering gives exit 2 and the reference; `resend` gets the answer; nothing is done twice")
    func outcomeUnknownThenResend() async throws {
        let host = try await HostProcess.start()
        defer { host.resume(); host.stop(); host.removeData() }
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("mpos-terminal-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: state) }
        try await host.admin(["operator", "add", "01", "--name", "Operator 01"], input: "111111\n")
        let (id, code) = try await host.addTerminal()
        func terminal(_ arguments: [String], input: String = "") async throws -> ProcessRunner.Run {
            try await ProcessRunner.run("mpos-terminal", arguments + ["--state-dir", state, "--response-timeout", "1"], input: input)
        }
        #expect(try await terminal(["enroll", "--terminal-id", id, "--host", "127.0.0.1", "--port", String(host.port)], input: code + "\n").status == 0)
        #expect(try await terminal(["sign-on", "--operator", "01"], input: "111111\n").status == 0)

        host.pause()
        let lost = try await terminal(["open-card", "--card", "6225880000000019", "--id-number", "11010519491231002X"], input: "123456\n")
        #expect(lost.status == 2, "\(lost.error)")
        #expect(lost.error.contains("outcome of the card opening is unknown") && lost.error.contains("STAN"))
        // The next command may not start anything new while that is open.
        let blocked = try await terminal(["open-card", "--card", "6225880000000027", "--id-number", "11010519491231002X"], input: "123456\n")
        #expect(blocked.status == 4)
        host.resume()
        let resent = try await terminal(["resend"])
        #expect(resent.status == 0, "\(resent.error)")
        #expect(resent.output.contains("cardOpened"))
        // Opened once, though the host received the request several times.
        let cards = try await host.admin(["card", "list", "--json"])
        #expect(cards.components(separatedBy: "\"card\" :").count == 2)
        #expect(try await terminal(["status"]).output.contains("signed in"))
    }
}
