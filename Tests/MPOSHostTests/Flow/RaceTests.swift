import Foundation
import MPOSHost
import MPOSProtocol
import Testing

/// Two host nodes on one database, the same moment: whatever the interleaving, one outcome.
/// On PostgreSQL the nodes are two stores (two pools) and the requests really run side by
/// side; on SQLite they queue on the one writer, and the same assertions hold.
@Suite("Races between nodes")
struct RaceTests {
    /// Sends each frame to a node, all at once; the replies in the frames' order.
    static func race(_ frames: [([UInt8], HostEngine)]) async throws -> [[UInt8]] {
        try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
            for (index, (frame, node)) in frames.enumerated() {
                group.addTask {
                    guard case .respond(let response) = await node.handle(frame) else { throw HarnessFailure("the host closed the connection") }
                    return (index, response)
                }
            }
            var replies = [[UInt8]](repeating: [], count: frames.count)
            for try await (index, reply) in group { replies[index] = reply }
            return replies
        }
    }

    @Test("one request reaching two nodes at once is done once; both get the same response", arguments: StoreBackend.allCases)
    func sameSTAN(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { harness in
            try await harness.withSecondNode { nodeB in
                var terminal = try await harness.terminal()
                harness.clock.advance(1)
                let frame = try terminal.cardOpeningFrame(card: HostHarness.cardNumber(1), machine: &terminal.machine, at: harness.clock.now)
                let replies = try await Self.race([(frame, harness.host), (frame, nodeB), (frame, harness.host), (frame, nodeB)])
                #expect(Set(replies).count == 1, "every copy gets the same response, byte for byte")
                #expect(try terminal.machine.receive(replies[0]).code == .approved)
                #expect(try await harness.admin.cards().count == 1)
                #expect(try await harness.admin.verifyAuditTrail() == .intact(entries: try await harness.admin.auditHead()!.sequence))
            }
        }
    }

    @Test("two terminals opening the same card at two nodes: one card, one 00 and one A6", arguments: StoreBackend.allCases)
    func sameCard(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { harness in
            try await harness.withSecondNode { nodeB in
                var first = try await harness.terminal()
                var second = try await harness.terminal()
                harness.clock.advance(1)
                let card = HostHarness.cardNumber(2)
                let frames = [try first.cardOpeningFrame(card: card, machine: &first.machine, at: harness.clock.now),
                              try second.cardOpeningFrame(card: card, machine: &second.machine, at: harness.clock.now)]
                let replies = try await Self.race([(frames[0], harness.host), (frames[1], nodeB)])
                let codes = [try first.machine.receive(replies[0]).code, try second.machine.receive(replies[1]).code]
                #expect(Set(codes.map { $0?.rawValue }) == [ResponseCode.approved.rawValue, ResponseCode.cardAlreadyOpened.rawValue])
                #expect(try await harness.admin.cards().count == 1)
            }
        }
    }

    @Test("the same contract from two terminals at two nodes: one contract, one delivery, both told its reference", arguments: StoreBackend.allCases)
    func sameContract(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { harness in
            try await harness.withSecondNode { nodeB in
                var first = try await harness.terminal()
                var second = try await harness.terminal()
                let card = HostHarness.cardNumber(3)
                #expect(try await first.openCard(card).code == .approved)
                harness.clock.advance(1)
                let frames = [try first.contractFrame(card: card, machine: &first.machine, at: harness.clock.now),
                              try second.contractFrame(card: card, machine: &second.machine, at: harness.clock.now)]
                let replies = try await Self.race([(frames[0], harness.host), (frames[1], nodeB)])
                let outcomes = [try first.machine.receive(replies[0]), try second.machine.receive(replies[1])]
                #expect(outcomes.map(\.code) == [.approved, .approved])
                #expect(outcomes[0].reference != nil && outcomes[0].reference == outcomes[1].reference)
                #expect(try await harness.admin.contracts().count == 1)
                #expect(try await harness.admin.outbox(states: [.pending, .delivered, .deadLettered]).count == 1)
            }
        }
    }

    @Test("wrong PINs at two nodes at once are each counted: the card locks at the limit, no more", arguments: StoreBackend.allCases)
    func pinTriesAreNotLost(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { harness in
            try await harness.withSecondNode { nodeB in
                var terminals: [SimulatedTerminal] = []
                for _ in 0..<4 { terminals.append(try await harness.terminal()) }
                let card = HostHarness.cardNumber(4)
                #expect(try await terminals[0].openCard(card).code == .approved)
                harness.clock.advance(1)
                var frames: [([UInt8], HostEngine)] = []
                for index in terminals.indices {
                    let frame = try terminals[index].contractFrame(card: card, pin: "654321", machine: &terminals[index].machine, at: harness.clock.now)
                    frames.append((frame, index.isMultiple(of: 2) ? harness.host : nodeB))
                }
                let replies = try await Self.race(frames)
                var codes: [ResponseCode?] = []
                for index in terminals.indices { codes.append(try terminals[index].machine.receive(replies[index]).code) }
                // Three tries are counted (the third locks the card); the fourth finds it locked.
                #expect(codes.filter { $0 == .incorrectPIN }.count == 2, "\(codes)")
                #expect(codes.filter { $0 == .pinTriesExceeded }.count == 2, "\(codes)")
                let stored = try #require(try await harness.admin.cards().first)
                #expect(stored.isLocked && stored.consecutivePINFailures == 3)
            }
        }
    }

    @Test("wrong operator keys at two nodes at once are each counted: the operator locks", arguments: StoreBackend.allCases)
    func operatorFailuresAreNotLost(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { harness in
            try await harness.withSecondNode { nodeB in
                var terminals: [SimulatedTerminal] = []
                for _ in 0..<6 { terminals.append(try await harness.terminal(signedOn: false)) }
                harness.clock.advance(1)
                var frames: [([UInt8], HostEngine)] = []
                for index in terminals.indices {
                    let frame = try terminals[index].machine.signOn(
                        operator: OperatorCredentials(number: HostHarness.operatorNumber, key: "wrong-\(index)"), at: harness.clock.now)
                    frames.append((frame, index.isMultiple(of: 2) ? harness.host : nodeB))
                }
                _ = try await Self.race(frames)
                let stored = try #require(try await harness.admin.operators().first { $0.number == HostHarness.operatorNumber })
                #expect(stored.isLocked)
                #expect(stored.consecutiveFailures == harness.configuration.operatorLockoutThreshold)
                #expect(try await harness.admin.verifyAuditTrail() == .intact(entries: try await harness.admin.auditHead()!.sequence))
            }
        }
    }

    @Test("two nodes' dispatchers claiming at the same moment deliver each contract once", arguments: StoreBackend.allCases)
    func outboxClaims(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { harness in
            try await harness.withSecondNode { nodeB in
                var terminal = try await harness.terminal()
                var references: [String] = []
                for index in 0..<12 {
                    let card = HostHarness.cardNumber(600 + index)
                    #expect(try await terminal.openCard(card).code == .approved)
                    references.append(try #require(try await terminal.signContract(card, carrier: "3").reference))
                }
                let dispatchers = [OutboxDispatcher(host: harness.host, owner: "A"), OutboxDispatcher(host: nodeB, owner: "B"),
                                   OutboxDispatcher(host: harness.host, owner: "C"), OutboxDispatcher(host: nodeB, owner: "D")]
                let claimed = try await withThrowingTaskGroup(of: Int.self) { group in
                    for dispatcher in dispatchers { group.addTask { try await dispatcher.dispatchDue().delivered } }
                    return try await group.reduce(0, +)
                }
                #expect(claimed == references.count)
                #expect(harness.scripted.delivered.map(\.reference).sorted() == references.sorted(), "each contract delivered exactly once")
            }
        }
    }
}
