public import ISO8583
public import MPOSCrypto

/// The one-time code an administrator issues with a new terminal's ID: 128 random bits,
/// shown as 32 hex digits in groups of 4. It proves to the host that the device is the one the
/// administrator meant, and to the device that the host is the real one (both MAC their
/// enrollment messages under a key derived from it), which pins the host's public keys.
public struct EnrollmentCode: Sendable, CustomStringConvertible {
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

    /// `1A2B-3C4D-…` (8 groups of 4), for the administrator to hand over once. Never log it.
    package var unsafeDisplayText: String {
        let hex = Array(Hex.encode(bytes))
        return stride(from: 0, to: 32, by: 4).map { String(hex[$0..<($0 + 4)]) }.joined(separator: "-")
    }

    /// `K_EC`: AES-CMAC key for this terminal's enrollment messages,
    /// SP 800-108(code, label `M6/MPOS ENROLL`, context terminal ID).
    func proofKey(terminalID: String) throws -> AESKey<MessageAuthentication> {
        try CounterModeKDF.deriveKey(MessageAuthentication.self, size: .bits128, from: AESKey<BaseDerivation>(unsafeRawBytes: bytes),
                                     label: Array("MPOS ENROLL".utf8), context: Array(terminalID.utf8))
    }

    public var description: String { "EnrollmentCode(redacted)" }
}

/// Enrollment's cryptography (0800/0810, field 70 = `810`), both sides.
///
/// Request: 7, 11, 41, 70, 120 = the device's signing key ‖ sealing key (65 + 65 bytes), then
/// 127 = the device's signature over every byte before it (possession of the private key), then
/// 128 = AES-CMAC under `K_EC` over every byte before it (knowledge of the code).
/// Response: 39, 7, 11, 41, 70 echoed, 120 = the host's signing key ‖ sealing key, 127 = host
/// signature, 128 = CMAC under `K_EC`. The terminal trusts the host keys only if that CMAC
/// verifies: then they are pinned.
public enum EnrollmentSecurity {
    static let signatureLength = 64, macLength = 16

    public static func publicKeysField(signing: SigningPublicKey, sealing: SealingPublicKey) -> [UInt8] {
        signing.x963 + sealing.x963
    }

    public static func publicKeys(of message: ISO8583Message) throws -> (signing: SigningPublicKey, sealing: SealingPublicKey) {
        guard let field = message[MPOSField.publicKeys], field.count == 130 else {
            throw ProtocolError(.missingOrUnexpectedField, "field 120 holds two 65-byte public keys")
        }
        do {
            return (try SigningPublicKey(x963: field.prefix(65)), try SealingPublicKey(x963: field.suffix(65)))
        } catch {
            throw ProtocolError(.signatureInvalid, "field 120 holds a point that is not on P-256")
        }
    }

    /// Encodes `message` (with 120 set) signed and MACed: 127, then 128.
    public static func protect(_ message: ISO8583Message, signingKey: SigningPrivateKey, code: EnrollmentCode, terminalID: String, codec: ISO8583Codec) throws -> [UInt8] {
        var message = message
        guard !message.presentFields.contains(where: { $0 >= MPOSField.signature }) else {
            throw ProtocolError(.missingOrUnexpectedField, "fields 127 and 128 are added here")
        }
        message[MPOSField.signature] = [UInt8](repeating: 0, count: signatureLength)
        message[MPOSField.secondaryMAC] = [UInt8](repeating: 0, count: macLength)
        var bytes = try codec.encode(message)
        let signatureEnd = bytes.count - macLength
        let signature = try signingKey.signature(for: bytes[..<(signatureEnd - signatureLength)])
        bytes.replaceSubrange((signatureEnd - signatureLength)..<signatureEnd, with: signature)
        let mac = try CMAC.authenticationCode(for: bytes[..<signatureEnd], using: code.proofKey(terminalID: terminalID))
        bytes.replaceSubrange(signatureEnd..., with: mac)
        return bytes
    }

    /// Verifies 128 (the code) first, then 127 (the signer). Either failing is response `63`.
    public static func verify(_ bytes: [UInt8], decoded message: ISO8583Message, signer: SigningPublicKey, code: EnrollmentCode, terminalID: String) throws {
        guard message[MPOSField.secondaryMAC] != nil, message[MPOSField.signature]?.count == signatureLength,
              bytes.count > signatureLength + macLength + 3
        else { throw ProtocolError(.signatureInvalid, "an enrollment message ends with a 64-byte field 127 and field 128") }
        let signatureEnd = bytes.count - macLength
        do {
            try CMAC.verify(bytes[signatureEnd...], for: bytes[..<signatureEnd], using: code.proofKey(terminalID: terminalID))
        } catch {
            throw ProtocolError(.signatureInvalid, "the enrollment code proof does not verify")
        }
        do {
            try signer.verify(bytes[(signatureEnd - signatureLength)..<signatureEnd], for: bytes[..<(signatureEnd - signatureLength)])
        } catch {
            throw ProtocolError(.signatureInvalid, "the enrollment signature does not verify")
        }
    }
}
