public import MPOSErrors

/// A business rule a request breaks. Compared by code; the message names what was wrong and
/// never contains the card number, identity number or phone number.
public struct HostRuleError: CodedError {
    /// Stable codes, logged; the raw values must not change.
    public struct Code: ErrorCode {
        public let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }

        /// Length not 12-19, a non-digit, or the Luhn check fails.
        public static let cardNumberInvalid = Code("rule.card.number")
        /// Not in any configured issuer BIN range (also used for a malformed BIN range).
        public static let cardOutsideBINRanges = Code("rule.card.bin")
        public static let identityTypeUnknown = Code("rule.identity.type")
        public static let identityNumberInvalid = Code("rule.identity.number")
        public static let carrierUnknown = Code("rule.contract.carrier")
        public static let phoneNumberInvalid = Code("rule.contract.phone")
        public static let tariffNotOffered = Code("rule.contract.tariff")

        /// Every code, for tests and documentation.
        public static let all: [Code] = [.cardNumberInvalid, .cardOutsideBINRanges, .identityTypeUnknown, .identityNumberInvalid,
                                         .carrierUnknown, .phoneNumberInvalid, .tariffNotOffered]
    }

    public let code: Code
    /// Human-readable reason. Never include personal data (card, identity or phone numbers) here.
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}
