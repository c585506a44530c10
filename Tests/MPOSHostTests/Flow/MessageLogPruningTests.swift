import ISO8583
@testable import MPOSHost
import MPOSProtocol
import Testing

@Suite("Retransmission cache pruning")
struct MessageLogPruningTests {
    @Test("each terminal's cache is cut back at every 64th entry it logs on this node, whatever other terminals do")
    func everyIntervalPerTerminal() {
        let pruning = MessageLogPruning()
        var due: [String: [Int]] = [:]
        for entry in 1...200 {
            for terminal in ["A", "B"] where terminal == "A" || entry % 2 == 0 {
                if pruning.isDue(terminalID: terminal) { due[terminal, default: []].append(entry) }
            }
        }
        #expect(due["A"] == [64, 128, 192])
        #expect(due["B"] == [128])
    }

    @Test("a terminal's log keeps its capacity at least, and fewer than 64 entries more", arguments: StoreBackend.allCases)
    func bounded(backend: StoreBackend) async throws {
        try await HostHarness.run(backend, configure: { $0.retransmissionCacheCapacity = 4 }) { h in
            let codec = ISO8583Codec(specification: .mpos)
            var terminal = try await h.terminal()   // its enrollment and sign-on are entries 1 and 2
            #expect(try await terminal.openCard(HostHarness.cardNumber(51)).code == .approved)
            let terminalID = terminal.id
            var stans = [try #require(try codec.decode(terminal.lastRequest).text(MPOSField.systemTraceAuditNumber))]
            func kept() async throws -> [Int] {
                var kept: [Int] = []
                for (index, stan) in stans.enumerated() where try await h.store.transaction({ tx in
                    try await tx.messageLogEntry(terminalID: terminalID, stan: stan)
                }) != nil { kept.append(index) }
                return kept
            }
            for contract in 1...70 {
                #expect(try await terminal.signContract(HostHarness.cardNumber(51), phone: "139000\(String(format: "%05d", contract))").code == .approved)
                stans.append(try #require(try codec.decode(terminal.lastRequest).text(MPOSField.systemTraceAuditNumber)))
                // Contract 60 is entry 63: nothing cut yet. Contract 61 is entry 64: cut to the newest 4.
                if contract == 60 { #expect(try await kept() == Array(0...60)) }
                if contract == 61 { #expect(try await kept() == Array(58...61)) }
            }
            #expect(try await kept() == Array(58...70))
        }
    }
}
