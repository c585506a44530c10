import Crypto
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

    // MARK: Host responses, bound to their request

    /// Signs a host response with field 121 = SHA-256 of the request frame it answers. A
    /// signature alone would let anyone who can send the host a request (the host answers
    /// refusals to requests it cannot authenticate) collect signed refusals for a STAN and later
    /// slip one in place of the real answer; the digest ties each response to one request,
    /// whose bytes nobody can predict (they hold a fresh signature or a random GCM nonce).
    public static func signResponse(_ response: ISO8583Message, answering request: [UInt8], with key: SigningPrivateKey, codec: ISO8583Codec) throws -> [UInt8] {
        var response = response
        response[MPOSField.requestDigest] = Array(SHA256.hash(data: request))
        return try sign(response, with: key, codec: codec)
    }

    /// Verifies a host response's signature, then that its field 121 is the digest of
    /// `request`, the frame the terminal sent. Either failure is `63`.
    public static func verifyResponse(_ bytes: [UInt8], answering request: [UInt8], codec: ISO8583Codec, signer key: SigningPublicKey) throws -> AuthenticatedMessage {
        let authenticated = try verify(bytes, codec: codec, signer: key)
        guard authenticated.message[MPOSField.requestDigest] == Array(SHA256.hash(data: request)) else {
            throw ProtocolError(.signatureInvalid, "the signed response answers another request (field 121)")
        }
        return authenticated
    }
}
