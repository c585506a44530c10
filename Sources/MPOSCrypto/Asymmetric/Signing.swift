import Crypto
import Foundation

/// An ECDSA P-256 signing key (SHA-256), for a device or the host to sign its messages. It
/// signs and does nothing else: sealing uses a separate ``SealingPrivateKey``.
///
/// Prints as its public key's fingerprint; the private key never shows.
public struct SigningPrivateKey: Sendable, CustomStringConvertible {
    let key: P256.Signing.PrivateKey

    /// A fresh key from the system's secure generator.
    public init() { key = P256.Signing.PrivateKey() }

    /// From its 32-byte scalar: for test vectors and storage inside the mpos package only.
    package init(unsafeRawRepresentation bytes: some Collection<UInt8>) throws(MPOSCryptoError) {
        do { key = try P256.Signing.PrivateKey(rawRepresentation: Array(bytes)) } catch {
            throw MPOSCryptoError(.invalidAsymmetricKey, "a P-256 private key is a 32-byte scalar in range")
        }
    }

    /// The 32-byte scalar, inside the mpos package only (storage under the LMK, cross-checks).
    package var unsafeRawRepresentation: [UInt8] { Array(key.rawRepresentation) }

    public var publicKey: SigningPublicKey { SigningPublicKey(key: key.publicKey) }

    /// ECDSA over SHA-256 of `message`, as raw `r ‖ s` (64 bytes).
    public func signature(for message: some Collection<UInt8>) throws(MPOSCryptoError) -> [UInt8] {
        do { return Array(try key.signature(for: Array(message)).rawRepresentation) } catch {
            throw MPOSCryptoError(.primitiveFailure, "ECDSA signing failed")
        }
    }

    public var description: String { "SigningPrivateKey(P-256, public \(publicKey.fingerprint))" }
}

/// An ECDSA P-256 public key, carried as X9.62 uncompressed bytes (65, starting `04`).
public struct SigningPublicKey: Sendable, Hashable, CustomStringConvertible {
    let key: P256.Signing.PublicKey

    init(key: P256.Signing.PublicKey) { self.key = key }

    /// From the 65 X9.62 uncompressed bytes; a point not on the curve is refused.
    public init(x963 bytes: some Collection<UInt8>) throws(MPOSCryptoError) {
        guard bytes.count == 65, bytes.first == 0x04 else {
            throw MPOSCryptoError(.invalidAsymmetricKey, "a P-256 public key is 65 bytes, X9.62 uncompressed")
        }
        do { key = try P256.Signing.PublicKey(x963Representation: Array(bytes)) } catch {
            throw MPOSCryptoError(.invalidAsymmetricKey, "the public key is not a point on P-256")
        }
    }

    public var x963: [UInt8] { Array(key.x963Representation) }

    /// First 8 bytes of SHA-256 of the X9.62 bytes, in hex: for people comparing keys.
    public var fingerprint: String { Hex.encode(SHA256.hash(data: x963).prefix(8)) }

    /// Throws ``MPOSCryptoError/Code/signatureInvalid`` unless `signature` (raw `r ‖ s`) is valid.
    public func verify(_ signature: some Collection<UInt8>, for message: some Collection<UInt8>) throws(MPOSCryptoError) {
        guard signature.count == 64,
              let parsed = try? P256.Signing.ECDSASignature(rawRepresentation: Array(signature)),
              key.isValidSignature(parsed, for: Array(message))
        else { throw MPOSCryptoError(.signatureInvalid, "the signature does not verify") }
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.x963 == rhs.x963 }
    public func hash(into hasher: inout Hasher) { hasher.combine(x963) }
    public var description: String { "SigningPublicKey(P-256, \(fingerprint))" }
}
