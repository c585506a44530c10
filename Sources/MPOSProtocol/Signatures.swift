public import ISO8583
public import MPOSCrypto

/// Network management messages (0800/0810, 0820/0830) are signed, not MACed: enrollment and
/// sign-on happen before there are session keys. The signature (field 127, ECDSA P-256 over
/// SHA-256, raw `r ‖ s`) is the last field and covers every byte before it: MTI, bitmaps, every
/// field, and field 127's own length prefix.
public enum MessageSignature {
    static let signatureLength = 64

    /// Encodes `message` with field 127 signed by `key`.
    public static func sign(_ message: ISO8583Message, with key: SigningPrivateKey, codec: ISO8583Codec) throws -> [UInt8] {
        var message = message
        guard !message.presentFields.contains(where: { $0 > MPOSField.signature }) else {
            throw ProtocolError(.missingOrUnexpectedField, "field 127 must be the last field")
        }
        message[MPOSField.signature] = [UInt8](repeating: 0, count: signatureLength)
        var bytes = try codec.encode(message)
        let signature = try key.signature(for: bytes.dropLast(signatureLength))
        bytes.replaceSubrange((bytes.count - signatureLength)..., with: signature)
        return bytes
    }

    /// Decodes a received frame and verifies its field 127. Throws ``ProtocolError`` (response
    /// `63`) unless the signature is present, last, 64 bytes and valid for `key`.
    public static func verify(_ bytes: [UInt8], codec: ISO8583Codec, signer key: SigningPublicKey) throws -> AuthenticatedMessage {
        let message = try decode(bytes, codec: codec)
        guard let signature = message[MPOSField.signature], signature.count == signatureLength,
              !message.presentFields.contains(where: { $0 > MPOSField.signature }), bytes.count > signatureLength
        else { throw ProtocolError(.signatureInvalid, "field 127 must be a 64-byte signature and the last field") }
        do {
            try key.verify(bytes.suffix(signatureLength), for: bytes.dropLast(signatureLength))
        } catch {
            throw ProtocolError(.signatureInvalid, "the signature does not verify")
        }
        return AuthenticatedMessage(message: message, bytes: bytes)
    }
}
