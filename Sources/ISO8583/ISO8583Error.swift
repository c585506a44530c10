public import MPOSErrors

/// A malformed or invalid ISO 8583 message. Names the field, never echoes its content:
/// fields carry card numbers and cryptograms.
public struct ISO8583Error: CodedError {
    public typealias Code = ErrorCodeOf<ISO8583Error>

    public let code: Code
    /// The field at fault (0 for the MTI, 1 for the bitmaps), if any.
    public let field: Int?
    public let message: String

    init(_ code: Code, field: Int? = nil, _ message: String) {
        self.code = code
        self.field = field
        self.message = message
    }

    public var description: String {
        if let field { return "\(code) (field \(field)): \(message)" }
        return "\(code): \(message)"
    }

    /// Equal when code and field are: messages may be reworded.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code && lhs.field == rhs.field }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(field)
    }
}

extension ErrorCodeOf where Domain == ISO8583Error {
    /// The input ended inside the MTI, a bitmap, a length prefix or a field.
    public static var truncated: Self { Self("iso8583.truncated") }
    /// The MTI is not four decimal digits.
    public static var invalidMTI: Self { Self("iso8583.mti") }
    /// A bitmap names a field the specification does not have, sets the secondary-bitmap
    /// bit with no field 65-128 present, or names the tertiary bitmap (bit 65).
    public static var invalidBitmap: Self { Self("iso8583.bitmap") }
    /// A field the specification does not define.
    public static var unknownField: Self { Self("iso8583.field.unknown") }
    /// A length prefix that is not decimal digits.
    public static var invalidLengthPrefix: Self { Self("iso8583.field.prefix") }
    /// A length outside what the field allows (a fixed field of another length, or a
    /// variable one over its maximum).
    public static var invalidLength: Self { Self("iso8583.field.length") }
    /// A character the field's content type does not allow.
    public static var invalidCharacter: Self { Self("iso8583.field.character") }
    /// Bytes left over after the last field the bitmap names.
    public static var trailingBytes: Self { Self("iso8583.trailing") }
}
