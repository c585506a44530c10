import Foundation
import ISO8583
import MPOSCrypto
import MPOSHost
import MPOSHostPostgres
import MPOSProtocol
import Testing

/// A clock the tests move by hand.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    init(_ start: Date = Date(timeIntervalSince1970: 1_795_000_000)) { current = start }

    var now: Date { lock.withLock { current } }
    func advance(_ seconds: TimeInterval) { lock.withLock { current = current.addingTimeInterval(seconds) } }
    var reader: @Sendable () -> Date { { self.now } }
}

/// A business module whose answers the test scripts.
final class ScriptedModule: BusinessModule, @unchecked Sendable {
    let name: String
    private let lock = NSLock()
    private var _decision: BusinessDecision = .accept
    private var _results: [DeliveryResult] = []
    private var _delivered: [ContractDelivery] = []

    init(name: String) { self.name = name }

    var decision: BusinessDecision {
        get { lock.withLock { _decision } }
        set { lock.withLock { _decision = newValue } }
    }
    /// Results of the next deliveries, in order; `.delivered` once they run out.
    func script(_ results: [DeliveryResult]) { lock.withLock { _results = results } }
    var delivered: [ContractDelivery] { lock.withLock { _delivered } }

    func review(_ contract: ContractDelivery) -> BusinessDecision { decision }
    func deliver(_ contract: ContractDelivery) async -> DeliveryResult {
        lock.withLock {
            _delivered.append(contract)
            return _results.isEmpty ? .delivered : _results.removeFirst()
        }
    }
}

/// A host on a fresh store (operator 01 with key Op#5417, the demonstration BIN ranges and the
/// three standard carriers — carrier 3 served by a scripted module), and terminals that talk
/// to it through the real terminal state machine, frame by frame, without sockets.
struct HostHarness {
    static let operatorNumber = "01"
    static let operatorKey = "Op#5417"
    static let pin = "123456"
    static let identityNumber = "11010519491231002X"
    static let phoneNumber = "13812345678"

    let store: any HostStore & LedgerStore
    let lmk: LocalMasterKey
    let clock: TestClock
    let admin: HostAdministration
    let host: HostEngine
    let scripted: ScriptedModule
    let modules: BusinessModuleRegistry
    let configuration: HostConfiguration

    /// Runs `body` with a harness on every backend the store tests use.
    static func run(_ backend: StoreBackend, configure: (inout HostConfiguration) -> Void = { _ in },
                    _ body: (HostHarness) async throws -> Void) async throws {
        try await backend.withStore { store in
            let harness = try await HostHarness(store: store, configure: configure)
            try await body(harness)
        }
    }

    init(store: any HostStore & LedgerStore, lmk: LocalMasterKey? = nil, clock: TestClock = TestClock(), configure: (inout HostConfiguration) -> Void = { _ in }) async throws {
        self.store = store
        self.clock = clock
        let lmk = try lmk ?? LocalMasterKey()
        self.lmk = lmk
        if try await store.transaction({ tx in try await tx.hostKeys().isEmpty }) {
            _ = try await HostAdministration.initialize(store: store, lmk: lmk, actor: "admin:test", clock: clock.reader)
        }
        admin = try await HostAdministration.open(store: store, lmk: lmk, actor: "admin:test", clock: clock.reader)
        if try await admin.operators().isEmpty {
            _ = try await admin.addOperator(number: Self.operatorNumber, name: "Operator 01", key: Self.operatorKey)
        }
        var configuration = HostConfiguration()
        configuration.cardPolicy = .demonstration
        configuration.carriers = CarrierRegistry(carriers: [
            Carrier(code: "1", name: "China Mobile", tariffs: ["monthly", "prepaid"], module: "ledger"),
            Carrier(code: "2", name: "China Unicom", tariffs: ["monthly"], module: "ledger"),
            Carrier(code: "3", name: "China Telecom", tariffs: ["monthly"], module: "scripted"),
            Carrier(code: "4", name: "Nobody", tariffs: ["monthly"], module: "absent"),
        ])
        configure(&configuration)
        self.configuration = configuration
        scripted = ScriptedModule(name: "scripted")
        modules = BusinessModuleRegistry([LedgerModule(store: store, clock: clock.reader), scripted])
        host = try await HostEngine.start(store: store, lmk: lmk, configuration: configuration, modules: modules, clock: clock.reader)
    }

    /// Runs `body` with a second host node on the same database: on PostgreSQL a store of its
    /// own (another pool, as another process would have), on SQLite the same store (one
    /// process owns the file).
    func withSecondNode(_ body: (HostEngine) async throws -> Void) async throws {
        guard let store = store as? PostgresHostStore else {
            return try await body(try await HostEngine.start(store: store, lmk: lmk, configuration: configuration, modules: modules, clock: clock.reader))
        }
        let second = try await PostgresHostStore.open(store.configuration)
        do {
            try await body(try await HostEngine.start(store: second, lmk: lmk, configuration: configuration, modules: modules, clock: clock.reader))
        } catch {
            try? await second.close()
            throw error
        }
        try await second.close()
    }

    /// Adds a terminal, enrolls it, and (unless told not to) signs operator 01 on.
    func terminal(signedOn: Bool = true) async throws -> SimulatedTerminal {
        let (record, code) = try await admin.addTerminal(label: "test")
        var terminal = SimulatedTerminal(harness: self, id: record.id)
        #expect(try await terminal.enroll(code) == .enrolled)
        if signedOn {
            let outcome = try await terminal.signOn()
            guard case .signedIn = outcome else { throw HarnessFailure("sign-on refused: \(outcome)") }
        }
        return terminal
    }

    /// A card number in the demonstration BIN ranges with a valid Luhn digit.
    static func cardNumber(_ serial: Int, prefix: String = "622588") -> String {
        let body = prefix + String(format: "%0\(15 - prefix.count)d", serial)
        return body + String(Luhn.checkDigit(forPayload: body)!)
    }

    func terminalRecord(_ id: String) async throws -> TerminalRecord {
        try await admin.terminal(id)
    }

    func session(_ number: Int64) async throws -> SessionRecord? {
        try await store.transaction { tx in try await tx.session(number: number) }
    }
}

struct HarnessFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// One terminal: the real `TerminalStateMachine`, its frames handed to `Host.handle`.
struct SimulatedTerminal {
    let harness: HostHarness
    var machine: TerminalStateMachine
    /// The last request frame sent, and the response to it.
    private(set) var lastRequest: [UInt8] = []
    private(set) var lastResponse: [UInt8] = []

    init(harness: HostHarness, id: String) {
        self.harness = harness
        machine = TerminalStateMachine(credentials: .init(terminalID: id))
    }

    var id: String { machine.credentials.terminalID }

    /// Sends a frame, hands the response to the state machine; advances the clock a second.
    mutating func send(_ frame: [UInt8]) async throws -> TerminalStateMachine.Outcome {
        harness.clock.advance(1)
        lastRequest = frame
        guard case .respond(let response) = await harness.host.handle(frame) else { throw HarnessFailure("the host closed the connection") }
        lastResponse = response
        return try machine.receive(response)
    }

    /// The host's raw reply to a frame, without the state machine.
    func reply(to frame: [UInt8]) async -> HostEngine.Reply {
        await harness.host.handle(frame)
    }

    mutating func enroll(_ code: String) async throws -> TerminalStateMachine.Outcome {
        try await send(machine.enroll(code: EnrollmentCode(text: code), at: harness.clock.now))
    }

    mutating func signOn(_ number: String = HostHarness.operatorNumber, key: String = HostHarness.operatorKey) async throws -> TerminalStateMachine.Outcome {
        try await send(machine.signOn(operator: OperatorCredentials(number: number, key: key), at: harness.clock.now))
    }

    mutating func signOff(_ number: String = HostHarness.operatorNumber, key: String = HostHarness.operatorKey) async throws -> TerminalStateMachine.Outcome {
        try await send(machine.signOff(operator: OperatorCredentials(number: number, key: key), at: harness.clock.now))
    }

    func cardOpeningFrame(card: String, pin: String = HostHarness.pin, identityType: String = "01",
                          identityNumber: String = HostHarness.identityNumber, machine: inout TerminalStateMachine, at time: Date) throws -> [UInt8] {
        var data = ConfidentialData()
        data.set(.cardNumber, text: card)
        data.set(.identityDocumentType, text: identityType)
        data.set(.identityDocumentNumber, text: identityNumber)
        return try machine.businessRequest(.cardOpening, pin: PIN(pin), cardNumber: PrimaryAccountNumber(card), confidential: data, at: time)
    }

    mutating func openCard(_ card: String, pin: String = HostHarness.pin, identityType: String = "01",
                           identityNumber: String = HostHarness.identityNumber) async throws -> TerminalStateMachine.Outcome {
        try await send(cardOpeningFrame(card: card, pin: pin, identityType: identityType, identityNumber: identityNumber,
                                        machine: &machine, at: harness.clock.now))
    }

    func contractFrame(card: String, pin: String = HostHarness.pin, carrier: String = "1", phone: String = HostHarness.phoneNumber,
                       tariff: String = "monthly", machine: inout TerminalStateMachine, at time: Date) throws -> [UInt8] {
        var data = ConfidentialData()
        data.set(.cardNumber, text: card)
        data.set(.carrierCode, text: carrier)
        data.set(.phoneNumber, text: phone)
        data.set(.tariff, text: tariff)
        return try machine.businessRequest(.contractSigning, pin: PIN(pin), cardNumber: PrimaryAccountNumber(card), confidential: data, at: time)
    }

    mutating func signContract(_ card: String, pin: String = HostHarness.pin, carrier: String = "1", phone: String = HostHarness.phoneNumber,
                               tariff: String = "monthly") async throws -> TerminalStateMachine.Outcome {
        try await send(contractFrame(card: card, pin: pin, carrier: carrier, phone: phone, tariff: tariff, machine: &machine, at: harness.clock.now))
    }
}

extension TerminalStateMachine.Outcome {
    /// The response code of an answered or refused request.
    var code: ResponseCode? {
        switch self {
        case .answered(let code, _), .refused(let code): code
        case .enrolled, .signedIn, .signedOff: .approved
        }
    }

    var reference: String? {
        if case .answered(_, let reference) = self { return reference }
        return nil
    }
}

/// Decodes a host response that the state machine cannot take (e.g. a refused enrollment) and
/// checks the host's signature on it.
func signedResponseCode(_ frame: [UInt8], answering request: [UInt8], host: HostEngine) throws -> ResponseCode? {
    let codec = ISO8583Codec(specification: .mpos)
    let message = try MessageSignature.verifyResponse(frame, answering: request, codec: codec, signer: host.signingPublicKey).message
    return message.text(MPOSField.responseCode).flatMap(ResponseCode.init(rawValue:))
}
