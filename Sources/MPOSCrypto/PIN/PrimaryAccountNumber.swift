/// A card number (PAN): 12 to 19 decimal digits.
///
/// It prints masked — the last 4 digits and at most the first 6, always hiding at least 6,
/// e.g. `436712*********4123` (19 digits) or `12******8901` (12 digits) — so logging one by accident
/// does not leak it. The Luhn check digit is reported, not enforced:
/// which cards to accept is the host's decision, not the PIN block's.
public struct PrimaryAccountNumber: Sendable, Hashable {
    /// Digit values 0...9.
    let digits: [UInt8]

    public static let permittedLengths = 12...19

    public init(_ text: String) throws(MPOSCryptoError) {
        guard let digits = DecimalDigits.parse(text, maximumCount: Self.permittedLengths.upperBound),
              Self.permittedLengths.contains(digits.count)
        else { throw Self.invalid }
        self.digits = digits
    }

    public var length: Int { digits.count }

    /// The last 4 digits and up to the first 6, never leaving fewer than 6 hidden (a short PAN
    /// shows fewer leading digits), the rest as `*`.
    public var masked: String {
        let leading = min(6, max(0, digits.count - 10))
        let shown = digits.enumerated().map { index, digit in
            index < leading || index >= digits.count - 4 ? Character(String(digit)) : "*"
        }
        return String(shown)
    }

    /// Whether the last digit is the Luhn (ISO/IEC 7812-1) check digit of the others.
    public var hasValidLuhnCheckDigit: Bool {
        Self.luhnSum(digits.map(Int.init), doublingRightmost: false) % 10 == 0
    }

    /// The Luhn check digit that makes `payload` (ASCII digits) a valid card number, or `nil`
    /// if it has anything but digits.
    public static func luhnCheckDigit(forPayload payload: some StringProtocol) -> Int? {
        let digits = payload.utf8.map { Int($0) - 48 }
        guard !digits.isEmpty, digits.allSatisfy((0...9).contains) else { return nil }
        return (10 - luhnSum(digits, doublingRightmost: true) % 10) % 10
    }

    /// Every second digit from the right doubled (digit sum of the double), starting with the
    /// rightmost when `doublingRightmost` (no check digit yet) or the one before it.
    private static func luhnSum(_ digits: [Int], doublingRightmost: Bool) -> Int {
        var sum = 0
        for (offset, digit) in digits.reversed().enumerated() {
            var d = digit
            if (offset % 2 == 0) == doublingRightmost {
                d *= 2
                if d > 9 { d -= 9 }
            }
            sum += d
        }
        return sum
    }

    /// The full number, for the few places in the mpos package that must have it (encrypting it
    /// for storage or transport, a cross-check). Never log it.
    package var unsafeDigitString: String { DecimalDigits.text(digits) }

    private static let invalid = MPOSCryptoError(.invalidPAN, "a card number is 12 to 19 decimal digits")
}

extension PrimaryAccountNumber: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { masked }
    public var debugDescription: String { "PAN(\(masked))" }
    public var customMirror: Mirror { Mirror(self, children: ["masked": masked], displayStyle: .struct) }
}
