public import Foundation
public import MPOSErrors
public import MPOSProtocol

/// Every failure of the terminal SDK: a stable ``code`` to switch on, the host's
/// ``responseCode`` when the host refused, and a ``message`` the operator can act on.
///
/// Messages never contain a PIN, a key or a full card number: an app may show and log them
/// as they are.
public struct TerminalError: CodedError {
    public typealias Code = ErrorCodeOf<TerminalError>

    public let code: Code
    /// The host's field 39 when the host refused the request.
    public let responseCode: ResponseCode?
    /// What happened and what the operator does next.
    public let message: String
    /// For ``Code/outcomeUnknown``: the request to resend, or to ask the host's administrator about.
    public let pendingRequest: PendingRequest?

    public init(_ code: Code, _ message: String, pendingRequest: PendingRequest? = nil) {
        self.code = code
        self.responseCode = nil
        self.message = message
        self.pendingRequest = pendingRequest
    }

    /// The error for a host refusal, with its operator message; nil for `00`.
    public init?(refusal responseCode: ResponseCode) {
        guard let code = Code(responseCode) else { return nil }
        self.code = code
        self.responseCode = responseCode
        self.message = Self.message(for: responseCode)
        self.pendingRequest = nil
    }

    public var description: String {
        "\(code.rawValue)\(responseCode.map { " (\($0.rawValue))" } ?? ""): \(message)"
    }

    /// Errors are equal when their codes and response codes are: messages may be reworded.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code && lhs.responseCode == rhs.responseCode }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(responseCode)
    }

    /// What the operator does about each refusal (docs/protocol.md §4).
    static func message(for responseCode: ResponseCode) -> String {
        switch responseCode {
        case .approved: "Approved"
        case .invalidTerminal: "The host does not know this terminal or it is not enrolled: enroll it with a code from the administrator"
        case .doNotHonour: "The carrier declined the contract: tell the customer"
        case .invalidTransaction: "The host does not allow this in the terminal's state (not signed on there): sign on again"
        case .invalidCardNumber: "The card number is invalid: read the card again"
        case .cardNotOpened: "The card has not been opened: open the card first"
        case .formatError: "The host could not read the message: report a terminal fault"
        case .incorrectPIN: "Incorrect PIN: ask the customer to enter it again"
        case .terminalBlocked: "This terminal is blocked: call the administrator"
        case .securityViolation: "The host refused the terminal's signature or enrollment code: call the administrator"
        case .pinTriesExceeded: "The card's PIN is locked: the customer must call the bank"
        case .businessModuleUnavailable: "The carrier's system is unavailable: try again later"
        case .duplicateTransmission: "The host already has this transaction number with other content: report a terminal fault"
        case .systemMalfunction: "The host failed and recorded nothing: try again"
        case .macFailure: "The message failed the host's integrity check: report it, then sign on again"
        case .keysOutdated: "The terminal's keys are outdated: sign on again"
        case .invalidOperator: "Wrong operator number or key: enter them again"
        case .operatorLocked: "This operator is locked or disabled: call the administrator"
        case .staleMessage: "The terminal's clock is wrong: check the date and time"
        case .invalidIdentity: "The identity document type or number is invalid: enter it again"
        case .cardAlreadyOpened: "This card is already opened: nothing to do, go on to the contract"
        case .invalidContractTerms: "The contract terms are invalid (carrier, 11-digit mobile number or tariff): enter them again"
        }
    }
}

/// A request sent but not answered: what the terminal needs to resend it, and what the host's
/// administrator needs to look it up (terminal ID, STAN, transmission time).
public struct PendingRequest: Sendable, Equatable, CustomStringConvertible {
    public let operation: MessageKind
    public let terminalID: String
    /// Field 11, 6 digits.
    public let stan: String
    /// Field 7, `MMDDhhmmss` UTC.
    public let transmissionTime: String
    /// When the terminal made the request (its own clock).
    public let date: Date

    public var description: String {
        "\(operation), terminal \(terminalID), STAN \(stan), transmission time \(transmissionTime) UTC"
    }
}

extension ErrorCodeOf where Domain == TerminalError {
    // One per refusal the host sends (docs/protocol.md §4.3); `00` is not an error.
    public static var invalidTerminal: Self { Self("invalidTerminal") }
    public static var doNotHonour: Self { Self("doNotHonour") }
    public static var invalidTransaction: Self { Self("invalidTransaction") }
    public static var invalidCardNumber: Self { Self("invalidCardNumber") }
    public static var cardNotOpened: Self { Self("cardNotOpened") }
    public static var formatError: Self { Self("formatError") }
    public static var incorrectPIN: Self { Self("incorrectPIN") }
    public static var terminalBlocked: Self { Self("terminalBlocked") }
    public static var securityViolation: Self { Self("securityViolation") }
    public static var pinTriesExceeded: Self { Self("pinTriesExceeded") }
    public static var businessModuleUnavailable: Self { Self("businessModuleUnavailable") }
    public static var duplicateTransmission: Self { Self("duplicateTransmission") }
    public static var systemMalfunction: Self { Self("systemMalfunction") }
    public static var macFailure: Self { Self("macFailure") }
    public static var keysOutdated: Self { Self("keysOutdated") }
    public static var invalidOperator: Self { Self("invalidOperator") }
    public static var operatorLocked: Self { Self("operatorLocked") }
    public static var staleMessage: Self { Self("staleMessage") }
    public static var invalidIdentity: Self { Self("invalidIdentity") }
    public static var cardAlreadyOpened: Self { Self("cardAlreadyOpened") }
    public static var invalidContractTerms: Self { Self("invalidContractTerms") }
    /// The request may have reached the host but no valid answer came back, even after
    /// retransmissions: see ``TerminalError/pendingRequest`` and ``Terminal/resendPendingRequest()``.
    public static var outcomeUnknown: Self { Self("outcomeUnknown") }
    /// An echo test got no answer: it changes nothing, so there is nothing to settle — the
    /// terminal is where it was.
    public static var noAnswer: Self { Self("noAnswer") }
    /// The host could not be reached and the request certainly did not leave the terminal.
    public static var transport: Self { Self("transport") }
    /// The host's answer was well authenticated but unusable (e.g. sign-on keys that do not unwrap).
    public static var invalidResponse: Self { Self("invalidResponse") }
    /// The operation is not possible in the terminal's state (not enrolled, not signed in,
    /// another operation running, a request whose outcome is unknown).
    public static var wrongState: Self { Self("wrongState") }
    /// The key store failed: it cannot be read, written, opened (wrong passphrase, altered
    /// file) or is readable by others.
    public static var keyStore: Self { Self("keyStore") }
    /// What the operator typed is malformed (operator number or key, enrollment code, card number).
    public static var invalidInput: Self { Self("invalidInput") }

    /// The code for a host refusal; nil for `00` (approved).
    public init?(_ responseCode: ResponseCode) {
        guard let code = refusalCodes[responseCode] else { return nil }
        self = code
    }
}

private let refusalCodes: [ResponseCode: TerminalError.Code] = [
    .invalidTerminal: .invalidTerminal, .doNotHonour: .doNotHonour, .invalidTransaction: .invalidTransaction,
    .invalidCardNumber: .invalidCardNumber, .cardNotOpened: .cardNotOpened, .formatError: .formatError,
    .incorrectPIN: .incorrectPIN, .terminalBlocked: .terminalBlocked, .securityViolation: .securityViolation,
    .pinTriesExceeded: .pinTriesExceeded, .businessModuleUnavailable: .businessModuleUnavailable,
    .duplicateTransmission: .duplicateTransmission, .systemMalfunction: .systemMalfunction, .macFailure: .macFailure,
    .keysOutdated: .keysOutdated, .invalidOperator: .invalidOperator, .operatorLocked: .operatorLocked,
    .staleMessage: .staleMessage, .invalidIdentity: .invalidIdentity, .cardAlreadyOpened: .cardAlreadyOpened,
    .invalidContractTerms: .invalidContractTerms,
]
