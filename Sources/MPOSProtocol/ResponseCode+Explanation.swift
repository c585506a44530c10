/// Each code in plain words, as docs/protocol.md §4.3 gives them (a test holds the two
/// together): what it means, and what the terminal's operator does about it. The console shows
/// them next to every code it counts.
extension ResponseCode {
    public var meaning: String {
        switch self {
        case .approved: "approved"
        case .invalidTerminal: "unknown terminal, or not enrolled"
        case .doNotHonour: "the carrier's business module declined the contract"
        case .invalidTransaction: "not allowed in the terminal's state"
        case .invalidCardNumber: "invalid card number (length, Luhn, or outside the issuer's BIN ranges)"
        case .cardNotOpened: "contract for a card that has not been opened"
        case .formatError: "format error"
        case .incorrectPIN: "incorrect PIN"
        case .terminalBlocked: "terminal blocked"
        case .securityViolation: "security violation (a signature, an envelope or the enrollment code)"
        case .pinTriesExceeded: "PIN tries exceeded: the card's PIN is locked"
        case .businessModuleUnavailable: "the carrier's business module is unavailable"
        case .duplicateTransmission: "STAN already used with different content"
        case .systemMalfunction: "host malfunction: nothing was committed, unless the failure struck the commit itself"
        case .macFailure: "MAC does not verify"
        case .keysOutdated: "keys revoked or outdated (new sign-on, sign-off, forced sign-off, master-key rotation)"
        case .invalidOperator: "wrong operator number or key"
        case .operatorLocked: "operator locked or disabled"
        case .staleMessage: "transmission time outside the permitted skew, or not after the last signed request"
        case .invalidIdentity: "invalid identity document type or number"
        case .cardAlreadyOpened: "card already opened"
        case .invalidContractTerms: "invalid contract terms: unknown carrier, not a mainland mobile number, or a tariff the carrier does not offer"
        }
    }

    /// What the operator does; nil where there is nothing to do.
    public var operatorAction: String? {
        switch self {
        case .approved: nil
        case .invalidTerminal: "enroll the terminal"
        case .doNotHonour: "tell the customer"
        case .invalidTransaction: "sign on (or, for enrollment: the terminal is enrolled already)"
        case .invalidCardNumber: "re-read the card"
        case .cardNotOpened: "open the card first"
        case .formatError: "report a terminal fault"
        case .incorrectPIN: "customer re-enters the PIN"
        case .terminalBlocked: "call the administrator"
        case .securityViolation: "call the administrator"
        case .pinTriesExceeded: "customer calls the bank"
        case .businessModuleUnavailable: "retry later"
        case .duplicateTransmission: "report a terminal fault"
        case .systemMalfunction: "resend the exact request (§5.7): it gets the committed answer if there is one, else is processed now"
        case .macFailure: "report; sign on again"
        case .keysOutdated: "sign on again"
        case .invalidOperator: "re-enter"
        case .operatorLocked: "call the administrator"
        case .staleMessage: "check the terminal's clock"
        case .invalidIdentity: "re-enter"
        case .cardAlreadyOpened: nil
        case .invalidContractTerms: "re-enter"
        }
    }
}
