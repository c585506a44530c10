import Crypto
import Foundation

/// HPKE (RFC 9180), base mode, suite P256_SHA256_AES_GCM_256: what carries operator
/// credentials to the host and a terminal master key to its device.
///
/// An envelope is `encapsulated key (65 bytes) ‖ ciphertext ‖ tag (16)`. The `info` string
/// binds it to its purpose and its message (it is pyca/cryptography's single-shot HPKE layout,
/// which the test suite checks against).
public enum Sealing {
    static let suite = HPKE.Ciphersuite.P256_SHA256_AES_GCM_256
    static let encapsulatedKeyLength = 65
    /// Bounds what is opened (an envelope fits one ISO 8583 LLLVAR field).
    public static let maximumEnvelopeLength = 999
}

/// A P-256 key that receives HPKE envelopes (a device, or the host). It opens envelopes and
/// does nothing else: signing uses a separate ``SigningPrivateKey``.
public struct SealingPrivateKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    let key: P256.KeyAgreement.PrivateKey

    public init() { key = P256.KeyAgreement.PrivateKey() }

    package init(unsafeRawRepresentation bytes: some Collection<UInt8>) throws(MPOSCryptoError) {
        do { key = try P256.KeyAgreement.PrivateKey(rawRepresentation: Array(bytes)) } catch {
            throw MPOSCryptoError(.invalidAsymmetricKey, "a P-256 private key is a 32-byte scalar in range")
        }
    }

    package var unsafeRawRepresentation: [UInt8] { Array(key.rawRepresentation) }

    public var publicKey: SealingPublicKey { SealingPublicKey(key: key.publicKey) }

    /// Opens an envelope sealed to this key with the same `info`. Any mismatch — another key,
    /// another info, a changed byte — is one error.
    public func open(_ envelope: some Collection<UInt8>, info: some Collection<UInt8>) throws(MPOSCryptoError) -> [UInt8] {
        let bytes = Array(envelope)
        guard bytes.count >= Sealing.encapsulatedKeyLength + 16, bytes.count <= Sealing.maximumEnvelopeLength else {
            throw MPOSCryptoError(.envelopeInvalid, "an HPKE envelope is 81 to \(Sealing.maximumEnvelopeLength) bytes")
        }
        do {
            var recipient = try HPKE.Recipient(
                privateKey: key, ciphersuite: Sealing.suite, info: Data(info),
                encapsulatedKey: Data(bytes.prefix(Sealing.encapsulatedKeyLength)))
            return Array(try recipient.open(bytes.dropFirst(Sealing.encapsulatedKeyLength)))
        } catch {
            throw MPOSCryptoError(.envelopeInvalid, "the envelope does not open (another key or purpose, or altered)")
        }
    }

    public var description: String { "SealingPrivateKey(P-256, public \(publicKey.fingerprint))" }
    public var debugDescription: String { description }
    /// `dump` and debuggers see the public fingerprint only.
    public var customMirror: Mirror { Mirror(self, children: ["publicKey": publicKey.fingerprint], displayStyle: .struct) }
}

/// The public half: anyone holding it can seal to the private key's owner.
public struct SealingPublicKey: Sendable, Hashable, CustomStringConvertible {
    let key: P256.KeyAgreement.PublicKey

    init(key: P256.KeyAgreement.PublicKey) { self.key = key }

    public init(x963 bytes: some Collection<UInt8>) throws(MPOSCryptoError) {
        key = try P256PublicKeyBytes.parse(bytes, P256.KeyAgreement.PublicKey.init(x963Representation:))
    }

    public var x963: [UInt8] { Array(key.x963Representation) }
    public var fingerprint: String { P256PublicKeyBytes.fingerprint(x963) }

    /// Seals `plaintext` to this key: `encapsulated key ‖ ciphertext ‖ tag`.
    public func seal(_ plaintext: some Collection<UInt8>, info: some Collection<UInt8>) throws(MPOSCryptoError) -> [UInt8] {
        guard plaintext.count <= Sealing.maximumEnvelopeLength - Sealing.encapsulatedKeyLength - 16 else {
            throw MPOSCryptoError(.envelopeInvalid, "the plaintext does not fit an envelope")
        }
        do {
            var sender = try HPKE.Sender(recipientKey: key, ciphersuite: Sealing.suite, info: Data(info))
            let ciphertext = try sender.seal(Array(plaintext))
            return Array(sender.encapsulatedKey) + Array(ciphertext)
        } catch {
            throw MPOSCryptoError(.primitiveFailure, "HPKE refused to seal")
        }
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.x963 == rhs.x963 }
    public func hash(into hasher: inout Hasher) { hasher.combine(x963) }
    public var description: String { "SealingPublicKey(P-256, \(fingerprint))" }
}

// MARK: - Keys in envelopes

extension SealingPublicKey {
    /// Seals a symmetric key to this public key's owner: plaintext = usage code (2 ASCII) ‖ mode
    /// of use (1 ASCII) ‖ key bytes, so the usage is bound inside the envelope as well as by
    /// `info`. Sending a key is exporting it: a non-exportable key is refused.
    public func seal<Usage: KeyUsage>(_ key: AESKey<Usage>, info: some Collection<UInt8>) throws(MPOSCryptoError) -> [UInt8] {
        guard key.exportability != .nonExportable else {
            throw MPOSCryptoError(.keyNotExportable, "a non-exportable \(Usage.code) key cannot be sealed to another party")
        }
        return try seal(Array(Usage.code.rawValue.utf8) + [key.modeOfUse.rawValue] + key.copyOfMaterial(), info: info)
    }
}

extension SealingPrivateKey {
    /// Opens an envelope that `SealingPublicKey.seal(key, info:)` made, and refuses
    /// one that holds a key of another usage or a mode the usage does not permit. The key
    /// arrives non-exportable: its holder keeps it.
    public func openKey<Usage: KeyUsage>(_ envelope: some Collection<UInt8>, as usage: Usage.Type, info: some Collection<UInt8>) throws(MPOSCryptoError) -> AESKey<Usage> {
        let plaintext = try open(envelope, info: info)
        guard plaintext.count > 3, Array(plaintext.prefix(2)) == Array(Usage.code.rawValue.utf8) else {
            throw MPOSCryptoError(.keyBlockUsageMismatch, "the envelope does not hold a \(Usage.code) key")
        }
        guard let mode = ModeOfUse(rawValue: plaintext[2]) else {
            throw MPOSCryptoError(.envelopeInvalid, "the envelope's mode of use is unknown")
        }
        return try AESKey<Usage>(unsafeRawBytes: plaintext.dropFirst(3), modeOfUse: mode, exportability: .nonExportable)
    }
}
