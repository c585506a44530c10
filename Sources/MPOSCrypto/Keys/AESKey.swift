import Crypto

/// An AES key bound to one usage (`Usage`, a TR-31 key-usage type), one mode of use and an
/// exportability.
///
/// The key bytes stay inside the mpos package: they never appear in `description`,
/// `debugDescription`, `dump` or an error, and code outside the package has no way to read
/// them. Equality is constant-time (it is `SymmetricKey`'s).
///
/// Only the six usages defined here can key an `AESKey`: a type declared elsewhere that
/// conforms to ``KeyUsage`` (say, one claiming code `K1`) cannot be used to create one.
public struct AESKey<Usage: KeyUsage>: Sendable {
    let material: SymmetricKey
    /// What this key may do within its usage (e.g. a PIN key that may only encrypt).
    public let modeOfUse: ModeOfUse
    /// Whether this key may leave its holder: a key from a block marked `N` can be neither
    /// wrapped again nor split into components.
    public let exportability: Exportability
    public let size: AESKeySize

    /// A fresh random key from the system's cryptographically secure generator.
    public init(generating size: AESKeySize = .bits128, modeOfUse: ModeOfUse = Usage.defaultMode, exportability: Exportability = .exportable) throws(MPOSCryptoError) {
        try Self.check(modeOfUse)
        self.init(material: SymmetricKey(size: size.symmetricKeySize), size: size, modeOfUse: modeOfUse, exportability: exportability)
    }

    /// A key from raw bytes: for test vectors, key ceremonies and derivation, inside the mpos
    /// package only. Anything that holds key bytes outside a key block should be rare.
    package init(unsafeRawBytes bytes: some Collection<UInt8>, modeOfUse: ModeOfUse = Usage.defaultMode, exportability: Exportability = .exportable) throws(MPOSCryptoError) {
        guard let size = AESKeySize(byteCount: bytes.count) else {
            throw MPOSCryptoError(.invalidKeyLength, "an AES key is 16, 24 or 32 bytes; got \(bytes.count)")
        }
        try Self.check(modeOfUse)
        self.init(material: SymmetricKey(data: Array(bytes)), size: size, modeOfUse: modeOfUse, exportability: exportability)
    }

    private init(material: SymmetricKey, size: AESKeySize, modeOfUse: ModeOfUse, exportability: Exportability) {
        self.material = material
        self.size = size
        self.modeOfUse = modeOfUse
        self.exportability = exportability
    }

    /// The same key with a narrower mode of use, e.g. an encrypt-only copy of a PIN key for
    /// a terminal. A mode can be narrowed, never widened.
    public func restricted(to mode: ModeOfUse) throws(MPOSCryptoError) -> AESKey<Usage> {
        guard modeOfUse.canNarrow(to: mode) else {
            throw MPOSCryptoError(.modeOfUseNotPermitted, "a \(Usage.code) key of mode \(modeOfUse) cannot be restricted to mode \(mode)")
        }
        return AESKey(material: material, size: size, modeOfUse: mode, exportability: exportability)
    }

    /// The key check value by the CMAC method (ANSI X9.24-1): AES-CMAC of one zero block.
    public func checkValue(length: Int = KeyCheckValue.defaultLength) throws(MPOSCryptoError) -> KeyCheckValue {
        try KeyCheckValue(of: material, length: length)
    }

    /// The key's bytes, inside the mpos package only: for the rare key that must become
    /// something else (an enrollment code read back from its block under the LMK).
    package func unsafeRawBytes() -> [UInt8] { copyOfMaterial() }

    /// The key's bytes, for the few operations that must copy them (wrapping, splitting).
    func copyOfMaterial() -> [UInt8] {
        material.withUnsafeBytes { Array($0) }
    }

    /// Refuses a mode the usage does not permit, and a usage type not defined by this module.
    private static func check(_ mode: ModeOfUse) throws(MPOSCryptoError) {
        guard knownUsages.contains(ObjectIdentifier(Usage.self)) else {
            throw MPOSCryptoError(.unknownKeyUsage, "keys exist only for the key usages MPOSCrypto defines")
        }
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
        lhs.material == rhs.material && lhs.modeOfUse == rhs.modeOfUse && lhs.exportability == rhs.exportability
    }
}

extension AESKey: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// Usage, size and mode; never key bytes.
    public var description: String { "AESKey(\(Usage.code), \(size), mode \(modeOfUse))" }
    public var debugDescription: String { description }
    /// `dump` and debuggers see only the attributes.
    public var customMirror: Mirror {
        Mirror(self, children: ["usage": Usage.code.rawValue, "size": size.description, "modeOfUse": modeOfUse.description, "exportability": exportability.description], displayStyle: .struct)
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
