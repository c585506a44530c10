/// A message type indicator: four decimal digits (version, class, function, origin), e.g. `0800`.
public struct MessageTypeIndicator: Sendable, Hashable, CustomStringConvertible {
    public let rawValue: String

    public init?(_ rawValue: String) {
        let bytes = Array(rawValue.utf8)
        guard bytes.count == 4, bytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        self.rawValue = rawValue
    }

    public var description: String { rawValue }
}

/// An ISO 8583 message: an MTI and data fields 2...128 (except 65), each held as the exact
/// bytes of its content, without length prefix. What the fields mean is the message set's
/// business, not the codec's.
///
/// It prints the MTI and the numbers of the fields present, never their content.
public struct ISO8583Message: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var mti: MessageTypeIndicator
    private var values: [[UInt8]?]

    public init(mti: MessageTypeIndicator) {
        self.mti = mti
        self.values = Array(repeating: nil, count: 129)
    }

    /// A field's content, or nil when absent. Setting nil removes it.
    public subscript(field: Int) -> [UInt8]? {
        get { (2...128).contains(field) ? values[field] : nil }
        set {
            precondition((2...128).contains(field) && field != 65, "data fields are 2...128, except 65")
            values[field] = newValue
        }
    }

    /// A text field's content (numeric or alphanumeric fields are ASCII).
    public func text(_ field: Int) -> String? {
        self[field].map { String(decoding: $0, as: UTF8.self) }
    }

    public mutating func setText(_ field: Int, _ text: String) {
        self[field] = Array(text.utf8)
    }

    /// The numbers of the fields present, ascending.
    public var presentFields: [Int] {
        (2...128).filter { values[$0] != nil }
    }

    public var description: String {
        "ISO8583Message(\(mti), fields \(presentFields.map(String.init).joined(separator: ",")))"
    }
    public var debugDescription: String { description }
    /// `dump` and debuggers see the MTI and which fields are present, never their content
    /// (PIN blocks, cryptograms, card data).
    public var customMirror: Mirror {
        Mirror(self, children: ["mti": mti.rawValue, "fields": presentFields], displayStyle: .struct)
    }
}
