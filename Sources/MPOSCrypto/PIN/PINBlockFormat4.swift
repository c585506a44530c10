import Crypto
import _CryptoExtras

/// An enciphered ISO 9564-1 PIN block: 16 bytes.
///
/// Even enciphered, a PIN block must never be logged or journaled (PCI PIN 2-3), so it prints
/// as its size only. Use ``bytes`` to put it in a message.
public struct EncipheredPINBlock: Sendable {
    public static let byteCount = 16
    public let bytes: [UInt8]

    public init(bytes: some Collection<UInt8>) throws(MPOSCryptoError) {
        guard bytes.count == Self.byteCount else {
            throw MPOSCryptoError(.invalidPINBlock, "a format 4 PIN block is 16 bytes; got \(bytes.count)")
        }
        self.bytes = Array(bytes)
    }
}

extension EncipheredPINBlock: Equatable {
    /// Constant-time.
    public static func == (lhs: Self, rhs: Self) -> Bool { constantTimeEquals(lhs.bytes, rhs.bytes) }
}

extension EncipheredPINBlock: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "EncipheredPINBlock(16 bytes)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

/// ISO 9564-1:2017 PIN block format 4, for AES: the PIN enciphered twice, bound to the card
/// number in between, so a block is useless with any other PAN.
///
/// - Plain PIN field, 16 bytes: nibble `4`, nibble PIN length, the PIN digits, fill nibbles `A`
///   to the 16th nibble, then 8 random bytes.
/// - Plain PAN field, 16 bytes: nibble (PAN length − 12), the PAN digits, `0` nibbles to the end.
/// - Enciphered block `C = E_K(E_K(PIN field) ⊕ PAN field)`; deciphering reverses it and checks
///   the control nibble, the length and every fill nibble.
public enum PINBlockFormat4 {
    public static func encipher(_ pin: PIN, pan: PrimaryAccountNumber, using key: AESKey<PINEncryption>) throws(MPOSCryptoError) -> EncipheredPINBlock {
        try encipher(pin, pan: pan, using: key, randomFill: secureRandomBytes(8))
    }

    /// Deciphers and checks the block. Any failure — wrong key, wrong PAN, a changed bit — is
    /// the same error, and the error says nothing about the PIN or the block.
    ///
    /// A clear PIN must not leave the cryptography (PCI PIN), so this is SPI: visible only to
    /// code that writes `@_spi(ClearPIN) import MPOSCrypto` (the host's PIN verification, tests,
    /// the benchmark), never to an app by accident.
    @_spi(ClearPIN) public static func decipher(_ block: EncipheredPINBlock, pan: PrimaryAccountNumber, using key: AESKey<PINEncryption>) throws(MPOSCryptoError) -> PIN {
        try key.require(key.modeOfUse.permitsDecryption, "decipher PIN blocks")
        var intermediate = block.bytes
        try inversePermute(&intermediate, key: key)
        let panField = panField(pan)
        for i in 0..<16 { intermediate[i] ^= panField[i] }
        try inversePermute(&intermediate, key: key)
        return try parsePINField(intermediate)
    }

    /// Deterministic form for known-answer tests and the documented worked example: `randomFill`
    /// is the 8 "random" bytes. Inside the mpos package only.
    package static func encipher(_ pin: PIN, pan: PrimaryAccountNumber, using key: AESKey<PINEncryption>, randomFill: [UInt8]) throws(MPOSCryptoError) -> EncipheredPINBlock {
        try key.require(key.modeOfUse.permitsEncryption, "encipher PIN blocks")
        precondition(randomFill.count == 8)
        var block = pinField(pin, randomFill: randomFill)
        try permute(&block, key: key)
        let panField = panField(pan)
        for i in 0..<16 { block[i] ^= panField[i] }
        try permute(&block, key: key)
        return try EncipheredPINBlock(bytes: block)
    }

    package static func pinField(_ pin: PIN, randomFill: [UInt8]) -> [UInt8] {
        var nibbles = [UInt8](repeating: 0xA, count: 16)
        nibbles[0] = 0x4
        nibbles[1] = UInt8(pin.length)
        for (i, digit) in pin.digits.enumerated() { nibbles[2 + i] = digit }
        return packNibbles(nibbles) + randomFill
    }

    package static func panField(_ pan: PrimaryAccountNumber) -> [UInt8] {
        var nibbles = [UInt8](repeating: 0, count: 32)
        nibbles[0] = UInt8(pan.length - 12)
        for (i, digit) in pan.digits.enumerated() { nibbles[1 + i] = digit }
        return packNibbles(nibbles)
    }

    /// Checks every nibble of the first half (the second half is random by definition), all of
    /// them whatever fails first, so the time taken says little about which check failed.
    static func parsePINField(_ field: [UInt8]) throws(MPOSCryptoError) -> PIN {
        let nibbles = field.prefix(8).flatMap { [$0 >> 4, $0 & 0x0F] }
        let declaredLength = Int(nibbles[1])
        let length = min(max(declaredLength, PIN.permittedLengths.lowerBound), PIN.permittedLengths.upperBound)
        var invalid: UInt8 = nibbles[0] ^ 0x4
        invalid |= PIN.permittedLengths.contains(declaredLength) ? 0 : 1
        for position in 2..<16 {
            let nibble = nibbles[position]
            invalid |= position < 2 + length ? (nibble > 9 ? 1 : 0) : nibble ^ 0xA
        }
        guard invalid == 0 else {
            throw MPOSCryptoError(.invalidPINBlock, "the PIN block does not decipher to a format 4 PIN field (wrong key, wrong card number, or altered block)")
        }
        return try PIN(digitValues: Array(nibbles[2..<(2 + length)]))
    }

    private static func packNibbles(_ nibbles: [UInt8]) -> [UInt8] {
        stride(from: 0, to: nibbles.count, by: 2).map { nibbles[$0] << 4 | nibbles[$0 + 1] }
    }

    private static func permute(_ block: inout [UInt8], key: AESKey<PINEncryption>) throws(MPOSCryptoError) {
        do { try AES.permute(&block, key: key.material) } catch {
            throw MPOSCryptoError(.primitiveFailure, "AES refused the PIN key")
        }
    }

    private static func inversePermute(_ block: inout [UInt8], key: AESKey<PINEncryption>) throws(MPOSCryptoError) {
        do { try AES.inversePermute(&block, key: key.material) } catch {
            throw MPOSCryptoError(.primitiveFailure, "AES refused the PIN key")
        }
    }
}
