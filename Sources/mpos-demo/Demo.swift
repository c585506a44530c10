import ArgumentParser
import Foundation
import Logging
import MPOSCrypto
import MPOSHost
import MPOSHostRuntime
import MPOSServer
import MPOSTerminal
import ServiceLifecycle

/// `mpos-demo`: the patent's embodiment, steps 101 to 112, run for real — the host on
/// loopback with a temporary embedded store, terminal 1# through the SDK over TCP — printing
/// each step, the state changes and masked values; then terminal 2# signs on and gets keys of
/// its own. Exits 0 only if every step behaved as the patent says (and as mpos improves it).
@main
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mpos-demo",
        abstract: "Run the patent's flow (steps 101-112) against a real host on loopback, and check every step.")

    @Flag(help: "Keep the temporary data directory (its path is printed).") var keep = false

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
        let script = DemoScript()
        let passed: Bool
        do {
            passed = try await script.run(keepData: keep)
        } catch {
            script.fail("the demo stopped: \(error)")
            passed = false
        }
        print(passed ? "\nEvery step behaved as the patent says. ✔" : "\nSome step did not behave as expected. ✘")
        if !passed { throw ExitCode(1) }
    }
}

/// A PIN pad that types the patent's PIN, as the customer would.
struct DemoPINPad: PINPad {
    let pin: String
    func readPIN(for cardNumber: String) async throws -> PIN {
        print("      PIN pad: the customer enters a 6-digit PIN for card \(cardNumber)")
        return try PIN(pin)
    }
}

final class DemoScript: @unchecked Sendable {
    private var failures = 0

    // The patent's example values; where mpos's rules refuse one, the nearest valid one.
    static let operatorKeys = ["01": "111111", "02": "222222"]
    static let cardNumber = "4367123412341234126"     // the patent's 4367123412341234123, with a valid Luhn digit
    static let identityNumber = "410102196905185559"  // the patent's 410102196905185552, with a valid GB 11643 check character
    static let phoneNumber = "13912345678"            // the patent's 12345678912 is not a mainland mobile number
    static let pin = "123456"

    func step(_ number: String, _ text: String) { print("\n[\(number)] \(text)") }
    func note(_ text: String) { print("      \(text)") }
    func check(_ condition: Bool, _ text: String) {
        print("      \(condition ? "✔" : "✘") \(text)")
        if !condition { failures += 1 }
    }
    func fail(_ text: String) {
        print("      ✘ \(text)")
        failures += 1
    }

    func run(keepData: Bool) async throws -> Bool {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mpos-demo-\(UUID().uuidString)")
        defer { if !keepData { try? FileManager.default.removeItem(at: folder) } }
        let directory = DataDirectory(path: folder.path)
        // The bank's rules: the demonstration BIN ranges plus the patent's card's issuer.
        var settings = HostSettings()
        settings.binRanges.append(try BINRange(low: "436712", high: "436712"))
        try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try JSONEncoder().encode(settings).write(to: URL(fileURLWithPath: directory.configurationPath))

        print("mpos demo: patent CN101404574A, steps 101-112, over TCP on loopback")
        let logger = Logger(label: "mpos.demo")
        let runtime = try await HostRuntime.open(directory: directory, initializeIfMissing: true, logger: logger)
        var serverConfiguration = HostServerConfiguration()
        serverConfiguration.port = 0
        let (server, services) = runtime.services(server: serverConfiguration, node: "demo", logger: logger)
        let group = ServiceGroup(services: services, logger: logger)
        let serving = Task { try await group.run() }
        defer { serving.cancel() }
        let port = try await server.listeningAddress().port ?? 0
        let admin = try await runtime.administration(actor: "admin:demo")
        print("Host: listening on 127.0.0.1:\(port); data in \(keepData ? directory.path : "a temporary directory")")
        let inventory = try await admin.keyInventory()
        if let version = inventory.baseMasterKeys.first?.record {
            note("base master key v\(version.version), check value \(version.checkValue) — never leaves the host; each terminal's master key is derived from it")
        }
        for (number, key) in Self.operatorKeys.sorted(by: { $0.key < $1.key }) {
            _ = try await admin.addOperator(number: number, name: "Operator \(number)", key: key)
        }
        note("operator table: 01 and 02 (their keys stored only as keyed verification values)")

        // Terminals 1# and 2#, enrolled once with one-time codes.
        var terminals: [Terminal] = []
        for name in ["1#", "2#"] {
            let (record, code) = try await admin.addTerminal(label: "terminal \(name)")
            let terminal = try await Terminal(configuration: TerminalConfiguration(host: "127.0.0.1", port: port), keyStore: InMemoryKeyStore())
            try await terminal.enroll(terminalID: record.id, enrollmentCode: code)
            note("terminal \(name) = \(record.id): enrolled (device keys registered, host keys pinned) — state \(terminal.state)")
            terminals.append(terminal)
        }
        let one = terminals[0], two = terminals[1]
        let oneID = await one.terminalID ?? "?"
        let watcher = Task { for await state in one.states { print("      · terminal 1# is now \(state)") } }
        defer { watcher.cancel() }

        step("101", "terminal 1# signs on: operator 01, operator key 111111 (sealed to the host's key, never in clear)")
        let keySet = try await one.signOn(operatorNumber: "01", operatorKey: Self.operatorKeys["01"]!)
        step("102", "the host finds 01/111111 in the operator table and sets terminal 1# signed in")
        check(try await admin.terminal(oneID).displayState == .signedIn, "host: terminal \(oneID) is signed in (session \(keySet.session))")
        step("103", "the host issues keys: 1#'s own master key (sealed to the device) and fresh PIN, MAC and data keys under it")
        let keysOne = await one.keyCheckValues
        if let keysOne {
            note("key set \(keySet.field): base key version \(keySet.baseKeyVersion), session \(keySet.session)")
            note("check values — master key \(keysOne.masterKey), PIN key \(keysOne.pinKey), MAC key \(keysOne.macKey), data key \(keysOne.dataKey)")
        }
        step("104", "terminal 1# opens the master key, unwraps the three keys and checks their check values")
        let hostKeys = try await admin.sessionKeyCheckValues(session: Int64(keySet.session))
        check(keysOne.map { [$0.pinKey, $0.macKey, $0.dataKey] } == hostKeys.map { [$0.pinKey, $0.macKey, $0.dataKey] },
              "the terminal's PIN, MAC and data keys are the host's (same check values on both sides)")

        step("105", "card opening: card \(PrimaryAccountNumber.maskedForDemo(Self.cardNumber)), resident identity card, the customer's PIN")
        step("106", "the terminal makes a format 4 PIN block under the PIN key; card and identity go AES-GCM under the data key; the message is MACed")
        let opened = try await one.openCard(cardNumber: Self.cardNumber, identityType: "01", identityNumber: Self.identityNumber,
                                            pinPad: DemoPINPad(pin: Self.pin))
        step("107", "the host verifies the MAC, opens the data, deciphers the PIN")
        step("108", "the host binds card number, customer identifier and PIN")
        let cards = try await admin.cards()
        check(cards.count == 1 && cards[0].maskedCardNumber == PrimaryAccountNumber.maskedForDemo(Self.cardNumber),
              "card \(cards.first?.maskedCardNumber ?? "?") opened, reference \(opened); customer \(cards.first.map { String($0.customerIdentifier.prefix(12)) } ?? "?")…; PIN kept only as a verification value")

        step("109", "contract signing: card, PIN, carrier 1 (China Mobile), phone \(Self.phoneNumber.prefix(3))****\(Self.phoneNumber.suffix(4)), tariff monthly")
        let reference = try await one.signContract(cardNumber: Self.cardNumber, carrierCode: "1", phoneNumber: Self.phoneNumber, tariff: "monthly",
                                                   pinPad: DemoPINPad(pin: Self.pin))
        step("110", "the host verifies the MAC and opens the contract")
        step("111", "the host verifies card and PIN and hands the contract to carrier 1's business module (the ledger)")
        let contracts = try await admin.contracts()
        check(contracts.first?.reference == reference, "contract \(reference) signed for carrier 1")
        var delivered = false
        for _ in 0..<50 where !delivered {
            delivered = try await admin.outbox(states: [.delivered]).contains { $0.contractReference == reference }
            if !delivered { try await Task.sleep(for: .milliseconds(100)) }
        }
        check(delivered, "the ledger module has it (durable outbox, delivered)")

        step("112", "sign-off: operator 01 / 111111; the host signs 1# out and erases its session keys; the terminal deletes its keys")
        try await one.signOff(operatorNumber: "01", operatorKey: Self.operatorKeys["01"]!)
        check(try await admin.terminal(oneID).displayState == .signedOut, "host: terminal \(oneID) is signed out")
        check(await one.keyCheckValues == nil, "terminal 1#: no session keys left")
        check(try await admin.sessionKeyCheckValues(session: Int64(keySet.session)) == nil, "host: session \(keySet.session)'s keys are erased")

        step("2#", "terminal 2# signs on (operator 02) and gets keys of its own")
        _ = try await two.signOn(operatorNumber: "02", operatorKey: Self.operatorKeys["02"]!)
        let keysTwo = await two.keyCheckValues
        if let keysTwo {
            note("check values — master key \(keysTwo.masterKey), PIN key \(keysTwo.pinKey), MAC key \(keysTwo.macKey), data key \(keysTwo.dataKey)")
        }
        check(keysOne != nil && keysTwo != nil && keysOne?.masterKey != keysTwo?.masterKey,
              "a different master key from 1#'s (the patent gives every terminal the same one)")
        check(keysOne?.pinKey != keysTwo?.pinKey && keysOne?.macKey != keysTwo?.macKey && keysOne?.dataKey != keysTwo?.dataKey,
              "different PIN, MAC and data keys from 1#'s")
        try await two.signOff(operatorNumber: "02", operatorKey: Self.operatorKeys["02"]!)

        let audit = try await admin.verifyAuditTrail()
        if case .intact(let entries) = audit {
            check(true, "the audit trail verifies: \(entries) entries, chained")
        } else {
            check(false, "the audit trail verifies (\(audit))")
        }
        await group.triggerGracefulShutdown()
        _ = try? await serving.value
        try await runtime.store.close()
        return failures == 0
    }
}

extension PrimaryAccountNumber {
    /// The masked form of a card number (first 6 / last 4 at most), for the demo's lines.
    static func maskedForDemo(_ digits: String) -> String {
        (try? PrimaryAccountNumber(digits).masked) ?? "?"
    }
}
