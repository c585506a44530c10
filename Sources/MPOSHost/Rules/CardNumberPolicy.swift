/// The Luhn (ISO/IEC 7812-1 Annex B) check used by payment card numbers.
///
/// Catches every single-digit typo and most adjacent transpositions before a request reaches
/// an issuer. Only ASCII `0`-`9` count as digits: full-width or other Unicode digits are refused,
/// so what was checked is exactly what gets transmitted.
public enum Luhn {
    /// Whether `digits` (check digit last) passes the Luhn check. False for an empty string or any non-digit.
    public static func isValid(_ digits: some StringProtocol) -> Bool {
        guard let sum = weightedSum(digits.utf8, doublingRightmost: false) else { return false }
        return sum == 0
    }

    /// The check digit to append to `payload`, or nil if the payload is empty or contains a non-digit.
    public static func checkDigit(forPayload payload: some StringProtocol) -> Character? {
        guard let sum = weightedSum(payload.utf8, doublingRightmost: true) else { return nil }
        let digit = (10 - sum) % 10
        return Character(Unicode.Scalar(UInt8(0x30 + digit)))
    }

    /// Luhn sum modulo 10, walking from the right. `doublingRightmost` is true when the check
    /// digit is not yet present, so the payload's last digit is the first one doubled.
    private static func weightedSum(_ bytes: some Collection<UInt8>, doublingRightmost: Bool) -> Int? {
        guard !bytes.isEmpty else { return nil }
        var sum = 0
        // Walk left to right; a digit is doubled by its distance from the right end.
        var doubling = (bytes.count % 2 == 1) == doublingRightmost
        for byte in bytes {
            guard isASCIIDigit(byte) else { return nil }
            var value = Int(byte &- 0x30)
            if doubling {
                value *= 2
                if value > 9 { value -= 9 }
            }
            sum = (sum + value) % 10
            doubling.toggle()
        }
        return sum
    }
}

/// An inclusive range of issuer identification numbers (BINs / IINs), e.g. `622588...622588`.
///
/// Bounds are digit strings of equal length (6 to 11, covering both 6- and 8-digit BINs and
/// longer issuer-specific prefixes). A card matches when its first `low.count` digits lie in
/// `low...high`; for equal-length digit strings, byte order is numeric order, so no integer
/// conversion (and no overflow) is needed.
public struct BINRange: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Allowed prefix lengths for `low` and `high`.
    public static let prefixLengths = 6...11

    public let low: String
    public let high: String

    /// Validates the bounds. A malformed range is reported as `.cardOutsideBINRanges`, the only
    /// code about BINs; the message says it is the range, not a card, that is wrong.
    public init(low: String, high: String) throws(HostRuleError) {
        guard low.utf8.allSatisfy(isASCIIDigit), high.utf8.allSatisfy(isASCIIDigit) else {
            throw HostRuleError(.cardOutsideBINRanges, "BIN range bounds must contain only the digits 0-9")
        }
        guard low.utf8.count == high.utf8.count else {
            throw HostRuleError(.cardOutsideBINRanges, "BIN range bounds must have the same length")
        }
        guard Self.prefixLengths.contains(low.utf8.count) else {
            throw HostRuleError(.cardOutsideBINRanges, "BIN range bounds must be 6 to 11 digits long")
        }
        guard !high.utf8.lexicographicallyPrecedes(low.utf8) else {
            throw HostRuleError(.cardOutsideBINRanges, "BIN range low bound must not exceed its high bound")
        }
        self.low = low
        self.high = high
    }

    /// For compile-time constants only; `demonstration` ranges are re-validated by the tests.
    private init(literalLow low: String, high: String) {
        self.low = low
        self.high = high
    }

    /// Whether the card's first `low.count` digits lie in `low...high`. False when the card is
    /// shorter than the prefix or the prefix contains a non-digit.
    public func contains(cardDigits: some StringProtocol) -> Bool {
        let width = low.utf8.count
        let prefix = cardDigits.utf8.prefix(width)
        guard prefix.count == width, prefix.allSatisfy(isASCIIDigit) else { return false }
        return !prefix.lexicographicallyPrecedes(low.utf8) && !high.utf8.lexicographicallyPrecedes(prefix)
    }

    public var description: String { "\(low)...\(high)" }

    private enum CodingKeys: String, CodingKey {
        case low, high
    }

    /// Configuration files are untrusted input: decoding goes through the validating initialiser.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let low = try container.decode(String.self, forKey: .low)
        let high = try container.decode(String.self, forKey: .high)
        do {
            try self.init(low: low, high: high)
        } catch {
            throw DecodingError.dataCorruptedError(forKey: .low, in: container, debugDescription: error.description)
        }
    }

    static let demonstrationRanges: [BINRange] = [
        BINRange(literalLow: "622588", high: "622588"),
        BINRange(literalLow: "621700", high: "621799"),
        BINRange(literalLow: "623000", high: "623999"),
    ]
}

/// Which card numbers the host will send on: well-formed, Luhn-valid and issued in a configured BIN range.
public struct CardNumberPolicy: Sendable, Hashable, Codable {
    /// Allowed card number lengths (ISO/IEC 7812 PANs).
    public static let cardLengths = 12...19

    /// The accepted issuer ranges. An empty list accepts no card at all: a host with no
    /// configured issuers must fail closed rather than forward arbitrary cards.
    public var binRanges: [BINRange]

    public init(binRanges: [BINRange]) {
        self.binRanges = binRanges
    }

    /// Throws `.cardNumberInvalid` for a malformed or Luhn-failing number, then
    /// `.cardOutsideBINRanges` if no configured range contains it. Messages never include digits.
    public func check(_ cardDigits: String) throws(HostRuleError) {
        let bytes = cardDigits.utf8
        guard Self.cardLengths.contains(bytes.count) else {
            throw HostRuleError(.cardNumberInvalid, "card number must be 12 to 19 digits long")
        }
        guard bytes.allSatisfy(isASCIIDigit) else {
            throw HostRuleError(.cardNumberInvalid, "card number must contain only the digits 0-9")
        }
        guard Luhn.isValid(cardDigits) else {
            throw HostRuleError(.cardNumberInvalid, "card number fails the Luhn check")
        }
        guard !binRanges.isEmpty else {
            throw HostRuleError(.cardOutsideBINRanges, "no BIN ranges are configured, so no card is accepted")
        }
        guard binRanges.contains(where: { $0.contains(cardDigits: cardDigits) }) else {
            throw HostRuleError(.cardOutsideBINRanges, "card number is not in any configured BIN range")
        }
    }

    /// Demonstration ranges for `mpos-host init` and tests only, not a real issuer list:
    /// `622588...622588` (China Merchants Bank UnionPay test BIN), `621700...621799` and `623000...623999`.
    public static let demonstration = CardNumberPolicy(binRanges: BINRange.demonstrationRanges)
}

/// ASCII `0`-`9` only; Unicode digits in other scripts are deliberately not digits here.
private func isASCIIDigit(_ byte: UInt8) -> Bool {
    (0x30...0x39).contains(byte)
}
