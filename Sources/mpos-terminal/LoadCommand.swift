import ArgumentParser
import Foundation
import MPOSCore
import MPOSLoad
import MPOSTerminal
import NIOCore

/// `mpos-terminal load`: many simulated terminals against a running host, and `load verify`.
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Load a running host with many simulated terminals; `load verify` checks a run's approvals against the host.",
        discussion: """
            The terminals come from the host: `mpos-host terminal add --count N --label load --output terminals.json` \
            (the file holds their one-time enrollment codes: keep it private, delete it once the terminals are enrolled). \
            Each is enrolled and signed on through the real protocol (all at once: the sign-on storm), opens a card, \
            then makes card openings and contract signings until --duration is over: each as soon as the last is \
            answered (closed loop), or --rate operations a second in all (open loop). The operator key is read hidden, \
            or from a pipe. Every approved operation's reference goes to --record; afterwards \
            `mpos-host references > references.json` and `mpos-terminal load verify --record FILE --references references.json`.

            --faults SPEC puts a proxy on loopback between the terminals and the host (plain connections only, not \
            --tls-certificate) that injects faults per frame at the given rates, each chosen by a PRNG seeded with \
            `seed`, and skews each terminal's clock: KEY=VALUE pairs, comma-separated, e.g. \
            drop=0.02,duplicate=0.01,delay=0.05:200ms,truncate=0.005,reset=0.005,skew=30s,seed=1. \
            drop (frame not relayed), duplicate (relayed twice), delay=RATE[:MAX] (held 1 ms to MAX, default 200ms; \
            the frames behind it wait: TCP keeps order), truncate (part of the frame, then both sides closed), \
            reset (both sides reset) are rates per frame, 0 to 1, summing to 1 at most; skew (default 0s) offsets \
            each terminal's clock by a fixed amount within ±skew, at most 300s (the host's default permitted clock \
            skew); seed (default 1). The summary counts each fault injected.
            """,
        subcommands: [Run.self, Verify.self],
        defaultSubcommand: Run.self)

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run a load (the default).")

        @Option(help: "The host's address.") var host = "127.0.0.1"
        @Option(help: "The host's port.") var port = 8583
        @Option(help: "Speak TLS, trusting only this host certificate (PEM).") var tlsCertificate: String?
        @Option(help: "The terminals: the file `mpos-host terminal add --count N --output FILE` wrote.") var terminals: String
        @Option(help: "Use at most this many of them (default: all).") var concurrency: Int?
        @Option(help: "The operator who signs every terminal on.") var `operator` = "01"
        @Option(help: "Seconds to run (after the sign-on storm).") var duration = 60
        @Option(help: "Open loop: operations a second in all (default: closed loop).") var rate: Double?
        @Option(help: "Share of contract signings, 0 to 1 (the rest are card openings).") var contracts = 0.8
        @Option(help: "Share of sign-ons, 0 to 1: a signed-in terminal signing on again (new session, fresh keys); the rest are card openings and contract signings.")
        var signOns = 0.0
        @Option(help: "How many terminals enroll and sign on at the same moment.") var signOnConcurrency = 500
        @Option(help: "Makes the run's card and phone numbers its own (default: from the time).") var runID: Int?
        @Option(help: "Seconds to wait for each answer before resending the same request.") var responseTimeout = 15
        @Option(help: "Write every approved operation here (one JSON line each).") var record = "load-record.jsonl"
        @Option(help: ArgumentHelp("Inject faults through a proxy (see above), e.g. drop=0.02,delay=0.05:200ms,skew=30s,seed=1.", valueName: "spec"),
                transform: { text in
                    do { return try FaultPlan(spec: text) } catch { throw ValidationError("--faults: \(error)") }
                })
        var faults: FaultPlan?
        @Flag(help: "Print the summary as JSON.") var json = false

        func validate() throws {
            if faults != nil, tlsCertificate != nil {
                throw ValidationError("--faults relays plain frames (the proxy reads their lengths): not with --tls-certificate")
            }
            guard duration > 0, (0...1).contains(contracts), (0...1).contains(signOns), signOnConcurrency > 0 else {
                throw ValidationError("--duration and --sign-on-concurrency must be positive, --contracts and --sign-ons between 0 and 1")
            }
            if let rate, rate <= 0 { throw ValidationError("--rate must be positive") }
            if let concurrency, concurrency <= 0 { throw ValidationError("--concurrency must be positive") }
            if let runID, !(0..<10_000).contains(runID) { throw ValidationError("--run-id is 0 to 9999") }
            guard responseTimeout > 0 else { throw ValidationError("--response-timeout must be positive") }
        }

        func run() async throws {
            let reporter = Reporter(json: json)
            do {
                guard let data = FileManager.default.contents(atPath: terminals) else { throw ValidationError("cannot read \(terminals)") }
                var list = try JSONDecoder().decode([LoadTerminal].self, from: data)
                if let concurrency { list = Array(list.prefix(concurrency)) }
                let key = try SecretInput.read("Operator key (not shown): ")
                var connection = TerminalConfiguration(host: host, port: port)
                connection.responseTimeout = .seconds(responseTimeout)
                if let tlsCertificate {
                    try TerminalOptions.useTLS(pinning: tlsCertificate, host: host, handshakeTimeout: .seconds(Int64(responseTimeout)), in: &connection)
                }
                let plan = LoadPlan(terminals: list, operatorNumber: self.operator, operatorKey: key, connection: connection,
                                    duration: .seconds(duration), rate: rate, contractShare: contracts, signOnShare: signOns,
                                    setupConcurrency: signOnConcurrency,
                                    runID: runID ?? LoadPlan.defaultRunID(), faults: faults)
                reporter.progress("→ load: \(list.count) terminals, \(duration) s, \(rate.map { "open loop at \($0)/s" } ?? "closed loop"), \(signOns > 0 ? "\(Int(signOns * 100))% sign-ons, " : "")\(Int(contracts * 100))% contract signings — host \(host):\(port)\(tlsCertificate == nil ? "" : " (TLS)")")
                if let faults { reporter.progress("  through a fault-injecting proxy: \(faults.spec)") }
                reporter.progress("  enrolling, then signing every terminal on at once …")
                let recorder = try ApprovalRecorder(url: URL(fileURLWithPath: record))
                let runner = LoadRunner(plan: plan) { progress in reporter.progress("  " + progress.line) }
                let summary = try await runner.run(recorder: recorder)
                try await recorder.close()
                if json { printJSON(summary) } else { Self.printTable(summary, record: record) }
                if summary.approved == 0 { throw ExitCode(1) }
            } catch let error as ExitCode {
                throw error
            } catch {
                reporter.failure("\(error)")
                throw ExitCode(1)
            }
        }

        static func printTable(_ summary: LoadSummary, record: String) {
            print(String(format: "%@ · %d terminals · %.1f s%@", summary.mode, summary.terminals, summary.seconds,
                         summary.targetRate.map { String(format: " · target %.0f/s", $0) } ?? ""))
            print("operation           count     per s      p50      p90      p99    p99.9      max  (ms)")
            for (name, operation) in summary.operations.sorted(by: { $0.key < $1.key }) {
                print(name.padding(toLength: 16, withPad: " ", startingAt: 0)
                      + String(format: " %8d %9.1f %8.2f %8.2f %8.2f %8.2f %8.2f", operation.count, operation.perSecond,
                               operation.p50, operation.p90, operation.p99, operation.p999, operation.max))
            }
            print(String(format: "sign-on storm: every terminal signed in after %.2f s", summary.signOnStormSeconds))
            print("outcome unknown after the retransmissions: \(summary.unknownOutcomes), resent; still unknown after the grace: \(summary.unknownOutcomesLeft)")
            if let faults = summary.faults { print("faults: " + faults.line) }
            print("errors: " + (summary.errors.isEmpty ? "none" : summary.errors.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")))
            print("approved operations recorded in \(record)")
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check that every operation a run saw approved is held by the host, once.",
            discussion: "--references is `mpos-host references` output, taken after the run. Exit 0: all there; 1: some missing or duplicated.")

        @Option(help: "The run's record (`load --record`).") var record = "load-record.jsonl"
        @Option(help: "The host's references (`mpos-host references`).") var references: String
        @Flag(help: "Print the result as JSON.") var json = false

        struct HostReferences: Decodable {
            let contracts: [String]
            let cardOpenings: [String]
            enum CodingKeys: String, CodingKey { case contracts, cardOpenings = "card_openings" }
        }

        func run() async throws {
            let records: [ApprovalRecord]
            let held: HostReferences
            do {
                records = try ApprovalRecord.read(from: URL(fileURLWithPath: record))
                guard let data = FileManager.default.contents(atPath: references) else { throw ValidationError("cannot read \(references)") }
                held = try JSONDecoder().decode(HostReferences.self, from: data)
            } catch {
                Reporter(json: json).failure("\(error)")
                throw ExitCode(1)
            }
            let result = LoadVerification(records: records, hostContracts: held.contracts, hostCardOpenings: held.cardOpenings)
            if json {
                printJSON(result)
            } else {
                for (operation, count) in result.approved.sorted(by: { $0.key < $1.key }) {
                    print("\(operation): \(count) approved, \(result.found[operation] ?? 0) held by the host")
                }
                print("missing: \(result.missing.count)\(result.missing.isEmpty ? "" : " (" + result.missing.prefix(10).joined(separator: ", ") + ")")")
                print("approved twice under one reference: \(result.duplicated.count)")
                print(result.isComplete ? "✔ every approved operation is held by the host, once" : "✘ the host does not hold every approved operation once")
            }
            if !result.isComplete { throw ExitCode(1) }
        }
    }
}
