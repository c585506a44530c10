/// A cardholder PIN: 4 to 12 decimal digits (ISO 9564-1).
///
/// It prints as `PIN(redacted)`, is invisible to `dump`, and compares in constant time. Keep one
/// only as long as it takes to make (or check) its PIN block.
public struct PIN: Sendable {
    /// Digit values 0...9, one per element.
    let digits: [UInt8]

    public static let permittedLengths = 4...12

    /// From the digits the cardholder typed. The error never repeats them.
    public init(_ text: String) throws(MPOSCryptoError) {
        guard let digits = DecimalDigits.parse(text, maximumCount: Self.permittedLengths.upperBound),
              Self.permittedLengths.contains(digits.count)
        else { throw Self.invalid }
        self.digits = digits
    }

    init(digitValues: [UInt8]) throws(MPOSCryptoError) {
        guard Self.permittedLengths.contains(digitValues.count), digitValues.allSatisfy({ $0 <= 9 }) else {
            throw Self.invalid
        }
        self.digits = digitValues
    }

    public var length: Int { digits.count }

    /// The digits as text, for the few places in the mpos package that must hand the PIN on
    /// (a PIN pad simulator, a cross-check against an independent implementation). Never log it.
    package var unsafeDigitString: String { DecimalDigits.text(digits) }

    private static let invalid = MPOSCryptoError(.invalidPIN, "a PIN is 4 to 12 decimal digits")
}

extension PIN: Equatable {
    /// Constant-time in the digits (the length is not secret).
    public static func == (lhs: PIN, rhs: PIN) -> Bool { constantTimeEquals(lhs.digits, rhs.digits) }
}

extension PIN: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "PIN(redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
