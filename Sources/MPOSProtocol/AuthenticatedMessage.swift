public import ISO8583

/// A message whose MAC or signature has verified: the decoding of exactly the bytes that were
/// authenticated. Only the verify functions of this module make one, and everything that opens
/// confidential content takes one, so "verify first" is enforced by the types, not by habit.
public struct AuthenticatedMessage: Sendable, CustomStringConvertible {
    public let message: ISO8583Message
    /// The frame as received: what a retransmission must match byte for byte.
    public let bytes: [UInt8]

    init(message: ISO8583Message, bytes: [UInt8]) {
        self.message = message
        self.bytes = bytes
    }

    public var description: String { "AuthenticatedMessage(\(message))" }
}

/// Decodes, mapping a codec error to the protocol's format error.
func decode(_ bytes: [UInt8], codec: ISO8583Codec) throws(ProtocolError) -> ISO8583Message {
    do { return try codec.decode(bytes) } catch {
        throw ProtocolError(.missingOrUnexpectedField, "the message does not decode: \(error.code)\(error.field.map { " (field \($0))" } ?? "")")
    }
}

/// Concatenates fixed-length fields that must all be present (associated data, HPKE info):
/// requiring them keeps the concatenation unambiguous.
func requiredFields(_ fields: [Int], of message: ISO8583Message) throws(ProtocolError) -> [UInt8] {
    var out: [UInt8] = []
    for field in fields {
        guard let value = message[field] else {
            throw ProtocolError(.missingOrUnexpectedField, "field \(field) is required")
        }
        out += value
    }
    return out
}
