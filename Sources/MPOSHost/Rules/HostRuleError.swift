/// A business rule a request breaks. Compared by code; the message names what was wrong and never contains the card number, identity number or phone number.
///
/// Equality and hashing use the code only, so callers (and tests) match on the rule that was
/// broken rather than on wording, which is free to change.
public struct HostRuleError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Stable codes, transmitted to clients and logged; the raw values must not change.
    public enum Code: String, Sendable, CaseIterable {
        /// Length not 12-19, a non-digit, or the Luhn check fails.
        case cardNumberInvalid = "rule.card.number"
        /// Not in any configured issuer BIN range (also used for a malformed BIN range).
        case cardOutsideBINRanges = "rule.card.bin"
        case identityTypeUnknown = "rule.identity.type"
        case identityNumberInvalid = "rule.identity.number"
        case carrierUnknown = "rule.contract.carrier"
        case phoneNumberInvalid = "rule.contract.phone"
        case tariffNotOffered = "rule.contract.tariff"
    }

    public let code: Code
    /// Human-readable reason. Never include personal data (card, identity or phone numbers) here.
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public static func == (lhs: HostRuleError, rhs: HostRuleError) -> Bool {
        lhs.code == rhs.code
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
    }

    public var description: String {
        "\(code.rawValue): \(message)"
    }
}
