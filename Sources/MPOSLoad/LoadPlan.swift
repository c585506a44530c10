public import Foundation
public import MPOSProtocol
public import MPOSTerminal
import MPOSCrypto

/// A terminal the host has added for a load run, as `mpos-host terminal add --count N --json`
/// prints it: enrolled and signed on by the run itself, through the real protocol.
public struct LoadTerminal: Sendable, Codable, Equatable {
    public let terminalID: String
    public let enrollmentCode: String

    enum CodingKeys: String, CodingKey {
        case terminalID = "terminal_id"
        case enrollmentCode = "enrollment_code"
    }

    public init(terminalID: String, enrollmentCode: String) {
        self.terminalID = terminalID
        self.enrollmentCode = enrollmentCode
    }
}

/// What a load run times, and how it is named in its output: a request's kind by its name
/// (`MessageKind.name`), and the start's sign-on storm.
public enum LoadOperation: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The sign-ons of the start, every terminal at once (timed apart from the run).
    case signOnStorm
    /// One request of the run: a sign-on (a signed-in terminal signing on again: a new session,
    /// fresh keys), a card opening or a contract signing.
    case request(MessageKind)

    public static let signOn = LoadOperation.request(.signOn)
    public static let cardOpening = LoadOperation.request(.cardOpening)
    public static let contractSigning = LoadOperation.request(.contractSigning)
    static let all: [LoadOperation] = [.signOnStorm, .signOn, .cardOpening, .contractSigning]

    public var name: String {
        switch self {
        case .signOnStorm: "sign-on-storm"
        case .request(let kind): kind.name
        }
    }

    public var description: String { name }

    public init(from decoder: any Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let operation = Self.all.first(where: { $0.name == name }) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown operation \(name)"))
        }
        self = operation
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.name < rhs.name }
}

/// What a load run does: which terminals, for how long, how fast, in what mix.
public struct LoadPlan: Sendable {
    public var terminals: [LoadTerminal]
    public var operatorNumber: String
    public var operatorKey: String
    /// Where the host is, and the terminals' timeouts and TLS (the template every simulated
    /// terminal's connection is made from).
    public var connection: TerminalConfiguration
    public var duration: Duration
    /// Open loop: operations started per second in all, on schedule whatever the host's pace
    /// (latency counts from the scheduled moment, so a slow host is not hidden). `nil`:
    /// closed loop, each terminal starting its next operation as soon as the last is answered.
    public var rate: Double?
    /// The share of contract signings (0...1) among the business operations; the rest are
    /// card openings.
    public var contractShare: Double
    /// The share of sign-ons (0...1) among all operations; the rest are business operations.
    public var signOnShare: Double
    /// How many terminals enroll and sign on at the same moment at the start (the sign-on storm).
    public var setupConcurrency: Int
    /// Makes this run's card and phone numbers its own, so runs against one host do not collide
    /// (`defaultRunID`: the time in tens of seconds).
    public var runID: Int
    /// How long an operation whose outcome is unknown (the host went away) is resent before it
    /// is given up.
    public var unknownOutcomeGrace: Duration
    /// Faults to inject: the terminals then connect through a ``FaultProxy`` (plain
    /// connections only), and their clocks are skewed. `nil`: straight to the host.
    public var faults: FaultPlan?

    public init(terminals: [LoadTerminal], operatorNumber: String, operatorKey: String, connection: TerminalConfiguration,
                duration: Duration, rate: Double? = nil, contractShare: Double = 0.8, signOnShare: Double = 0, setupConcurrency: Int = 200,
                runID: Int = LoadPlan.defaultRunID(), unknownOutcomeGrace: Duration = .seconds(60), faults: FaultPlan? = nil) {
        self.terminals = terminals; self.operatorNumber = operatorNumber; self.operatorKey = operatorKey
        self.connection = connection; self.duration = duration; self.rate = rate; self.contractShare = contractShare
        self.signOnShare = signOnShare
        self.setupConcurrency = setupConcurrency; self.runID = runID; self.unknownOutcomeGrace = unknownOutcomeGrace
        self.faults = faults
    }

    /// Tens of seconds since 1970, modulo 10,000: distinct for runs started 10 s apart, for
    /// about 27 hours (give `runID` yourself for runs further apart against one store).
    public static func defaultRunID(now: Date = Date()) -> Int {
        Int(now.timeIntervalSince1970 / 10) % 10_000
    }

    /// The run's `serial`-th card: 19 digits in the demonstration BIN 622588 (run 4 digits ‖
    /// serial 8), Luhn-valid.
    func cardNumber(serial: Int) -> String {
        let body = "622588" + String(format: "%04d%08d", runID % 10_000, serial % 100_000_000)
        return body + String(PrimaryAccountNumber.luhnCheckDigit(forPayload: body)!)
    }

    /// The `serial`-th contract's phone number on a card: a mainland mobile number.
    func phoneNumber(serial: Int) -> String {
        "139" + String(format: "%08d", serial % 100_000_000)
    }

}
