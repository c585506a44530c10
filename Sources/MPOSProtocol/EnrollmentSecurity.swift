import Crypto
public import ISO8583
public import MPOSCrypto

/// The one-time code an administrator issues with a new terminal's ID: 128 random bits,
/// shown as 32 hex digits in groups of 4. It proves to the host that the device is the one the
/// administrator meant, and to the device that the host is the real one (both MAC their
/// enrollment messages under a key derived from it), which pins the host's public keys.
public struct EnrollmentCode: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    let bytes: [UInt8]

    /// A fresh code from the system's cryptographically secure generator.
    public init() {
        var generator = SystemRandomNumberGenerator()
        bytes = (0..<2).flatMap { _ in withUnsafeBytes(of: generator.next()) { Array($0) } }
    }

    /// As typed at the terminal: 32 hex digits, dashes and spaces ignored.
    public init(text: String) throws(ProtocolError) {
        let digits = text.filter { $0 != "-" && $0 != " " }
        guard digits.utf8.count == 32, let bytes = try? Hex.decode(digits) else {
            throw ProtocolError(.envelopeInvalid, "an enrollment code is 32 hex digits")
        }
        self.bytes = bytes
    }

    /// The code as the host keeps it while outstanding: a B0 key (it only derives `K_EC`),
    /// stored as a TR-31 block under the host's LMK.
    package var asBaseDerivationKey: AESKey<BaseDerivation> {
        get throws { try AESKey<BaseDerivation>(unsafeRawBytes: bytes, modeOfUse: .deriveKeys, exportability: .sensitive) }
    }

    /// The code read back from its block.
    package init(baseDerivationKey key: AESKey<BaseDerivation>) throws(ProtocolError) {
        let bytes = key.unsafeRawBytes()
        guard bytes.count == 16 else { throw ProtocolError(.envelopeInvalid, "an enrollment code is 128 bits") }
        self.bytes = bytes
    }

    /// `1A2B-3C4D-…` (8 groups of 4), for the administrator to hand over once. Never log it.
    package var unsafeDisplayText: String {
        let hex = Array(Hex.encode(bytes))
        return stride(from: 0, to: 32, by: 4).map { String(hex[$0..<($0 + 4)]) }.joined(separator: "-")
    }

    /// `K_EC`: the AES-CMAC key of this terminal's enrollment messages in one direction,
    /// SP 800-108(code, label `M6/MPOS ENROLL REQ` or `M6/MPOS ENROLL RSP`, context terminal ID).
    /// Two keys, so a terminal's own request reflected back cannot pass as the host's answer.
    package func proofKey(terminalID: String, response: Bool) throws -> AESKey<MessageAuthentication> {
        try CounterModeKDF.deriveKey(MessageAuthentication.self, size: .bits128, from: AESKey<BaseDerivation>(unsafeRawBytes: bytes),
                                     label: Array((response ? "MPOS ENROLL RSP" : "MPOS ENROLL REQ").utf8), context: Array(terminalID.utf8))
    }

    public var description: String { "EnrollmentCode(redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

/// Enrollment's cryptography (0800/0810, field 70 = `810`), both sides.
///
/// Request (0800): 7, 11, 41, 70, 120 = the device's signing key ‖ sealing key (65 + 65 bytes,
/// two different points), then 127 = the device's signature over every byte before it
/// (possession of the private key), then 128 = AES-CMAC under `K_EC` (request direction) over
/// every byte before it (knowledge of the code).
/// Response: 7, 11, 39, 41, 70 echoed, 120 = the host's signing key ‖ sealing key, 121 =
/// SHA-256 of the request message it answers (as on every host-signed response), 127 = host
/// signature, 128 = CMAC under `K_EC` (response direction). The terminal trusts the host keys
/// only if that CMAC verifies and 121 names its own request: then they are pinned.
///
/// Each direction has its own pair of functions, so a request cannot be protected or checked
/// as a response: the MTI must match the direction, and the direction picks the `K_EC`.
public enum EnrollmentSecurity {
    static let signatureLength = 64, macLength = 16

    public static func publicKeysField(signing: SigningPublicKey, sealing: SealingPublicKey) -> [UInt8] {
        signing.x963 + sealing.x963
    }

    static func publicKeys(of message: ISO8583Message) throws -> (signing: SigningPublicKey, sealing: SealingPublicKey) {
        guard let field = message[MPOSField.publicKeys], field.count == 130 else {
            throw ProtocolError(.missingOrUnexpectedField, "field 120 holds two 65-byte public keys")
        }
        guard field.prefix(65) != field.suffix(65) else {
            throw ProtocolError(.signatureInvalid, "field 120 must hold two different keys: one signs, one receives envelopes")
        }
        do {
            return (try SigningPublicKey(x963: field.prefix(65)), try SealingPublicKey(x963: field.suffix(65)))
        } catch {
            throw ProtocolError(.signatureInvalid, "field 120 holds a point that is not on P-256")
        }
    }

    // MARK: Terminal → host

    /// Encodes an 0800 enrollment request (with 120 set) signed and MACed: 127, then 128.
    public static func protectRequest(_ message: ISO8583Message, signingKey: SigningPrivateKey, code: EnrollmentCode, terminalID: String,
                                      codec: ISO8583Codec) throws -> [UInt8] {
        try protect(message, direction: .request, signingKey: signingKey, code: code, terminalID: terminalID, codec: codec)
    }

    /// The host decodes an 0800 enrollment request and verifies 128 (the code) first, then 127
    /// (signed by the key in its own field 120). Returns the message and the device's keys, to
    /// enroll. Any failure is `63`.
    public static func verifyRequest(_ bytes: [UInt8], codec: ISO8583Codec, code: EnrollmentCode, terminalID: String) throws
        -> (message: AuthenticatedMessage, signing: SigningPublicKey, sealing: SealingPublicKey)
    {
        try verify(bytes, direction: .request, codec: codec, code: code, terminalID: terminalID)
    }

    // MARK: Host → terminal

    /// Encodes an 0810 enrollment response (with 120 set) answering the request message
    /// `request`: 121 = its SHA-256, then 127, then 128.
    public static func protectResponse(_ message: ISO8583Message, answering request: [UInt8], signingKey: SigningPrivateKey, code: EnrollmentCode,
                                       terminalID: String, codec: ISO8583Codec) throws -> [UInt8] {
        var message = message
        message[MPOSField.requestDigest] = Array(SHA256.hash(data: request))
        return try protect(message, direction: .response, signingKey: signingKey, code: code, terminalID: terminalID, codec: codec)
    }

    /// The terminal decodes an 0810 enrollment response and verifies 128, then 127, then that
    /// 121 is the digest of `request`, the message it sent. Returns the host's keys, to pin.
    public static func verifyResponse(_ bytes: [UInt8], answering request: [UInt8], codec: ISO8583Codec, code: EnrollmentCode, terminalID: String) throws
        -> (message: AuthenticatedMessage, signing: SigningPublicKey, sealing: SealingPublicKey)
    {
        let verified = try verify(bytes, direction: .response, codec: codec, code: code, terminalID: terminalID)
        guard verified.message.message[MPOSField.requestDigest] == Array(SHA256.hash(data: request)) else {
            throw ProtocolError(.signatureInvalid, "the enrollment response answers another request (field 121)")
        }
        return verified
    }

    // MARK: Both

    private enum Direction {
        case request, response

        var mti: MessageTypeIndicator {
            self == .request ? MessageKind.enrollment.requestMTI : MessageKind.enrollment.responseMTI
        }
    }

    private static func protect(_ message: ISO8583Message, direction: Direction, signingKey: SigningPrivateKey, code: EnrollmentCode, terminalID: String,
                                codec: ISO8583Codec) throws -> [UInt8] {
        var message = message
        guard message.mti == direction.mti else {
            throw ProtocolError(.missingOrUnexpectedField, "an enrollment \(direction) is \(direction.mti.rawValue)")
        }
        guard !message.presentFields.contains(where: { $0 >= MPOSField.signature }) else {
            throw ProtocolError(.missingOrUnexpectedField, "fields 127 and 128 are added here")
        }
        message[MPOSField.signature] = [UInt8](repeating: 0, count: signatureLength)
        message[MPOSField.secondaryMAC] = [UInt8](repeating: 0, count: macLength)
        var bytes = try codec.encode(message)
        let signatureEnd = bytes.count - macLength
        let signature = try signingKey.signature(for: bytes[..<(signatureEnd - signatureLength)])
        bytes.replaceSubrange((signatureEnd - signatureLength)..<signatureEnd, with: signature)
        let mac = try CMAC.authenticationCode(for: bytes[..<signatureEnd], using: code.proofKey(terminalID: terminalID, response: direction == .response))
        bytes.replaceSubrange(signatureEnd..., with: mac)
        return bytes
    }

    private static func verify(_ bytes: [UInt8], direction: Direction, codec: ISO8583Codec, code: EnrollmentCode, terminalID: String) throws
        -> (message: AuthenticatedMessage, signing: SigningPublicKey, sealing: SealingPublicKey)
    {
        let message = try decode(bytes, codec: codec)
        guard message.mti == direction.mti else {
            throw ProtocolError(.signatureInvalid, "an enrollment \(direction) is \(direction.mti.rawValue)")
        }
        guard message[MPOSField.secondaryMAC] != nil, message[MPOSField.signature]?.count == signatureLength,
              bytes.count > signatureLength + macLength + 3
        else { throw ProtocolError(.signatureInvalid, "an enrollment message ends with a 64-byte field 127 and field 128") }
        let signatureEnd = bytes.count - macLength
        do {
            try CMAC.verify(bytes[signatureEnd...], for: bytes[..<signatureEnd], using: code.proofKey(terminalID: terminalID, response: direction == .response))
        } catch {
            throw ProtocolError(.signatureInvalid, "the enrollment code proof does not verify")
        }
        let keys = try publicKeys(of: message)
        do {
            try keys.signing.verify(bytes[(signatureEnd - signatureLength)..<signatureEnd], for: bytes[..<(signatureEnd - signatureLength)])
        } catch {
            throw ProtocolError(.signatureInvalid, "the enrollment signature does not verify")
        }
        return (AuthenticatedMessage(message: message, bytes: bytes), keys.signing, keys.sealing)
    }
}
