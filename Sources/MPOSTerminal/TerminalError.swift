public import Foundation
public import MPOSErrors
public import MPOSProtocol

/// Every failure of the terminal SDK: a stable ``code`` to switch on, the host's
/// ``responseCode`` when the host refused, and a ``message`` the operator can act on.
///
/// Messages never contain a PIN, a key or a full card number: an app may show and log them
/// as they are.
public struct TerminalError: CodedError {
    public struct Code: ErrorCode {
        public let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }

        // One per refusal the host sends (docs/protocol.md §4.3); `00` is not an error.
        public static let invalidTerminal = Code("invalidTerminal")
        public static let doNotHonour = Code("doNotHonour")
        public static let invalidTransaction = Code("invalidTransaction")
        public static let invalidCardNumber = Code("invalidCardNumber")
        public static let cardNotOpened = Code("cardNotOpened")
        public static let formatError = Code("formatError")
        public static let incorrectPIN = Code("incorrectPIN")
        public static let terminalBlocked = Code("terminalBlocked")
        public static let securityViolation = Code("securityViolation")
        public static let pinTriesExceeded = Code("pinTriesExceeded")
        public static let businessModuleUnavailable = Code("businessModuleUnavailable")
        public static let duplicateTransmission = Code("duplicateTransmission")
        public static let systemMalfunction = Code("systemMalfunction")
        public static let macFailure = Code("macFailure")
        public static let keysOutdated = Code("keysOutdated")
        public static let invalidOperator = Code("invalidOperator")
        public static let operatorLocked = Code("operatorLocked")
        public static let staleMessage = Code("staleMessage")
        public static let invalidIdentity = Code("invalidIdentity")
        public static let cardAlreadyOpened = Code("cardAlreadyOpened")
        public static let invalidContractTerms = Code("invalidContractTerms")
        /// The request may have reached the host but no valid answer came back, even after
        /// retransmissions: see ``TerminalError/pendingRequest`` and ``Terminal/resendPendingRequest()``.
        public static let outcomeUnknown = Code("outcomeUnknown")
        /// The host could not be reached and the request certainly did not leave the terminal.
        public static let transport = Code("transport")
        /// The host's answer was well authenticated but unusable (e.g. sign-on keys that do not unwrap).
        public static let invalidResponse = Code("invalidResponse")
        /// The operation is not possible in the terminal's state (not enrolled, not signed in,
        /// another operation running, a request whose outcome is unknown).
        public static let wrongState = Code("wrongState")
        /// The key store failed: it cannot be read, written, opened (wrong passphrase, altered
        /// file) or is readable by others.
        public static let keyStore = Code("keyStore")
        /// What the operator typed is malformed (operator number or key, enrollment code, card number).
        public static let invalidInput = Code("invalidInput")

        /// The code for a host refusal; nil for `00` (approved).
        public init?(_ responseCode: ResponseCode) {
            guard let code = Self.refusals[responseCode] else { return nil }
            self = code
        }

        private static let refusals: [ResponseCode: Code] = [
            .invalidTerminal: .invalidTerminal, .doNotHonour: .doNotHonour, .invalidTransaction: .invalidTransaction,
            .invalidCardNumber: .invalidCardNumber, .cardNotOpened: .cardNotOpened, .formatError: .formatError,
            .incorrectPIN: .incorrectPIN, .terminalBlocked: .terminalBlocked, .securityViolation: .securityViolation,
            .pinTriesExceeded: .pinTriesExceeded, .businessModuleUnavailable: .businessModuleUnavailable,
            .duplicateTransmission: .duplicateTransmission, .systemMalfunction: .systemMalfunction, .macFailure: .macFailure,
            .keysOutdated: .keysOutdated, .invalidOperator: .invalidOperator, .operatorLocked: .operatorLocked,
            .staleMessage: .staleMessage, .invalidIdentity: .invalidIdentity, .cardAlreadyOpened: .cardAlreadyOpened,
            .invalidContractTerms: .invalidContractTerms,
        ]
    }

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
