/// Field 39: every response code the mpos host sends, with its meaning. Two-digit codes keep
/// their ISO 8583:1987 meaning; codes starting with a letter are private to mpos (the ISO
/// convention for private use), for what ISO has no code for.
public enum ResponseCode: String, Sendable, CaseIterable, CustomStringConvertible {
    case approved = "00"
    /// The terminal ID is unknown, or the terminal is not enrolled.
    case invalidTerminal = "03"
    /// The business module declined the contract.
    case doNotHonour = "05"
    /// A message not allowed in the terminal's state (a second enrollment, a business message
    /// from a terminal that is not signed on).
    case invalidTransaction = "12"
    /// The card number is not 12-19 digits with a valid Luhn digit, or is outside the issuer's BIN ranges.
    case invalidCardNumber = "14"
    /// Contract signing for a card that has not been opened.
    case cardNotOpened = "25"
    /// The message does not decode, or lacks a field its kind requires.
    case formatError = "30"
    /// The PIN does not verify.
    case incorrectPIN = "55"
    /// The terminal is blocked by an administrator.
    case terminalBlocked = "58"
    /// The device signature does not verify, or the enrollment code is wrong or used.
    case securityViolation = "63"
    /// Too many wrong PINs: the card's PIN is locked.
    case pinTriesExceeded = "75"
    /// The business module for the contract's carrier is unavailable.
    case businessModuleUnavailable = "91"
    /// A STAN this terminal has already used, with different content. (An exact retransmission
    /// gets the original response instead.)
    case duplicateTransmission = "94"
    /// The host failed; nothing was committed.
    case systemMalfunction = "96"
    /// The message authentication code does not verify (UnionPay's code for it).
    case macFailure = "A0"
    /// The session's keys are revoked or outdated (a newer sign-on, sign-off, or master-key
    /// rotation): sign on again.
    case keysOutdated = "A1"
    /// The operator number or operator key is wrong.
    case invalidOperator = "A2"
    /// The operator is locked (too many wrong keys) or disabled.
    case operatorLocked = "A3"
    /// The transmission time is outside the permitted clock skew.
    case staleMessage = "A4"
    /// The customer's identity document type or number is invalid.
    case invalidIdentity = "A5"
    /// The card has already been opened.
    case cardAlreadyOpened = "A6"
    /// The contract's terms are invalid: unknown carrier, not a mainland mobile number, or a
    /// tariff the carrier does not offer.
    case invalidContractTerms = "A7"

    public var description: String { rawValue }
}
