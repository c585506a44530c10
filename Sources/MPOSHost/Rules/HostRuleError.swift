public import MPOSErrors

/// A business rule a request breaks. Compared by code; the message names what was wrong and
/// never contains the card number, identity number or phone number.
public typealias HostRuleError = MPOSError<HostRuleErrorDomain>
/// The domain of ``HostRuleError``'s codes.
public enum HostRuleErrorDomain: Sendable {}

extension ErrorCodeOf where Domain == HostRuleErrorDomain {
    /// Length not 12-19, a non-digit, or the Luhn check fails.
    public static var cardNumberInvalid: Self { Self("rule.card.number") }
    /// Not in any configured issuer BIN range (also used for a malformed BIN range).
    public static var cardOutsideBINRanges: Self { Self("rule.card.bin") }
    public static var identityTypeUnknown: Self { Self("rule.identity.type") }
    public static var identityNumberInvalid: Self { Self("rule.identity.number") }
    public static var carrierUnknown: Self { Self("rule.contract.carrier") }
    public static var phoneNumberInvalid: Self { Self("rule.contract.phone") }
    public static var tariffNotOffered: Self { Self("rule.contract.tariff") }

    /// Every code, for tests and documentation.
    public static var all: [Self] { [.cardNumberInvalid, .cardOutsideBINRanges, .identityTypeUnknown, .identityNumberInvalid,
                                     .carrierUnknown, .phoneNumberInvalid, .tariffNotOffered] }
}
