/// Encodes and decodes ISO 8583:1987 messages against a ``MessageSpecification``.
///
/// Wire layout: MTI (4 ASCII digits) ‖ primary bitmap (8 bytes) ‖ secondary bitmap (8 bytes,
/// present when bit 1 is set) ‖ each present field in ascending order, as its specification
/// says (ASCII length prefix, then content).
///
/// Decoding is strict and total: every length is checked against what remains before anything
/// is copied, so no input can crash it or make it allocate more than the input's size, and
/// every fault is an ``ISO8583Error`` naming the field.
public struct ISO8583Codec: Sendable {
    public let specification: MessageSpecification

    public init(specification: MessageSpecification) {
        self.specification = specification
    }

    // MARK: Encoding

    public func encode(_ message: ISO8583Message) throws(ISO8583Error) -> [UInt8] {
        let present = message.presentFields
        let secondary = present.contains { $0 > 64 }
        var bitmap = [UInt8](repeating: 0, count: secondary ? 16 : 8)
        if secondary { bitmap[0] |= 0x80 }
        for field in present {
            bitmap[(field - 1) / 8] |= 0x80 >> UInt8((field - 1) % 8)
        }
        var out: [UInt8] = Array(message.mti.rawValue.utf8) + bitmap
        for field in present {
            guard let spec = specification[field] else {
                throw ISO8583Error(.unknownField, field: field, "the message set does not define this field")
            }
            let value = message[field]!
            try Self.check(value, against: spec)
            switch spec.length {
            case .fixed: break
            case .llvar, .lllvar: out += Self.decimalDigits(value.count, width: spec.length.prefixDigits)
            }
            out += value
        }
        return out
    }

    // MARK: Decoding

    public func decode(_ bytes: some Collection<UInt8>) throws(ISO8583Error) -> ISO8583Message {
        let input = Array(bytes)
        var index = 0

        func take(_ count: Int, field: Int?) throws(ISO8583Error) -> ArraySlice<UInt8> {
            guard count <= input.count - index else {
                throw ISO8583Error(.truncated, field: field, "the message ends inside this part")
            }
            defer { index += count }
            return input[index..<(index + count)]
        }

        guard let mti = MessageTypeIndicator(String(decoding: try take(4, field: 0), as: UTF8.self)) else {
            throw ISO8583Error(.invalidMTI, field: 0, "the MTI is not four decimal digits")
        }
        var bitmap = Array(try take(8, field: 1))
        if bitmap[0] & 0x80 != 0 {
            bitmap += try take(8, field: 1)
        }
        var message = ISO8583Message(mti: mti)
        var anySecondaryField = false
        for field in 2...(bitmap.count * 8) where bitmap[(field - 1) / 8] & (0x80 >> UInt8((field - 1) % 8)) != 0 {
            guard field != 65 else {
                throw ISO8583Error(.invalidBitmap, field: 1, "bit 65 (a tertiary bitmap) is not supported")
            }
            guard let spec = specification[field] else {
                throw ISO8583Error(.unknownField, field: field, "the bitmap names a field the message set does not define")
            }
            anySecondaryField = anySecondaryField || field > 64
            let count: Int
            switch spec.length {
            case .fixed(let n):
                count = n
            case .llvar, .lllvar:
                let prefix = try take(spec.length.prefixDigits, field: field)
                guard let parsed = Self.parseDecimal(prefix) else {
                    throw ISO8583Error(.invalidLengthPrefix, field: field, "the length prefix is not decimal digits")
                }
                guard parsed <= spec.length.maximum else {
                    throw ISO8583Error(.invalidLength, field: field, "the length exceeds the field's maximum of \(spec.length.maximum)")
                }
                count = parsed
            }
            let value = try take(count, field: field)
            guard spec.accepts(value) else {
                throw ISO8583Error(.invalidCharacter, field: field, "a character is not allowed in this field")
            }
            message[field] = Array(value)
        }
        guard bitmap.count == 8 || anySecondaryField else {
            throw ISO8583Error(.invalidBitmap, field: 1, "a secondary bitmap with no field from 65 to 128")
        }
        guard index == input.count else {
            throw ISO8583Error(.trailingBytes, "bytes follow the last field")
        }
        return message
    }

    // MARK: Helpers

    static func check(_ value: [UInt8], against spec: FieldSpecification) throws(ISO8583Error) {
        switch spec.length {
        case .fixed(let n):
            guard value.count == n else { throw ISO8583Error(.invalidLength, field: spec.number, "this field is exactly \(n) long") }
        case .llvar(let max), .lllvar(let max):
            guard value.count <= max else { throw ISO8583Error(.invalidLength, field: spec.number, "this field is at most \(max) long") }
        }
        guard spec.accepts(value) else {
            throw ISO8583Error(.invalidCharacter, field: spec.number, "a character is not allowed in this field")
        }
    }

    private static func decimalDigits(_ value: Int, width: Int) -> [UInt8] {
        var digits = [UInt8](repeating: 0x30, count: width)
        var rest = value
        for i in stride(from: width - 1, through: 0, by: -1) {
            digits[i] = 0x30 + UInt8(rest % 10)
            rest /= 10
        }
        return digits
    }

    private static func parseDecimal(_ digits: ArraySlice<UInt8>) -> Int? {
        var value = 0
        for c in digits {
            guard c >= 0x30 && c <= 0x39 else { return nil }
            value = value * 10 + Int(c - 0x30)
        }
        return value
    }
}
