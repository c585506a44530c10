/// Keyed one-way values: how the host checks a secret it does not store (a PIN, an operator
/// key) and recognises a datum it does not keep in clear (a card number, an identity document).
///
/// Each is AES-CMAC used as a pseudorandom function (SP 800-38B; a PRF as in SP 800-108),
/// under a key of its own usage, over a fixed-length or length-prefixed encoding that starts
/// with the key's usage code and a purpose label:
///
///     value = AES-CMAC(K, usage code ‖ "/" ‖ label ‖ 0x00 ‖ input)         16 bytes
///
/// | value | key | label | input |
/// | --- | --- | --- | --- |
/// | ``PINVerificationValue`` | V0 | `MPOS PVV` | format 4 PIN field with zero fill (16) ‖ format 4 PAN field (16) |
/// | ``OperatorVerificationValue`` | 10 | `MPOS OPERATOR` | len ‖ operator number ‖ len ‖ operator key (1-byte lengths) |
/// | ``KeyedDigest`` | 11 | caller's purpose, e.g. `MPOS CARD` | the datum |
///
/// Without the key, a stolen table of values gives nothing to guess against: a 4-digit PIN
/// or 6-digit operator key cannot be tried offline. Comparisons are constant-time.
public struct KeyedValue: Sendable, Hashable, CustomStringConvertible {
    public static let length = 16
    /// The 16 bytes, as stored. Not secret in itself, but useless without the key.
    public let bytes: [UInt8]

    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == Self.length else { return nil }
        self.bytes = Array(bytes)
    }

    fileprivate init(unchecked bytes: [UInt8]) { self.bytes = bytes }

    /// Constant-time.
    public static func == (lhs: Self, rhs: Self) -> Bool { constantTimeEquals(lhs.bytes, rhs.bytes) }
    public func hash(into hasher: inout Hasher) { hasher.combine(bytes) }
    public var hex: String { Hex.encode(bytes) }
    public var description: String { "KeyedValue(\(hex))" }

    static func compute<Usage: KeyUsage>(_ key: AESKey<Usage>, label: String, input: [UInt8]) throws(MPOSCryptoError) -> KeyedValue {
        try key.require(key.modeOfUse.permitsMACGeneration || key.modeOfUse.permitsMACVerification, "compute keyed values")
        let labelBytes = Array(label.utf8)
        precondition(!labelBytes.isEmpty && labelBytes.count <= 64 && !labelBytes.contains(0), "labels are short ASCII purpose names")
        let message = Array(Usage.code.rawValue.utf8) + [UInt8(ascii: "/")] + labelBytes + [0x00] + input
        return KeyedValue(unchecked: try cmac(key: key.material, message: message))
    }
}

/// A PIN verification value: what the host stores instead of the PIN.
public enum PINVerificationValue {
    public static let label = "MPOS PVV"

    /// The value of `pin` for card `pan`. The PIN field is ISO 9564-1 format 4's with its random
    /// fill set to zero, so the same PIN always gives the same value; the PAN field binds it to
    /// the card.
    public static func compute(pin: PIN, pan: PrimaryAccountNumber, using key: AESKey<PINVerification>) throws(MPOSCryptoError) -> KeyedValue {
        let input = PINBlockFormat4.pinField(pin, randomFill: [UInt8](repeating: 0, count: 8)) + PINBlockFormat4.panField(pan)
        return try KeyedValue.compute(key, label: label, input: input)
    }

    /// Whether `pin` is the PIN whose value is `expected` (constant-time).
    public static func matches(_ expected: KeyedValue, pin: PIN, pan: PrimaryAccountNumber, using key: AESKey<PINVerification>) throws(MPOSCryptoError) -> Bool {
        try compute(pin: pin, pan: pan, using: key) == expected
    }
}

/// An operator-key verification value: what the host stores instead of the operator key.
public enum OperatorVerificationValue {
    public static let label = "MPOS OPERATOR"

    /// - Parameters: `number` is the operator number (1–8 digits), `keyBytes` the operator key
    ///   as typed (4–16 bytes); package-only, as the key must not travel outside mpos's code.
    package static func compute(number: String, keyBytes: [UInt8], using key: AESKey<OperatorVerification>) throws(MPOSCryptoError) -> KeyedValue {
        let numberBytes = Array(number.utf8)
        guard numberBytes.count <= 255, keyBytes.count <= 255 else {
            throw MPOSCryptoError(.primitiveFailure, "an operator number and key are at most 255 bytes each")
        }
        let input = [UInt8(numberBytes.count)] + numberBytes + [UInt8(keyBytes.count)] + keyBytes
        return try KeyedValue.compute(key, label: label, input: input)
    }
}

/// A keyed digest that lets the host find or recognise a datum without holding it in clear:
/// the card-number lookup key, the unique customer identifier. The purpose label separates
/// uses, so a card digest is never equal to an identity digest of the same bytes.
public enum KeyedDigest {
    package static func compute(purpose: String, value: some Collection<UInt8>, using key: AESKey<Tokenization>) throws(MPOSCryptoError) -> KeyedValue {
        try KeyedValue.compute(key, label: purpose, input: Array(value))
    }
}
