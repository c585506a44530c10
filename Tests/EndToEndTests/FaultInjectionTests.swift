import Foundation
import MPOSLoad
import MPOSTestSupport
import Testing

/// `mpos-terminal load --faults` against `mpos-host serve`: every kind of fault at once, then
/// the host's references, `load verify` and the audit chain — what a faulty network must not
/// change.
@Suite("Faults on purpose: a load through a fault-injecting proxy", .serialized, .timeLimit(.minutes(10)))
struct FaultInjectionTests {
    /// Every fault, at rates that hit each a few dozen times in an 8 s run of 8 terminals; skew
    /// well inside the host's permitted 300 s.
    static let faults = "drop=0.03,duplicate=0.03,delay=0.05:300ms,truncate=0.02,reset=0.02,skew=60s,seed=17"

    @Test("every approval is held by the host once, no outcome stays unknown, the audit chain is intact")
    func loadUnderFaults() async throws {
        // Short host deadlines: connections the faults leave half-used are closed soon, as they
        // would be on a real network.
        let host = try await HostProcess.start(arguments: ["--idle-timeout", "5", "--frame-timeout", "2"])
        defer { host.stop(); host.removeData() }
        let work = host.dataDirectory.deletingLastPathComponent().appendingPathComponent("mpos-faults-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let terminals = work.appendingPathComponent("terminals.json").path
        let record = work.appendingPathComponent("run.jsonl").path
        let references = work.appendingPathComponent("references.json").path

        try await host.admin(["operator", "add", "01", "--name", "Operator 01"], input: "\(EndToEndTests.operatorKey)\n")
        try await host.admin(["terminal", "add", "--count", "8", "--label", "faults", "--output", terminals])

        // Bounded by timeout(1): the run is 8 s plus setup, settling and the proxy's stop.
        let load = try await Self.bounded(180, "mpos-terminal load --faults", "mpos-terminal", [
            "load", "--terminals", terminals, "--port", String(host.port), "--duration", "8", "--response-timeout", "2",
            "--sign-ons", "0.1", "--faults", Self.faults, "--record", record, "--json",
        ], input: "\(EndToEndTests.operatorKey)\n")
        #expect(load.status == 0, "the load failed: \(load.error)")
        let summary = try JSONDecoder().decode(Summary.self, from: Data(load.output.utf8))
        print("faults: \(summary.approved) approved in \(summary.operations.mapValues(\.count)); unknown \(summary.unknownOutcomes), "
              + "left \(summary.unknownOutcomesLeft); errors \(summary.errors); faults \(summary.faults)")

        #expect(summary.terminals == 8, "every terminal enrolled, signed on and opened its first card through the faults")
        #expect(summary.unknownOutcomesLeft == 0 && summary.errors["unknown"] == nil, "an outcome stayed unknown after the grace")
        let counters = summary.faults
        #expect(counters.dropped > 0 && counters.duplicated > 0 && counters.delayed > 0 && counters.truncated > 0 && counters.reset > 0,
                "every kind of fault was injected: \(counters)")
        #expect(counters.skewedTerminals == 8 && counters.largestSkewSeconds <= 60)
        #expect(summary.approved > 0)

        let held = try await host.admin(["references"])
        #expect(FileManager.default.createFile(atPath: references, contents: Data(held.utf8)))
        let verify = try await Self.bounded(60, "mpos-terminal load verify", "mpos-terminal",
                                            ["load", "verify", "--record", record, "--references", references, "--json"])
        #expect(verify.status == 0, "load verify: \(verify.output) \(verify.error)")
        let verification = try JSONDecoder().decode(LoadVerification.self, from: Data(verify.output.utf8))
        #expect(verification.isComplete, "missing \(verification.missing), approved twice \(verification.duplicated)")
        #expect(verification.approved.values.reduce(0, +) == summary.approved, "the record holds every approval the summary counts")
        // Each reference the host holds, once.
        let lists = try JSONDecoder().decode([String: [String]].self, from: Data(held.utf8))
        for (kind, list) in lists { #expect(Set(list).count == list.count, "the host holds a \(kind) reference twice") }
        #expect(try await host.admin(["audit", "verify"]).contains("intact"))
    }

    /// The figures of the load's JSON summary this test reads.
    struct Summary: Decodable {
        struct Operation: Decodable { let count: Int }
        let terminals: Int
        let operations: [String: Operation]
        let errors: [String: Int]
        let unknownOutcomes: Int
        let unknownOutcomesLeft: Int
        let faults: FaultCounters

        var approved: Int { [LoadOperation.cardOpening, .contractSigning].reduce(0) { $0 + (operations[$1.name]?.count ?? 0) } }
    }

    /// Runs a built program under timeout(1), so that a hung one fails the test naming `what`
    /// instead of holding it until the suite's limit.
    static func bounded(_ seconds: Int, _ what: String, _ name: String, _ arguments: [String], input: String = "") async throws -> ProcessRunner.Run {
        let run = try await ProcessRunner.run("/usr/bin/timeout", ["--signal=KILL", String(seconds), ProcessRunner.executable(name).path] + arguments,
                                              input: input)
        if run.status == 124 || run.status == 137 { throw Deadline.Missed(description: "\(what) did not finish within \(seconds) s") }
        return run
    }
}
