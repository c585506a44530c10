/// How one ISO 8583 field is laid out on the wire.
///
/// mpos encodes every numeric and alphanumeric field as ASCII, binary fields as raw bytes,
/// and variable lengths as ASCII decimal digits (2 for LLVAR, 3 for LLLVAR). The length of a
/// numeric or alphanumeric field counts characters; of a binary field, bytes.
public struct FieldSpecification: Sendable, Hashable {
    public enum Length: Sendable, Hashable {
        /// Exactly this many characters or bytes.
        case fixed(Int)
        /// A 2-digit length prefix, then up to this many (at most 99).
        case llvar(maximum: Int)
        /// A 3-digit length prefix, then up to this many (at most 999).
        case lllvar(maximum: Int)

        var maximum: Int {
            switch self {
            case .fixed(let n), .llvar(let n), .lllvar(let n): n
            }
        }

        var prefixDigits: Int {
            switch self {
            case .fixed: 0
            case .llvar: 2
            case .lllvar: 3
            }
        }
    }

    /// The characters a field may hold.
    public enum Content: Sendable, Hashable {
        /// `n`: decimal digits `0`-`9`.
        case numeric
        /// `ans`: printable ASCII, space to `~`.
        case alphanumericSpecial
        /// `b`: any bytes.
        case binary
    }

    public let number: Int
    public let name: String
    public let length: Length
    public let content: Content

    /// - Precondition: the number is 2...128 and the lengths fit their prefix (a table is
    ///   written by us, not read from the network, so a wrong one is a programming error).
    public init(_ number: Int, _ name: String, _ length: Length, _ content: Content) {
        precondition((2...128).contains(number) && number != 65, "field 1 and 65 are bitmaps; data fields are 2...128")
        switch length {
        case .fixed(let n): precondition(n >= 1 && n <= 999)
        case .llvar(let n): precondition(n >= 1 && n <= 99)
        case .lllvar(let n): precondition(n >= 1 && n <= 999)
        }
        self.number = number
        self.name = name
        self.length = length
        self.content = content
    }

    /// Whether every byte of `value` is allowed in this field.
    func accepts(_ value: some Collection<UInt8>) -> Bool {
        switch content {
        case .numeric: value.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
        case .alphanumericSpecial: value.allSatisfy { $0 >= 0x20 && $0 <= 0x7E }
        case .binary: true
        }
    }
}

/// The fields a message set uses: a table indexed by field number. A field not in the table
/// is refused on decode and on encode.
public struct MessageSpecification: Sendable {
    private let fields: [FieldSpecification?]

    public init(_ fields: [FieldSpecification]) {
        var table = [FieldSpecification?](repeating: nil, count: 129)
        for field in fields {
            precondition(table[field.number] == nil, "field \(field.number) is specified twice")
            table[field.number] = field
        }
        self.fields = table
    }

    /// The fields defined, by ascending number.
    public var definedFields: [FieldSpecification] { fields.compactMap { $0 } }

    public subscript(number: Int) -> FieldSpecification? {
        (2...128).contains(number) ? fields[number] : nil
    }

    /// The table as `[number, layout, maximum, content]` text rows (`"fixed"`/`"llvar"`/`"lllvar"`;
    /// `"n"`/`"ans"`/`"b"`): how other tools (pyiso8583 in the tests, the worked example's
    /// readers) learn the layout without a copy of it.
    public var tableRows: [[String]] {
        definedFields.map { field in
            let (layout, maximum): (String, Int) = switch field.length {
            case .fixed(let n): ("fixed", n)
            case .llvar(let n): ("llvar", n)
            case .lllvar(let n): ("lllvar", n)
            }
            let content = switch field.content { case .numeric: "n"; case .alphanumericSpecial: "ans"; case .binary: "b" }
            return [String(field.number), layout, String(maximum), content]
        }
    }

    /// The largest encoded message this specification allows, for sizing a frame limit.
    public var maximumEncodedLength: Int {
        4 + 16 + fields.reduce(0) { sum, field in
            guard let field else { return sum }
            return sum + field.length.prefixDigits + field.length.maximum
        }
    }
}
