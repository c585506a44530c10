import Foundation
import MPOSLoad
import MPOSTerminal
import MPOSTestSupport
import NIOConcurrencyHelpers
import Testing

/// The host killed with SIGKILL in the middle of a load run — no chance to finish anything —
/// and restarted on the same data directory and port, while the load generator's terminals
/// keep going (resending what went unanswered).
@Suite("Crash safety: SIGKILL mid-load, restart, nothing approved is lost", .timeLimit(.minutes(10)))
struct CrashTests {
    @Test("every operation the terminals saw approved is there once, the audit chain verifies, the outbox delivers",
          arguments: HostBackend.allCases)
    func killedMidLoad(backend: HostBackend) async throws {
        // One node name across the restart: the restarted node takes back at once the
        // deliveries the killed one had claimed (a name is unique among running nodes).
        let host = try await HostProcess.start(arguments: backend.serveArguments() + ["--node", "crash-test"])
        let restarted = NIOLockedValueBox<HostProcess?>(nil)
        defer {
            _ = restarted.withLockedValue { $0?.stop() }
            host.kill()
            host.removeData()
        }
        try await host.admin(["operator", "add", "01", "--name", "Operator 01"], input: "\(EndToEndTests.operatorKey)\n")
        let added = try await host.admin(["terminal", "add", "--count", "12", "--label", "crash test", "--json"])
        let terminals = try JSONDecoder().decode([LoadTerminal].self, from: Data(added.utf8))

        var connection = TerminalConfiguration(host: "127.0.0.1", port: host.port)
        connection.responseTimeout = .seconds(5)
        connection.retransmissionDelay = .milliseconds(200)
        let plan = LoadPlan(terminals: terminals, operatorNumber: "01", operatorKey: EndToEndTests.operatorKey, connection: connection,
                            duration: .seconds(8), contractShare: 0.8, signOnShare: 0.1, unknownOutcomeGrace: .seconds(60))
        let record = host.dataDirectory.deletingLastPathComponent().appendingPathComponent("crash-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: record) }
        let recorder = try ApprovalRecorder(url: record)
        let completed = NIOLockedValueBox(0)
        let runner = LoadRunner(plan: plan) { progress in completed.withLockedValue { $0 = progress.totalCompleted } }

        async let summary = runner.run(recorder: recorder)
        // Mid-run: once 100 operations are done — or half the run has gone, on a slow machine —
        // kill the host and start it again.
        let halfway = ContinuousClock.now + .seconds(4)
        try await Deadline.poll("the load's first operations", within: .seconds(60), every: .milliseconds(20)) {
            completed.withLockedValue { $0 } >= 100 || (ContinuousClock.now >= halfway && completed.withLockedValue { $0 } > 0)
        }
        host.kill()
        let completedAtKill = completed.withLockedValue { $0 }
        try await Task.sleep(for: .milliseconds(300))
        let again = try await HostProcess.start(dataDirectory: host.dataDirectory, arguments: ["--port", String(host.port), "--node", "crash-test"])
        restarted.withLockedValue { $0 = again }
        let result = try await summary
        try await recorder.close()

        #expect(result.errors["unknown"] == nil, "every unanswered operation was settled after the restart")
        let completedInRun = result.approved + (result.operations[LoadOperation.signOn.name]?.count ?? 0)
        #expect(completedInRun > completedAtKill, "the terminals carried on after the restart")
        let references = try JSONSerialization.jsonObject(with: Data(try await again.admin(["references"]).utf8)) as? [String: [String]]
        let verification = LoadVerification(records: try ApprovalRecord.read(from: record), hostContracts: references?["contracts"] ?? [],
                                            hostCardOpenings: references?["card_openings"] ?? [])
        #expect(verification.isComplete, "missing \(verification.missing.count), duplicated \(verification.duplicated.count)")
        #expect(verification.approved.values.reduce(0, +) == result.approved)
        #expect(try await again.admin(["audit", "verify"]).contains("intact"))
        var undelivered = -1
        for _ in 0..<120 {
            undelivered = try (JSONSerialization.jsonObject(with: Data(try await again.admin(["outbox", "list", "--json"]).utf8)) as? [Any])?.count ?? -1
            if undelivered == 0 { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        #expect(undelivered == 0, "the outbox still delivers after the crash")
        print("crash (\(backend)): \(result.approved) approved (\(completedAtKill) operations done when killed, sign-ons included), \(verification.missing.count) missing, "
              + "\(verification.duplicated.count) duplicated; errors \(result.errors)")
    }
}
