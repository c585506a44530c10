import Foundation
import MPOSProtocol
import MPOSTerminal
import MPOSTestSupport
import Testing

/// Two `mpos-host serve` processes on one PostgreSQL database, terminals alternating between
/// them as behind a TCP load balancer, one node killed with SIGKILL while they work: every
/// operation a terminal saw approved is in the database exactly once, the audit chain holds,
/// and the outbox delivers everything (the dead node's claims too, once their lease ends).
@Suite("Multi-node: two host processes, one PostgreSQL", .timeLimit(.minutes(10)))
struct MultiNodeTests {
    static let terminals = 6
    static let contractsPerTerminal = 8
    /// Node A is killed once this many contracts are approved.
    static let killAfter = 15

    /// The nodes, taken in turn for each exchange; a node that refuses the connection is
    /// skipped, as a load balancer's health check would (the frame never left).
    final class TwoNodeTransport: FrameTransport, @unchecked Sendable {
        let nodes: [NIOFrameTransport]
        private let lock = NSLock()
        private var turn: Int
        /// Exchanges that failed after the frame may have left (the SDK resent those), and
        /// frames sent to the other node because one refused the connection.
        static let failures = FailureCounter()

        init(ports: [Int], start: Int) {
            nodes = ports.map { NIOFrameTransport(configuration: TerminalConfiguration(host: "127.0.0.1", port: $0)) }
            turn = start
        }

        func exchange(_ frame: [UInt8], timeout: Duration) async throws -> [UInt8] {
            let first = lock.withLock { defer { turn += 1 }; return turn % nodes.count }
            do {
                return try await nodes[first].exchange(frame, timeout: timeout)
            } catch let error as FrameTransportError where error.code == .notDelivered {
                Self.failures.add(\.failedOver)
                return try await nodes[(first + 1) % nodes.count].exchange(frame, timeout: timeout)
            } catch {
                Self.failures.add(\.lost)
                throw error
            }
        }

        func reset() async {
            for node in nodes { await node.reset() }
        }
    }

    final class FailureCounter: @unchecked Sendable {
        struct Counts { var lost = 0, failedOver = 0 }
        private let lock = NSLock()
        private var counts = Counts()
        func add(_ field: WritableKeyPath<Counts, Int>) { lock.withLock { counts[keyPath: field] += 1 } }
        var value: Counts { lock.withLock { counts } }
    }

    /// What the terminals saw approved.
    actor Approvals {
        private(set) var contracts: [String] = []
        private(set) var cards: [String] = []
        private(set) var contractsAfterKill = 0
        var killed = false

        func contract(_ reference: String) {
            contracts.append(reference)
            if killed { contractsAfterKill += 1 }
        }
        func card(_ reference: String) { cards.append(reference) }
        func markKilled() { killed = true }
    }

    @Test("a node killed mid-run: no approved operation missing, none duplicated, every contract delivered")
    func nodeKilledMidRun() async throws {
        guard let baseURL = HostBackend.postgresURL else {
            #expect(ProcessInfo.processInfo.environment["MPOS_REQUIRE_POSTGRES"] != "1",
                    "MPOS_TEST_POSTGRES_URL is not set: the multi-node test did not run")
            return
        }
        let schema = "mn_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let database = baseURL + (baseURL.contains("?") ? "&" : "?") + "schema=\(schema)"
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("mpos-multinode-\(UUID().uuidString)")
        let directoryA = root.appendingPathComponent("a"), directoryB = root.appendingPathComponent("b")
        defer { try? FileManager.default.removeItem(at: root) }

        // Set up once (node A's directory), then give node B a copy of the directory: the same
        // LMK, configuration (naming the database) and TLS identity. A short outbox lease, so
        // that the dead node's claims pass to the other within the test.
        let initRun = try await ProcessRunner.run("mpos-host", ["init", "--data-dir", directoryA.path, "--database", database])
        #expect(initRun.status == 0, "\(initRun.error)")
        let configurationPath = directoryA.appendingPathComponent("config.json")
        var settings = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: configurationPath)) as? [String: Any])
        #expect(settings["database"] as? String == database)
        settings["outboxLeaseSeconds"] = 5
        try JSONSerialization.data(withJSONObject: settings).write(to: configurationPath)
        try FileManager.default.copyItem(at: directoryA, to: directoryB)

        let nodeA = try await HostProcess.start(dataDirectory: directoryA, arguments: ["--node", "A"])
        defer { nodeA.kill() }
        let nodeB = try await HostProcess.start(dataDirectory: directoryB, arguments: ["--node", "B"])
        defer { nodeB.stop() }
        try await nodeA.admin(["operator", "add", "01", "--name", "Operator 01"], input: "\(EndToEndTests.operatorKey)\n")

        // Terminals, enrolled through the administration of either node (one database).
        var enrollments: [(id: String, code: String)] = []
        for index in 0..<Self.terminals { enrollments.append(try await (index.isMultiple(of: 2) ? nodeA : nodeB).addTerminal()) }

        let approvals = Approvals()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, enrollment) in enrollments.enumerated() {
                group.addTask {
                    var configuration = TerminalConfiguration(host: "127.0.0.1", port: nodeA.port)
                    configuration.responseTimeout = .seconds(10)
                    configuration.retransmissionDelay = .milliseconds(200)
                    let transport = TwoNodeTransport(ports: [nodeA.port, nodeB.port], start: index)
                    let terminal = try await Terminal(configuration: configuration, keyStore: InMemoryKeyStore(), transport: transport)
                    try await terminal.enroll(terminalID: enrollment.id, enrollmentCode: enrollment.code)
                    _ = try await terminal.signOn(operatorNumber: "01", operatorKey: EndToEndTests.operatorKey)
                    let card = EndToEndTests.card(9_000 + index)
                    // A request in flight at node A when it dies is resent (same STAN) by the SDK,
                    // and answered by node B: from the retransmission cache if A had committed it.
                    let opened = try await terminal.openCard(cardNumber: card, identityType: "01", identityNumber: EndToEndTests.identityNumber,
                                                             pinPad: EndToEndTests.FixedPINPad(pin: EndToEndTests.pin))
                    await approvals.card(opened)
                    for serial in 0..<Self.contractsPerTerminal {
                        let phone = "139" + String(format: "%02d%06d", index, serial)
                        let reference = try await terminal.signContract(cardNumber: card, carrierCode: "1", phoneNumber: phone, tariff: "monthly",
                                                                        pinPad: EndToEndTests.FixedPINPad(pin: EndToEndTests.pin))
                        await approvals.contract(reference)
                    }
                }
            }
            group.addTask {
                try await Deadline.poll("\(Self.killAfter) contracts approved before node A is killed", within: .seconds(120)) {
                    await approvals.contracts.count >= Self.killAfter
                }
                nodeA.kill()
                await approvals.markKilled()
            }
            try await group.waitForAll()
        }

        let approved = await approvals.contracts
        let afterKill = await approvals.contractsAfterKill
        #expect(approved.count == Self.terminals * Self.contractsPerTerminal)
        #expect(afterKill > 0, "the terminals kept working on node B after node A died")

        // What the database holds (asked through node B's administration).
        let contracts = try await Self.rows(nodeB.admin(["contract", "list", "--json", "--limit", "10000"]))
        let stored = contracts.compactMap { $0["reference"] as? String }
        let missing = Set(approved).subtracting(stored)
        let duplicates = stored.count - Set(stored).count
        let unexpected = Set(stored).subtracting(approved)
        #expect(missing.isEmpty, "approved but not stored: \(missing)")
        #expect(duplicates == 0 && unexpected.isEmpty, "stored twice or never approved: \(duplicates), \(unexpected)")
        #expect(stored.count == approved.count)
        #expect(try await Self.rows(nodeB.admin(["card", "list", "--json"])).count == Self.terminals)
        #expect(try await nodeB.admin(["audit", "verify"]).contains("intact"))

        // The outbox empties (node A's claims pass to node B when their lease ends), and the
        // ledger holds each approved contract once.
        var undelivered: [[String: Any]] = []
        for _ in 0..<120 {
            undelivered = try await Self.rows(nodeB.admin(["outbox", "list", "--json"]))
            if undelivered.isEmpty { break }
            try await Task.sleep(for: .milliseconds(250))
        }
        #expect(undelivered.isEmpty, "still undelivered: \(undelivered.count)")
        var ledger: [String] = []
        for day in Set(contracts.compactMap { ($0["signed"] as? String).map { String($0.prefix(10)) } }) {
            let csv = try await nodeB.admin(["ledger", "export", "--carrier", "1", "--day", day])
            ledger += approved.filter { csv.contains($0) }
            #expect(approved.allSatisfy { csv.components(separatedBy: $0).count <= 2 }, "a contract twice in the ledger of \(day)")
        }
        #expect(Set(ledger) == Set(approved) && ledger.count == approved.count)

        print("""
            multi-node: \(approved.count) contracts and \(await approvals.cards.count) cards approved \
            (\(afterKill) contracts after node A was killed); found \(stored.count) contracts, \(missing.count) missing, \
            \(duplicates + unexpected.count) duplicated or unexpected; ledger \(ledger.count); outbox undelivered \(undelivered.count); \
            exchanges cut by the kill and resent \(TwoNodeTransport.failures.value.lost), sent to node B because A refused \(TwoNodeTransport.failures.value.failedOver)
            """)
    }

    static func rows(_ json: String) throws -> [[String: Any]] {
        try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
    }
}
