import Foundation
import ISO8583
import MPOSCrypto
import MPOSProtocol
import MPOSTerminal
import NIOCore
import NIOPosix
import Testing

/// The whole patent flow over real sockets: `mpos-host serve` in its own process (started and
/// administered with the real `mpos-host` commands), terminals through the SDK in this one.
@Suite("End to end: host process, SDK terminals, loopback TCP", .serialized, .timeLimit(.minutes(10)))
struct EndToEndTests {
    static let operatorKey = "111111"  // the patent's operator 01
    static let pin = "123456"
    static let identityNumber = "11010519491231002X"

    /// A PIN pad that always types the same PIN.
    struct FixedPINPad: PINPad {
        let pin: String
        func readPIN(for cardNumber: String) async throws -> PIN { try PIN(pin) }
    }

    /// Every frame the terminal sends and receives, through the real socket transport.
    final class RecordingTransport: FrameTransport, @unchecked Sendable {
        let inner: NIOFrameTransport
        private let lock = NSLock()
        private var exchanges: [(request: [UInt8], response: [UInt8])] = []

        init(host: String, port: Int) {
            inner = NIOFrameTransport(configuration: TerminalConfiguration(host: host, port: port))
        }

        func exchange(_ frame: [UInt8], timeout: Duration) async throws -> [UInt8] {
            let response = try await inner.exchange(frame, timeout: timeout)
            lock.withLock { exchanges.append((frame, response)) }
            return response
        }

        var last: (request: [UInt8], response: [UInt8])? { lock.withLock { exchanges.last } }
    }

    /// A host process with operators 01 (key 111111) and 02 (222222).
    static func host(_ arguments: [String] = [], backend: HostBackend) async throws -> HostProcess {
        let host = try await HostProcess.start(arguments: backend.serveArguments() + arguments)
        try await host.admin(["operator", "add", "01", "--name", "Operator 01"], input: "\(operatorKey)\n")
        try await host.admin(["operator", "add", "02", "--name", "Operator 02"], input: "222222\n")
        return host
    }

    /// A new terminal, enrolled (and signed on, unless told not to) against `host`.
    static func terminal(_ host: HostProcess, signedOn: Bool = true, transport: RecordingTransport? = nil) async throws -> Terminal {
        let (id, code) = try await host.addTerminal()
        var configuration = TerminalConfiguration(host: "127.0.0.1", port: host.port)
        configuration.responseTimeout = .seconds(10)
        let terminal = try await Terminal(configuration: configuration, keyStore: InMemoryKeyStore(), transport: transport)
        try await terminal.enroll(terminalID: id, enrollmentCode: code)
        if signedOn { _ = try await terminal.signOn(operatorNumber: "01", operatorKey: operatorKey) }
        return terminal
    }

    /// A card number in the demonstration BIN ranges (`mpos-host init`'s config.json).
    static func card(_ serial: Int) -> String {
        let body = "622588" + String(format: "%09d", serial)
        return body + String(luhnDigit(body))
    }

    static func luhnDigit(_ payload: String) -> Int {
        let sum = payload.reversed().enumerated().reduce(0) { total, item in
            let digit = Int(String(item.element))!
            let doubled = item.offset % 2 == 0 ? digit * 2 : digit
            return total + (doubled > 9 ? doubled - 9 : doubled)
        }
        return (10 - sum % 10) % 10
    }

    /// The error a call throws, as its code.
    static func refusal(_ body: () async throws -> Void) async -> TerminalError.Code? {
        do {
            try await body()
            return nil
        } catch let error as TerminalError {
            return error.code
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    // MARK: The patent's claims

    @Test("claims 1-5 (and 6-10, the same as a system): sign-on, keys, card opening, contract signing, sign-off", arguments: HostBackend.allCases)
    func patentClaims(backend: HostBackend) async throws {
        let host = try await Self.host(backend: backend)
        defer { host.stop(); host.removeData() }
        let terminal = try await Self.terminal(host, signedOn: false)
        let id = try #require(await terminal.terminalID)

        // Claim 4: the operator number and key, checked against the table; the terminal is signed in.
        let keySet = try await terminal.signOn(operatorNumber: "01", operatorKey: Self.operatorKey)
        #expect(terminal.state == .signedIn)
        #expect(try await host.admin(["terminal", "show", id]).contains("signed-in"))
        // Claim 1: keys issued at sign-on (a per-terminal master key, fresh session keys).
        #expect(keySet.baseKeyVersion == 1)

        // Claim 2: card opening binds card number, customer identifier and PIN.
        let card = Self.card(1)
        let opened = try await terminal.openCard(cardNumber: card, identityType: "01", identityNumber: Self.identityNumber,
                                                 pinPad: FixedPINPad(pin: Self.pin))
        #expect(opened.count == 12)
        let cards = try await host.admin(["card", "list", "--json"])
        #expect(cards.contains("622588******") && !cards.contains(card))

        // Claim 3: contract signing verifies card and PIN and hands the contract to its module.
        let reference = try await terminal.signContract(cardNumber: card, carrierCode: "1", phoneNumber: "13912345678", tariff: "monthly",
                                                        pinPad: FixedPINPad(pin: Self.pin))
        #expect(try await host.admin(["contract", "list"]).contains(reference))
        // The server's dispatcher delivers it to the ledger module within a few seconds.
        var delivered = false
        for _ in 0..<50 where !delivered {
            delivered = try await host.admin(["outbox", "list", "--all", "--json"]).contains("\"state\" : \"delivered\"")
            if !delivered { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(delivered)

        // Claim 5: sign-off with the operator's credentials; signed out; keys deleted.
        try await terminal.signOff(operatorNumber: "01", operatorKey: Self.operatorKey)
        #expect(terminal.state == .enrolled)
        #expect(try await host.admin(["terminal", "show", id]).contains("signed-out"))
        #expect(await Self.refusal {
            _ = try await terminal.openCard(cardNumber: Self.card(2), identityType: "01", identityNumber: Self.identityNumber,
                                            pinPad: FixedPINPad(pin: Self.pin))
        } == .wrongState)
        #expect(try await host.admin(["audit", "verify"]).contains("intact"))
    }

    @Test("the host's log (every request, with --verbose) holds no card number, identity number, PIN or operator key", arguments: HostBackend.allCases)
    func logsHoldNoSecret(backend: HostBackend) async throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("mpos-e2e-log-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: log) }
        let host = try await HostProcess.start(arguments: backend.serveArguments() + ["--verbose"], logFile: log)
        try await host.admin(["operator", "add", "01", "--name", "Operator 01"], input: "\(Self.operatorKey)\n")
        let terminal = try await Self.terminal(host)
        let card = Self.card(5)
        _ = try await terminal.openCard(cardNumber: card, identityType: "01", identityNumber: Self.identityNumber, pinPad: FixedPINPad(pin: "739154"))
        _ = await Self.refusal {
            _ = try await terminal.signContract(cardNumber: card, carrierCode: "1", phoneNumber: "13912345678", tariff: "monthly", pinPad: FixedPINPad(pin: "000000"))
        }
        try await terminal.signOff(operatorNumber: "01", operatorKey: Self.operatorKey)
        #expect(host.stop() == 0)
        host.removeData()
        let text = try String(contentsOf: log, encoding: .utf8)
        #expect(text.contains("operation=card.open") && text.contains("code=55"), "the log has the requests")
        for secret in [card, Self.identityNumber, "739154", Self.operatorKey] {
            #expect(!text.contains(secret), "the log holds a secret")
        }
    }

    @Test("two terminals at once get separate keys; where the patent shares one master key, each has its own", arguments: HostBackend.allCases)
    func twoTerminals(backend: HostBackend) async throws {
        let host = try await Self.host(backend: backend)
        defer { host.stop(); host.removeData() }
        async let first = Self.terminal(host)
        async let second = Self.terminal(host)
        let (one, two) = try await (first, second)
        let keysOne = try #require(await one.keyCheckValues)
        let keysTwo = try #require(await two.keyCheckValues)
        #expect(keysOne.masterKey != keysTwo.masterKey)
        #expect(keysOne.pinKey != keysTwo.pinKey && keysOne.macKey != keysTwo.macKey && keysOne.dataKey != keysTwo.dataKey)
        async let a = one.openCard(cardNumber: Self.card(10), identityType: "01", identityNumber: Self.identityNumber, pinPad: FixedPINPad(pin: Self.pin))
        async let b = two.openCard(cardNumber: Self.card(11), identityType: "01", identityNumber: Self.identityNumber, pinPad: FixedPINPad(pin: Self.pin))
        let (ra, rb) = try await (a, b)
        #expect(ra != rb)
    }

    // MARK: Refusals

    @Test("a wrong operator key is refused (A2); five lock the operator (A3) until unlocked", arguments: HostBackend.allCases)
    func operatorLockout(backend: HostBackend) async throws {
        let host = try await Self.host(backend: backend)
        defer { host.stop(); host.removeData() }
        let terminal = try await Self.terminal(host, signedOn: false)
        for _ in 1...5 {
            #expect(await Self.refusal { _ = try await terminal.signOn(operatorNumber: "01", operatorKey: "999999") } == .invalidOperator)
        }
        #expect(await Self.refusal { _ = try await terminal.signOn(operatorNumber: "01", operatorKey: Self.operatorKey) } == .operatorLocked)
        try await host.admin(["operator", "unlock", "01"])
        _ = try await terminal.signOn(operatorNumber: "01", operatorKey: Self.operatorKey)
        #expect(terminal.state == .signedIn)
    }

    @Test("a terminal not enrolled, or blocked, is refused (03, 58)", arguments: HostBackend.allCases)
    func unenrolledAndBlocked(backend: HostBackend) async throws {
        let host = try await Self.host(backend: backend)
        defer { host.stop(); host.removeData() }
        // A terminal the host never issued.
        let stranger = try await Terminal(configuration: TerminalConfiguration(host: "127.0.0.1", port: host.port), keyStore: InMemoryKeyStore())
        #expect(await Self.refusal { try await stranger.enroll(terminalID: "ZZZZZZZZ", enrollmentCode: String(repeating: "0", count: 32)) } == .invalidTerminal)
        #expect(stranger.state == .unenrolled)
        let terminal = try await Self.terminal(host)
        let id = try #require(await terminal.terminalID)
        try await host.admin(["terminal", "block", id])
        #expect(await Self.refusal {
            _ = try await terminal.openCard(cardNumber: Self.card(20), identityType: "01", identityNumber: Self.identityNumber, pinPad: FixedPINPad(pin: Self.pin))
        } == .terminalBlocked)
        try await host.admin(["terminal", "unblock", id])
    }

    @Test("business messages before sign-on and after sign-off are refused; keys of a previous session get A1", arguments: HostBackend.allCases)
    func businessOutsideSession(backend: HostBackend) async throws {
        let host = try await Self.host(backend: backend)
        defer { host.stop(); host.removeData() }
        let terminal = try await Self.terminal(host, signedOn: false)
        #expect(await Self.refusal {
            _ = try await terminal.openCard(cardNumber: Self.card(30), identityType: "01", identityNumber: Self.identityNumber, pinPad: FixedPINPad(pin: Self.pin))
        } == .wrongState)
        _ = try await terminal.signOn(operatorNumber: "01", operatorKey: Self.operatorKey)
        let id = try #require(await terminal.terminalID)
        try await host.admin(["terminal", "sign-off", id])  // the administrator revokes the session
        #expect(await Self.refusal {
            _ = try await terminal.openCard(cardNumber: Self.card(30), identityType: "01", identityNumber: Self.identityNumber, pinPad: FixedPINPad(pin: Self.pin))
        } == .keysOutdated)
        #expect(terminal.state == .enrolled)

        // Signed off by the administrator, a terminal that tries to sign off learns it (12) and
        // drops its keys; and a signed-in terminal may sign on again (a new session replaces the old).
        _ = try await terminal.signOn(operatorNumber: "01", operatorKey: Self.operatorKey)
        try await host.admin(["terminal", "sign-off", id])
        #expect(await Self.refusal { try await terminal.signOff(operatorNumber: "01", operatorKey: Self.operatorKey) } == .invalidTransaction)
        #expect(terminal.state == .enrolled)
        _ = try await terminal.signOn(operatorNumber: "01", operatorKey: Self.operatorKey)
        let second = try await terminal.signOn(operatorNumber: "01", operatorKey: Self.operatorKey)
        #expect(terminal.state == .signedIn)
        #expect(try await host.admin(["terminal", "show", id]).contains(String(second.session)))
    }

    @Test("a tampered message gets A0; a replayed one gets the original response and changes nothing", arguments: HostBackend.allCases)
    func tamperAndReplay(backend: HostBackend) async throws {
        let host = try await Self.host(backend: backend)
        defer { host.stop(); host.removeData() }
        let recorder = RecordingTransport(host: "127.0.0.1", port: host.port)
        let terminal = try await Self.terminal(host, transport: recorder)
        _ = try await terminal.openCard(cardNumber: Self.card(40), identityType: "01", identityNumber: Self.identityNumber, pinPad: FixedPINPad(pin: Self.pin))
        let (request, response) = try #require(recorder.last)
        let raw = NIOFrameTransport(configuration: TerminalConfiguration(host: "127.0.0.1", port: host.port))
        // Replay: byte for byte the original response; still one card.
        #expect(try await raw.exchange(request, timeout: .seconds(10)) == response)
        #expect(try await host.admin(["card", "list", "--json"]).components(separatedBy: "\"card\"").count == 2)
        // Tamper: one bit of the PIN block region.
        var tampered = request
        tampered[tampered.count - 40] ^= 0x01
        let refused = try ISO8583Codec(specification: .mpos).decode(try await raw.exchange(tampered, timeout: .seconds(10)))
        #expect(refused.text(MPOSField.responseCode) == ResponseCode.macFailure.rawValue)
        await raw.close()
    }

    @Test("wrong PINs: 55, then locked after three (75); invalid card (14) or identity (A5); card not opened (25); opened twice (A6)", arguments: HostBackend.allCases)
    func cardAndContractRules(backend: HostBackend) async throws {
        let host = try await Self.host(backend: backend)
        defer { host.stop(); host.removeData() }
        let terminal = try await Self.terminal(host)
        let card = Self.card(50)
        func open(_ number: String, _ identity: String = Self.identityNumber) async -> TerminalError.Code? {
            await Self.refusal { _ = try await terminal.openCard(cardNumber: number, identityType: "01", identityNumber: identity, pinPad: FixedPINPad(pin: Self.pin)) }
        }
        func sign(_ number: String, pin: String) async -> TerminalError.Code? {
            await Self.refusal {
                _ = try await terminal.signContract(cardNumber: number, carrierCode: "1", phoneNumber: "13912345678", tariff: "monthly", pinPad: FixedPINPad(pin: pin))
            }
        }
        #expect(await sign(card, pin: Self.pin) == .cardNotOpened)
        #expect(await open(String(card.dropLast()) + String((Int(String(card.last!))! + 1) % 10)) == .invalidCardNumber)
        #expect(await open(card, "110105194912310021") == .invalidIdentity)
        #expect(await open(card) == nil)
        #expect(await open(card) == .cardAlreadyOpened)
        #expect(await sign(card, pin: "000001") == .incorrectPIN)
        #expect(await sign(card, pin: "000002") == .incorrectPIN)
        #expect(await sign(card, pin: "000003") == .pinTriesExceeded)
        #expect(await sign(card, pin: Self.pin) == .pinTriesExceeded)
    }

    @Test("a master-key rotation is picked up at the next sign-on", arguments: HostBackend.allCases)
    func rotation(backend: HostBackend) async throws {
        let host = try await Self.host(backend: backend)
        defer { host.stop(); host.removeData() }
        let terminal = try await Self.terminal(host)
        let before = try #require(await terminal.keyCheckValues)
        #expect(try await host.admin(["key", "rotate"]).contains("version 2 is active"))
        try await terminal.signOff(operatorNumber: "01", operatorKey: Self.operatorKey)
        let keySet = try await terminal.signOn(operatorNumber: "01", operatorKey: Self.operatorKey)
        #expect(keySet.baseKeyVersion == 2)
        let after = try #require(await terminal.keyCheckValues)
        #expect(after.masterKey != before.masterKey)
        _ = try await terminal.openCard(cardNumber: Self.card(60), identityType: "01", identityNumber: Self.identityNumber, pinPad: FixedPINPad(pin: Self.pin))
    }

    // MARK: The wire

    @Test("malformed and oversized frames close their connection without harming other terminals; a stalled half frame is cut off", arguments: HostBackend.allCases)
    func hostileFrames(backend: HostBackend) async throws {
        let host = try await Self.host(["--frame-timeout", "2"], backend: backend)
        defer { host.stop(); host.removeData() }
        let terminal = try await Self.terminal(host)
        let address = try SocketAddress(ipAddress: "127.0.0.1", port: host.port)
        for bytes: [UInt8] in [[0xFF, 0xFF] + Array(repeating: 0, count: 16), [0x00, 0x05] + Array("junk!".utf8), [0x00, 0x10, 1, 2, 3]] {
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(to: address).get()
            try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
            // Closed by the server: oversized at once, junk after decoding, the half frame at its (2 s) deadline.
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await channel.closeFuture.get() }
                group.addTask { try await Task.sleep(for: .seconds(10)); throw CancellationError() }
                try await group.next()
                group.cancelAll()
            }
        }
        // The terminal carries on.
        _ = try await terminal.openCard(cardNumber: Self.card(70), identityType: "01", identityNumber: Self.identityNumber, pinPad: FixedPINPad(pin: Self.pin))
        try await terminal.echo()
    }

    @Test("SIGTERM: the host stops gracefully; restarted on the same data directory, it carries on", arguments: HostBackend.allCases)
    func restart(backend: HostBackend) async throws {
        let host = try await Self.host(backend: backend)
        let keyStore = InMemoryKeyStore()
        let (id, code) = try await host.addTerminal()
        let terminal = try await Terminal(configuration: TerminalConfiguration(host: "127.0.0.1", port: host.port), keyStore: keyStore)
        try await terminal.enroll(terminalID: id, enrollmentCode: code)
        _ = try await terminal.signOn(operatorNumber: "01", operatorKey: Self.operatorKey)
        let card = Self.card(80)
        _ = try await terminal.openCard(cardNumber: card, identityType: "01", identityNumber: Self.identityNumber, pinPad: FixedPINPad(pin: Self.pin))
        #expect(host.stop() == 0)

        let again = try await HostProcess.start(dataDirectory: host.dataDirectory)
        defer { again.stop(); again.removeData() }
        // The app restarts too: same key store (device keys, pinned host keys, TMK), new session.
        let restarted = try await Terminal(configuration: TerminalConfiguration(host: "127.0.0.1", port: again.port), keyStore: keyStore)
        #expect(restarted.state == .enrolled)
        _ = try await restarted.signOn(operatorNumber: "01", operatorKey: Self.operatorKey)
        let reference = try await restarted.signContract(cardNumber: card, carrierCode: "1", phoneNumber: "13912345678", tariff: "monthly",
                                                         pinPad: FixedPINPad(pin: Self.pin))
        #expect(try await again.admin(["contract", "list"]).contains(reference))
    }
}
