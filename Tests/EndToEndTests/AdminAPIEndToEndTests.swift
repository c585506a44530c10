import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import MPOSTerminal
import MPOSTestSupport
import Testing

/// The administration API as people use it: the first administrator added at the host, then
/// every task through `mpos-host … --url` from a machine with no LMK and no store; `/ready`
/// during a graceful shutdown; a real Prometheus scraping the host under load.
@Suite("End to end: the administration API", .serialized, .timeLimit(.minutes(10)))
struct AdminAPIEndToEndTests {
    static let password = "correct horse battery"

    /// `mpos-host ARGUMENTS --url …` as the person whose token is given, from an empty
    /// directory: no LMK, no store, no config.
    static func remote(_ host: HostProcess, _ arguments: [String], token: String, input: String = "") async throws -> String {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("mpos-no-lmk-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: empty) }
        let run = try await ProcessRunner.run("mpos-host", arguments + ["--url", "http://127.0.0.1:\(try #require(host.adminPort))", "--data-dir", empty.path],
                                              input: input, environment: ["MPOS_ADMIN_TOKEN": token, "MPOS_LMK": "", "MPOS_ADMIN_TOKEN_FILE": empty.path + "/none"])
        guard run.status == 0 else { throw HostProcess.Failure(description: "mpos-host \(arguments.joined(separator: " ")) --url: \(run.error)") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: empty.path).isEmpty, "a --url command wrote nothing locally")
        return run.output
    }

    /// Signs in through the API (`mpos-host login`) and returns the kept token.
    static func logIn(_ host: HostProcess, _ user: String) async throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mpos-token-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: file) }
        let run = try await ProcessRunner.run("mpos-host", ["login", "--url", "http://127.0.0.1:\(try #require(host.adminPort))", "--user", user],
                                              input: password + "\n", environment: ["MPOS_ADMIN_TOKEN_FILE": file.path])
        guard run.status == 0 else { throw HostProcess.Failure(description: "login \(user): \(run.error)") }
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        struct Kept: Decodable { let token: String }
        return try JSONDecoder().decode(Kept.self, from: Data(contentsOf: file)).token
    }

    static func get(_ url: String) async throws -> (status: Int, body: String) {
        var request = URLRequest(url: URL(string: url)!)
        request.timeoutInterval = 10
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    @Test("a fresh host: the first administrator added locally, then everything through --url with no LMK", arguments: HostBackend.allCases)
    func administeredRemotely(backend: HostBackend) async throws {
        let host = try await HostProcess.start(arguments: backend.serveArguments())
        defer { host.stop(); host.removeData() }
        try await host.admin(["user", "add", "root", "--role", "administrator"], input: "\(Self.password)\n\(Self.password)\n")
        let root = try await Self.logIn(host, "root")

        for (name, role) in [("helen", "help-desk"), ("kc1", "key-custodian"), ("kc2", "key-custodian"), ("audrey", "auditor")] {
            _ = try await Self.remote(host, ["user", "add", name, "--role", role], token: root, input: "\(Self.password)\n\(Self.password)\n")
        }
        let helpDesk = try await Self.logIn(host, "helen"), kc1 = try await Self.logIn(host, "kc1")
        let kc2 = try await Self.logIn(host, "kc2"), auditor = try await Self.logIn(host, "audrey")

        _ = try await Self.remote(host, ["operator", "add", "01", "--name", "Operator 01"], token: root, input: "111111\n")
        let added = try await Self.remote(host, ["terminal", "add", "--label", "Counter 1", "--json"], token: root)
        let fields = try JSONDecoder().decode([String: String].self, from: Data(added.utf8))
        let id = try #require(fields["terminal_id"]), code = try #require(fields["enrollment_code"])

        // The terminal enrolls with the code the API showed, and signs on.
        var configuration = TerminalConfiguration(host: "127.0.0.1", port: host.port)
        configuration.responseTimeout = .seconds(10)
        let terminal = try await Terminal(configuration: configuration, keyStore: InMemoryKeyStore())
        try await terminal.enroll(terminalID: id, enrollmentCode: code)
        _ = try await terminal.signOn(operatorNumber: "01", operatorKey: "111111")

        let shown = try await Self.remote(host, ["terminal", "show", id, "--json"], token: helpDesk)
        #expect(shown.contains("signed-in"))
        // The help desk may block, not unblock.
        _ = try await Self.remote(host, ["terminal", "block", id], token: helpDesk)
        await #expect(throws: HostProcess.Failure.self) { _ = try await Self.remote(host, ["terminal", "unblock", id], token: helpDesk) }
        _ = try await Self.remote(host, ["terminal", "unblock", id], token: root)

        // Dual control: one custodian asks, another approves.
        let requested = try await Self.remote(host, ["key", "rotate", "--json"], token: kc1)
        struct Approval: Decodable { let id: Int64 }
        let approval = try JSONDecoder().decode(Approval.self, from: Data(requested.utf8))
        await #expect(throws: HostProcess.Failure.self) { _ = try await Self.remote(host, ["key", "approve", String(approval.id)], token: kc1) }
        _ = try await Self.remote(host, ["key", "approve", String(approval.id)], token: kc2)
        let keys = try await Self.remote(host, ["key", "list", "--json"], token: auditor)
        #expect(keys.contains("base master key v2"))

        // The auditor checks the chain and finds every action under its person and role.
        #expect(try await Self.remote(host, ["audit", "verify"], token: auditor).contains("intact"))
        let tail = try await Self.remote(host, ["audit", "tail", "-n", "200", "--json"], token: auditor)
        for actor in ["user:root (administrator)", "user:helen (help-desk)", "user:kc1 (key-custodian)", "user:kc2 (key-custodian)"] {
            #expect(tail.contains(actor), "the audit trail names \(actor)")
        }
        #expect(!tail.contains(code) && !tail.contains(Self.password) && !tail.contains(root))
        // The same command locally prints the same table.
        let local = try await host.admin(["terminal", "list", "--json"])
        #expect(try await Self.remote(host, ["terminal", "list", "--json"], token: root) == local)
    }

    @Test("/health stays 200 while /ready turns 503 at the start of a graceful shutdown")
    func readiness() async throws {
        let host = try await HostProcess.start(arguments: ["--drain-seconds", "5"])
        defer { host.stop(); host.removeData() }
        let base = "http://127.0.0.1:\(try #require(host.adminPort))"
        #expect(try await Self.get(base + "/ready").status == 200)
        #expect(try await Self.get(base + "/health").status == 200)
        host.terminate()
        try await Deadline.poll("/ready to answer 503 after SIGTERM", within: .seconds(4), every: .milliseconds(50)) {
            (try? await Self.get(base + "/ready").status) == 503
        }
        #expect(try await Self.get(base + "/health").status == 200)
        #expect(host.stop() == 0)
    }

    @Test("a real Prometheus scrapes the host under load and finds the request counter")
    func prometheus() async throws {
        let binary = ProcessInfo.processInfo.environment["MPOS_PROMETHEUS"] ?? "/usr/bin/prometheus"
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            // scripts/test installs Prometheus and sets MPOS_REQUIRE_PROMETHEUS: then its absence fails.
            #expect(ProcessInfo.processInfo.environment["MPOS_REQUIRE_PROMETHEUS"] != "1", "Prometheus is not installed at \(binary)")
            return
        }
        let host = try await EndToEndTests.host(backend: .sqlite)
        defer { host.stop(); host.removeData() }
        let adminPort = try #require(host.adminPort)
        let prometheus = try PrometheusProcess.start(binary: binary, scraping: adminPort)
        defer { prometheus.stop() }

        // Load: a terminal signs on and echoes a few times.
        let terminal = try await EndToEndTests.terminal(host)
        for _ in 0..<20 { try await terminal.echo() }

        // Prometheus's own answer, by the labels the host gives: 20 approved echoes, one sign-on.
        func query(_ promQL: String) async -> Double? {
            let encoded = promQL.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? promQL
            guard let answer = try? await Self.get("http://127.0.0.1:\(prometheus.port)/api/v1/query?query=\(encoded)") else { return nil }
            return PrometheusProcess.value(answer.body)
        }
        try await Deadline.poll("Prometheus to scrape 20 approved echoes from the host", within: .seconds(30), every: .milliseconds(500)) {
            await query(#"mpos_requests_total{operation="echo",code="00"}"#) == 20
        }
        #expect(await query(#"mpos_requests_total{operation="sign-on",code="00"}"#) == 1)
        #expect(await query("up") == 1)
    }
}
