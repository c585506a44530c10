import Crypto
import Foundation

/// An ECDSA P-256 signing key (SHA-256), for a device or the host to sign its messages. It
/// signs and does nothing else: sealing uses a separate ``SealingPrivateKey``.
///
/// Prints as its public key's fingerprint; the private key never shows.
public struct SigningPrivateKey: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
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

    /// ECDSA over SHA-256 of `message`, as raw `r ‖ s` (64 bytes), with `s` in the lower half of
    /// the group order. (r, n − s) is an equally valid signature; choosing the low one gives every
    /// signature a single encoding, and verification refuses the other.
    public func signature(for message: some Collection<UInt8>) throws(MPOSCryptoError) -> [UInt8] {
        let raw: [UInt8]
        do { raw = Array(try key.signature(for: Array(message)).rawRepresentation) } catch {
            throw MPOSCryptoError(.primitiveFailure, "ECDSA signing failed")
        }
        let sValue = Array(raw[32...])
        return LowS.isLow(sValue) ? raw : Array(raw[..<32]) + LowS.subtract(sValue, from: LowS.order)
    }

    public var description: String { "SigningPrivateKey(P-256, public \(publicKey.fingerprint))" }
    public var debugDescription: String { description }
    /// `dump` and debuggers see the public fingerprint only.
    public var customMirror: Mirror { Mirror(self, children: ["publicKey": publicKey.fingerprint], displayStyle: .struct) }
}

/// An ECDSA P-256 public key, carried as X9.62 uncompressed bytes (65, starting `04`).
public struct SigningPublicKey: Sendable, Hashable, CustomStringConvertible {
    let key: P256.Signing.PublicKey

    init(key: P256.Signing.PublicKey) { self.key = key }

    /// From the 65 X9.62 uncompressed bytes; a point not on the curve is refused.
    public init(x963 bytes: some Collection<UInt8>) throws(MPOSCryptoError) {
        key = try P256PublicKeyBytes.parse(bytes, P256.Signing.PublicKey.init(x963Representation:))
    }

    public var x963: [UInt8] { Array(key.x963Representation) }

    /// First 8 bytes of SHA-256 of the X9.62 bytes, in hex: for people comparing keys.
    public var fingerprint: String { P256PublicKeyBytes.fingerprint(x963) }

    /// Throws ``MPOSCryptoError/Code/signatureInvalid`` unless `signature` (raw `r ‖ s`) is valid.
    public func verify(_ signature: some Collection<UInt8>, for message: some Collection<UInt8>) throws(MPOSCryptoError) {
        guard signature.count == 64, LowS.isLow(Array(signature.dropFirst(32))),
              let parsed = try? P256.Signing.ECDSASignature(rawRepresentation: Array(signature)),
              key.isValidSignature(parsed, for: Array(message))
        else { throw MPOSCryptoError(.signatureInvalid, "the signature does not verify") }
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.x963 == rhs.x963 }
    public func hash(into hasher: inout Hasher) { hasher.combine(x963) }
    public var description: String { "SigningPublicKey(P-256, \(fingerprint))" }
}

/// The low-S rule for P-256 ECDSA (as in BIP 62): s ≤ n/2, big-endian 32-byte arithmetic.
enum LowS {
    /// The P-256 group order n.
    static let order: [UInt8] = try! Hex.decode("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551")
    /// ⌊n/2⌋.
    static let halfOrder: [UInt8] = try! Hex.decode("7FFFFFFF800000007FFFFFFFFFFFFFFFDE737D56D38BCF4279DCE5617E3192A8")

    static func isLow(_ s: [UInt8]) -> Bool {
        guard s.count == 32 else { return false }
        for (a, b) in zip(s, halfOrder) where a != b { return a < b }
        return true
    }

    /// `a − b` for 32-byte big-endian numbers with a ≥ b.
    static func subtract(_ b: [UInt8], from a: [UInt8]) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: 32)
        var borrow = 0
        for i in stride(from: 31, through: 0, by: -1) {
            var difference = Int(a[i]) - Int(b[i]) - borrow
            borrow = difference < 0 ? 1 : 0
            if difference < 0 { difference += 256 }
            result[i] = UInt8(difference)
        }
        return result
    }
}

/// What both kinds of P-256 public key share: the wire form and the fingerprint.
enum P256PublicKeyBytes {
    /// 65 bytes, X9.62 uncompressed (`04 ‖ x ‖ y`), and a point on the curve.
    static func parse<Key>(_ bytes: some Collection<UInt8>, _ make: ([UInt8]) throws -> Key) throws(MPOSCryptoError) -> Key {
        guard bytes.count == 65, bytes.first == 0x04 else {
            throw MPOSCryptoError(.invalidAsymmetricKey, "a P-256 public key is 65 bytes, X9.62 uncompressed")
        }
        do { return try make(Array(bytes)) } catch {
            throw MPOSCryptoError(.invalidAsymmetricKey, "the public key is not a point on P-256")
        }
    }

    /// First 8 bytes of SHA-256 of the X9.62 bytes, in hex.
    static func fingerprint(_ x963: [UInt8]) -> String { Hex.encode(SHA256.hash(data: x963).prefix(8)) }
}
