/// The confidential part of a business message (field 61 before encryption): a list of
/// tag-length-value items, tag 1 byte, length 2 bytes big-endian, value.
///
/// Prints only its tags: its values are card numbers, identity numbers and contracts.
public struct ConfidentialData: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public enum Tag: UInt8, Sendable, CaseIterable {
        /// Card number, ASCII digits.
        case cardNumber = 0x01
        /// Identity document type, ASCII (e.g. `01`, resident identity card).
        case identityDocumentType = 0x02
        /// Identity document number, ASCII.
        case identityDocumentNumber = 0x03
        /// Carrier code, ASCII (the patent's `1`, China Mobile).
        case carrierCode = 0x04
        /// Phone number, ASCII digits.
        case phoneNumber = 0x05
        /// Tariff type, ASCII (e.g. `monthly`).
        case tariff = 0x06
    }

    /// The most one field 61 can hold, less AES-GCM's nonce and tag.
    public static let maximumEncodedLength = 999 - 12 - 16

    public private(set) var items: [(tag: Tag, value: [UInt8])] = []

    public init() {}

    public subscript(tag: Tag) -> [UInt8]? {
        items.first { $0.tag == tag }?.value
    }

    /// Sets (or replaces) an item's value.
    public mutating func set(_ tag: Tag, _ value: [UInt8]) {
        items.removeAll { $0.tag == tag }
        items.append((tag, value))
    }

    public mutating func set(_ tag: Tag, text: String) { set(tag, Array(text.utf8)) }

    public func encoded() throws(ProtocolError) -> [UInt8] {
        var out: [UInt8] = []
        for (tag, value) in items {
            guard value.count <= UInt16.max else { throw Self.invalid("an item is longer than 65,535 bytes") }
            out += [tag.rawValue, UInt8(value.count >> 8), UInt8(value.count & 0xFF)] + value
        }
        guard out.count <= Self.maximumEncodedLength else { throw Self.invalid("the confidential data does not fit field 61") }
        return out
    }

    /// Strict: unknown tags, repeated tags and lengths running past the end are refused.
    public init(decoding bytes: [UInt8]) throws(ProtocolError) {
        var index = 0
        while index < bytes.count {
            guard bytes.count - index >= 3, let tag = Tag(rawValue: bytes[index]) else {
                throw Self.invalid("an item has an unknown tag or a truncated header")
            }
            let length = Int(bytes[index + 1]) << 8 | Int(bytes[index + 2])
            guard length <= bytes.count - index - 3 else { throw Self.invalid("an item runs past the end") }
            guard self[tag] == nil else { throw Self.invalid("an item appears twice") }
            items.append((tag, Array(bytes[(index + 3)..<(index + 3 + length)])))
            index += 3 + length
        }
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.items.count == rhs.items.count && zip(lhs.items, rhs.items).allSatisfy { $0.tag == $1.tag && $0.value == $1.value }
    }

    public var description: String {
        "ConfidentialData(tags \(items.map { String($0.tag.rawValue) }.joined(separator: ",")))"
    }
    public var debugDescription: String { description }
    /// `dump` and debuggers see the tags, never the values.
    public var customMirror: Mirror { Mirror(self, children: ["tags": items.map(\.tag)], displayStyle: .struct) }

    private static func invalid(_ message: String) -> ProtocolError {
        ProtocolError(.confidentialDataInvalid, message)
    }
}
