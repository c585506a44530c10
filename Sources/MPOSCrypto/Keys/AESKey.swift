import Crypto

/// An AES key bound to one usage (`Usage`, a TR-31 key-usage type) and one mode of use.
///
/// The key bytes stay inside this module: they never appear in `description`,
/// `debugDescription`, `dump` or an error, and there is no public accessor for them. Equality
/// is constant-time (it is `SymmetricKey`'s).
public struct AESKey<Usage: KeyUsage>: Sendable {
    let material: SymmetricKey
    /// What this key may do within its usage (e.g. a PIN key that may only encrypt).
    public let modeOfUse: ModeOfUse

    /// A fresh random key from the system's cryptographically secure generator.
    public init(generating size: AESKeySize = .bits128, modeOfUse: ModeOfUse = Usage.defaultMode) throws(MPOSCryptoError) {
        try Self.check(modeOfUse)
        self.material = SymmetricKey(size: size.symmetricKeySize)
        self.modeOfUse = modeOfUse
    }

    /// A key from raw bytes: for test vectors, key ceremonies and derivation inside this module.
    /// Anything that holds key bytes outside a key block should be rare, hence the name.
    public init(unsafeRawBytes bytes: some Collection<UInt8>, modeOfUse: ModeOfUse = Usage.defaultMode) throws(MPOSCryptoError) {
        guard AESKeySize(byteCount: bytes.count) != nil else {
            throw MPOSCryptoError(.invalidKeyLength, "an AES key is 16, 24 or 32 bytes; got \(bytes.count)")
        }
        try Self.check(modeOfUse)
        self.material = SymmetricKey(data: Array(bytes))
        self.modeOfUse = modeOfUse
    }

    init(material: SymmetricKey, modeOfUse: ModeOfUse) {
        self.material = material
        self.modeOfUse = modeOfUse
    }

    public var size: AESKeySize { AESKeySize(byteCount: material.bitCount / 8)! }

    /// The same key with a narrower mode of use, e.g. an encrypt-only copy of a PIN key for
    /// a terminal. A mode can be narrowed, never widened.
    public func restricted(to mode: ModeOfUse) throws(MPOSCryptoError) -> AESKey<Usage> {
        guard modeOfUse.canNarrow(to: mode) else {
            throw MPOSCryptoError(.modeOfUseNotPermitted, "a \(Usage.code) key of mode \(modeOfUse) cannot be restricted to mode \(mode)")
        }
        return AESKey(material: material, modeOfUse: mode)
    }

    /// The key check value by the CMAC method (ANSI X9.24-1): AES-CMAC of one zero block.
    public func checkValue(length: Int = KeyCheckValue.defaultLength) throws(MPOSCryptoError) -> KeyCheckValue {
        try KeyCheckValue(of: material, length: length)
    }

    private static func check(_ mode: ModeOfUse) throws(MPOSCryptoError) {
        guard Usage.permittedModes.contains(mode) else {
            throw MPOSCryptoError(.modeOfUseNotPermitted, "mode \(mode) is not permitted for a \(Usage.code) key")
        }
    }

    func require(_ permitted: Bool, _ operation: String) throws(MPOSCryptoError) {
        guard permitted else {
            throw MPOSCryptoError(.modeOfUseNotPermitted, "a \(Usage.code) key of mode \(modeOfUse) may not \(operation)")
        }
    }
}

extension AESKey: Equatable {
    /// Constant-time in the key bytes.
    public static func == (lhs: AESKey, rhs: AESKey) -> Bool {
        lhs.material == rhs.material && lhs.modeOfUse == rhs.modeOfUse
    }
}

extension AESKey: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Usage, size and mode; never key bytes.
    public var description: String { "AESKey(\(Usage.code), \(size), mode \(modeOfUse))" }
    public var debugDescription: String { description }
    /// `dump` and debuggers see only the attributes.
    public var customMirror: Mirror {
        Mirror(self, children: ["usage": Usage.code.rawValue, "size": size.description, "modeOfUse": modeOfUse.description], displayStyle: .struct)
    }
}

/// The three AES key sizes.
public enum AESKeySize: Int, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case bits128 = 128
    case bits192 = 192
    case bits256 = 256

    public init?(byteCount: Int) {
        self.init(rawValue: byteCount * 8)
    }

    public var byteCount: Int { rawValue / 8 }
    public var description: String { "AES-\(rawValue)" }

    var symmetricKeySize: SymmetricKeySize { SymmetricKeySize(bitCount: rawValue) }
}
