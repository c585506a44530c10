import Foundation
import MPOSTestSupport
import Testing

/// docs/protocol.md tested as a specification: `Tests/CrossCheck/spec_terminal.py`, a terminal
/// written from the page alone (Python, pyca/cryptography, psec, pyiso8583; its constants read
/// from the page's ◆ tables), against a real `mpos-host serve` over TCP.
@Suite("docs/protocol.md as a specification: a spec-only Python terminal against mpos-host serve", .serialized, .timeLimit(.minutes(15)))
struct SpecOnlyTerminalTests {
    struct Outcome: Decodable {
        let checked: Int
        let failures: [String]
    }

    struct MutationReport: Decodable {
        struct Detection: Decodable {
            let changed: String
            let foundBy: String
            enum CodingKeys: String, CodingKey { case changed, foundBy = "found by" }
        }
        let baseline: Outcome
        let mutations: Int
        let detected: [Detection]
        let undetected: [String]
        let seconds: Double
    }

    /// The ◆ rows no terminal can reach on a running host, so that changing them goes unseen
    /// by the host (their codes are still checked: §4.3 and §4.4 must agree).
    static let unreachable: [(row: String, change: String)] = [
        // Waiting out an enrollment code's lifetime (an hour at the least) is not a test.
        ("§4.4 enrollment: 'no code is outstanding, or the code has expired", ", code:"),
        ("§4.4 enrollment: 'no code is outstanding, or the code has expired", ", protection:"),
        // The built-in business modules never decline, and a host does not start without the
        // module a carrier names: 91 and 05 come only from a module of the bank's own.
        ("§4.4 business: 'contract signing: no business module serves the carrier", ", protection:"),
        ("§4.4 business: 'contract signing: the business module declines", ", protection:"),
        // A host failure (96) cannot be caused from a terminal.
        ("§4.4 any: 'the host failed", ", protection:"),
    ]

    static func matches(_ changed: String, _ row: (row: String, change: String)) -> Bool {
        changed.hasPrefix(row.row) && changed.contains(row.change)
    }

    static func arguments(_ host: HostProcess, mutations: Bool) -> [String] {
        ["--page", PythonScript.repositoryRoot.appendingPathComponent("docs/protocol.md").path,
         "--host", "127.0.0.1", "--port", String(host.port),
         "--admin", "[\"\(ProcessRunner.executable("mpos-host").path)\"]",
         "--admin-suffix", "[\"--data-dir\", \"\(host.dataDirectory.path)\"]"] + (mutations ? ["--mutations"] : [])
    }

    @Test("enrollment, sign-on, card opening, contract signing, echo, sign-off and every refusal a terminal can provoke: as the page says",
          arguments: HostBackend.allCases)
    func flow(backend: HostBackend) async throws {
        let host = try await HostProcess.start(arguments: backend.serveArguments())
        defer { host.stop(); host.removeData() }
        let output = try await PythonScript.run("spec_terminal.py", Self.arguments(host, mutations: false), timeLimit: .seconds(300))
        let outcome = try JSONDecoder().decode(Outcome.self, from: output)
        #expect(outcome.failures == [], "the spec-only terminal disagrees with the host or the page")
        #expect(outcome.checked > 600, "the flow stopped early: \(outcome.checked) checks")
    }

    @Test("every constant on the page carries weight: changing any one of them makes the spec-only terminal fail")
    func everyConstantMatters() async throws {
        let host = try await HostProcess.start()
        defer { host.stop(); host.removeData() }
        let output = try await PythonScript.run("spec_terminal.py", Self.arguments(host, mutations: true), timeLimit: .seconds(900))
        let report = try JSONDecoder().decode(MutationReport.self, from: output)
        #expect(report.baseline.failures == [])
        #expect(report.mutations == report.detected.count + report.undetected.count)
        #expect(report.mutations > 150, "the page's ◆ tables hold \(report.mutations) constants")
        for changed in report.undetected {
            #expect(Self.unreachable.contains { Self.matches(changed, $0) }, "changing this went unnoticed: \(changed)")
        }
        for row in Self.unreachable {
            #expect(report.undetected.contains { Self.matches($0, row) }, "now detected, so no longer unreachable: \(row.row)")
        }
        // What caught each change: the host's answers, the terminal (it could not build a request
        // from the changed page), or the page's own checks (§4.3/§4.4 agree; §7 verifies).
        let found = Dictionary(grouping: report.detected, by: \.foundBy).mapValues(\.count)
        #expect(Set(found.keys).isSubset(of: ["host", "terminal", "page alone", "page"]))
        print("spec terminal: \(report.mutations) changes of the page, one at a time: \(found["host", default: 0]) caught by the host's answers, "
              + "\(found["terminal", default: 0]) by the terminal, \(found["page alone", default: 0] + found["page", default: 0]) by the page's own checks, "
              + "\(report.undetected.count) in rows no terminal can reach; \(report.seconds) s")
    }
}
