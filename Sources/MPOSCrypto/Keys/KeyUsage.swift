/// What a key is for, after the TR-31 / ANSI X9.143 key-usage codes.
///
/// Each usage is a type, and every operation names the usage it accepts, so a key can only be
/// used for its one purpose: passing a PIN key where a MAC key is expected does not compile.
///
/// | type | TR-31 | used by |
/// | --- | --- | --- |
/// | ``KeyBlockProtection`` | K1 | wrapping and unwrapping TR-31 key blocks |
/// | ``KeyEncryption`` | K0 | wrapping and unwrapping TR-31 key blocks (a general key-encryption key) |
/// | ``PINEncryption`` | P0 | ISO 9564 format 4 PIN blocks |
/// | ``MessageAuthentication`` | M6 | AES-CMAC (ISO 9797-1:2011 MAC algorithm 5) |
/// | ``DataEncryption`` | D0 | AES-GCM authenticated encryption of data |
/// | ``BaseDerivation`` | B0 | NIST SP 800-108 derivation of other keys (see ``BaseDerivation``) |
/// | ``PINVerification`` | V0 | PIN verification values (``PINVerificationValue``) |
/// | ``OperatorVerification`` | 10 | operator-key verification values (``OperatorVerificationValue``) |
/// | ``Tokenization`` | 11 | keyed digests that recognise a datum without storing it (``KeyedDigest``) |
///
/// `10` and `11` are from the numeric range TR-31 / X9.143 reserves for proprietary usages:
/// no standard usage says "check an operator's password" or "tokenise a card number".
public protocol KeyUsage: Sendable {
    /// The two-character TR-31 key-usage code, e.g. `P0`.
    static var code: KeyUsageCode { get }
    /// The modes of use TR-31 allows for this usage.
    static var permittedModes: Set<ModeOfUse> { get }
    /// The mode a freshly generated key gets: the widest permitted one.
    static var defaultMode: ModeOfUse { get }
}

/// The usage types of this module, the only ones an ``AESKey`` accepts. `KeyUsage` is a public
/// protocol (it must be, to appear in public signatures), so this closed list is what stops a
/// type declared elsewhere from claiming, say, to be a key-block protection key.
let knownUsages: Set<ObjectIdentifier> = [
    ObjectIdentifier(KeyBlockProtection.self), ObjectIdentifier(KeyEncryption.self),
    ObjectIdentifier(PINEncryption.self), ObjectIdentifier(MessageAuthentication.self),
    ObjectIdentifier(DataEncryption.self), ObjectIdentifier(BaseDerivation.self),
    ObjectIdentifier(PINVerification.self), ObjectIdentifier(OperatorVerification.self),
    ObjectIdentifier(Tokenization.self),
]

/// Usages whose keys may protect TR-31 key blocks (the KBPK role).
public protocol KeyBlockProtecting: KeyUsage {}

private let encryptDecryptModes: Set<ModeOfUse> = [.encryptAndDecrypt, .encryptOnly, .decryptOnly]

/// K1: a TR-31 key-block protection key (KBPK), e.g. a terminal's master key.
public enum KeyBlockProtection: KeyBlockProtecting {
    public static let code = KeyUsageCode.k1
    public static let permittedModes = encryptDecryptModes
    public static let defaultMode = ModeOfUse.encryptAndDecrypt
}

/// K0: a key-encryption key. In mpos it too may protect TR-31 key blocks.
public enum KeyEncryption: KeyBlockProtecting {
    public static let code = KeyUsageCode.k0
    public static let permittedModes = encryptDecryptModes
    public static let defaultMode = ModeOfUse.encryptAndDecrypt
}

/// P0: a PIN-encryption key, for ISO 9564 format 4 PIN blocks only.
public enum PINEncryption: KeyUsage {
    public static let code = KeyUsageCode.p0
    public static let permittedModes = encryptDecryptModes
    public static let defaultMode = ModeOfUse.encryptAndDecrypt
}

/// M6: an AES-CMAC key (ISO 9797-1:2011 MAC algorithm 5), for message authentication only.
public enum MessageAuthentication: KeyUsage {
    public static let code = KeyUsageCode.m6
    public static let permittedModes: Set<ModeOfUse> = [.generateAndVerify, .generateOnly, .verifyOnly]
    public static let defaultMode = ModeOfUse.generateAndVerify
}

/// D0: a data-encryption key, for AES-GCM only.
public enum DataEncryption: KeyUsage {
    public static let code = KeyUsageCode.d0
    public static let permittedModes = encryptDecryptModes
    public static let defaultMode = ModeOfUse.encryptAndDecrypt
}

/// B0: a base derivation key, from which other keys are derived and which does nothing else.
///
/// TR-31 defines B0 as the base derivation key of DUKPT. mpos uses the same code, with mode
/// `X` (derive keys only), for its base master key, from which each terminal's own master key
/// is derived with NIST SP 800-108 (``CounterModeKDF``) rather than with DUKPT: the derivation
/// method is a property of the system, documented in `docs/security.md`, not of the key.
public enum BaseDerivation: KeyUsage {
    public static let code = KeyUsageCode.b0
    public static let permittedModes: Set<ModeOfUse> = [.deriveKeys]
    public static let defaultMode = ModeOfUse.deriveKeys
}

private let keyedValueModes: Set<ModeOfUse> = [.generateAndVerify, .generateOnly, .verifyOnly]

/// V0: a PIN verification key (TR-31 "PIN verification, other algorithm"): it turns a PIN and
/// its card number into a PIN verification value, so the host can check a PIN it never stores.
public enum PINVerification: KeyUsage {
    public static let code = KeyUsageCode.v0
    public static let permittedModes = keyedValueModes
    public static let defaultMode = ModeOfUse.generateAndVerify
}

/// `10` (proprietary): an operator verification key. Operator keys are short (the patent's
/// are 6 digits), so an unkeyed hash of one falls to an offline guess in moments; a value
/// keyed by a key the database does not hold does not.
public enum OperatorVerification: KeyUsage {
    public static let code = KeyUsageCode.operatorVerification
    public static let permittedModes = keyedValueModes
    public static let defaultMode = ModeOfUse.generateAndVerify
}

/// `11` (proprietary): a tokenisation key, for keyed digests that let the host find or
/// recognise a datum (a card number, an identity document) without storing it in clear.
public enum Tokenization: KeyUsage {
    public static let code = KeyUsageCode.tokenization
    public static let permittedModes = keyedValueModes
    public static let defaultMode = ModeOfUse.generateAndVerify
}

/// A TR-31 key-usage field: two ASCII letters or digits.
public struct KeyUsageCode: Hashable, Sendable, CustomStringConvertible {
    public let rawValue: String

    /// Accepts any two ASCII alphanumerics (a key block may carry usages mpos has no type for).
    public init?(_ rawValue: String) {
        let bytes = Array(rawValue.utf8)
        guard bytes.count == 2, bytes.allSatisfy(isASCIIAlphanumeric) else { return nil }
        self.rawValue = rawValue
    }

    private init(known: String) { self.rawValue = known }

    public var description: String { rawValue }

    public static let b0 = KeyUsageCode(known: "B0")
    public static let d0 = KeyUsageCode(known: "D0")
    public static let k0 = KeyUsageCode(known: "K0")
    public static let k1 = KeyUsageCode(known: "K1")
    public static let m6 = KeyUsageCode(known: "M6")
    public static let p0 = KeyUsageCode(known: "P0")
    public static let v0 = KeyUsageCode(known: "V0")
    /// Asymmetric key pair for digital signatures (the host's signing key at rest).
    public static let s0 = KeyUsageCode(known: "S0")
    /// Asymmetric key for key agreement / key wrapping (the host's HPKE key at rest).
    public static let k3 = KeyUsageCode(known: "K3")
    /// Proprietary: operator verification.
    public static let operatorVerification = KeyUsageCode(known: "10")
    /// Proprietary: tokenisation (keyed digests).
    public static let tokenization = KeyUsageCode(known: "11")
}

/// The TR-31 mode-of-use field: which operations a key may perform.
public enum ModeOfUse: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case encryptAndDecrypt = 0x42  // "B": encrypt/wrap and decrypt/unwrap
    case generateAndVerify = 0x43  // "C": MAC generate and verify
    case decryptOnly = 0x44        // "D": decrypt/unwrap only
    case encryptOnly = 0x45        // "E": encrypt/wrap only
    case generateOnly = 0x47       // "G": MAC generate only
    case noRestriction = 0x4E      // "N": no special restrictions (other than the usage)
    case signatureOnly = 0x53      // "S": signature only
    case verifyOnly = 0x56         // "V": MAC verify only
    case deriveKeys = 0x58         // "X": derive other keys only

    /// The one-letter code as it appears in a key block header.
    public var character: Character { Character(Unicode.Scalar(rawValue)) }
    public var description: String { String(character) }

    var permitsEncryption: Bool { self == .encryptAndDecrypt || self == .encryptOnly }
    var permitsDecryption: Bool { self == .encryptAndDecrypt || self == .decryptOnly }
    var permitsMACGeneration: Bool { self == .generateAndVerify || self == .generateOnly }
    var permitsMACVerification: Bool { self == .generateAndVerify || self == .verifyOnly }

    /// Whether a key of this mode may be narrowed to `other` (never widened).
    func canNarrow(to other: ModeOfUse) -> Bool {
        switch self {
        case .encryptAndDecrypt: return [.encryptAndDecrypt, .encryptOnly, .decryptOnly].contains(other)
        case .generateAndVerify: return [.generateAndVerify, .generateOnly, .verifyOnly].contains(other)
        default: return other == self
        }
    }
}

/// The TR-31 exportability field.
public enum Exportability: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    case exportable = 0x45           // "E": exportable under a KEK, in a form that meets X9.24
    case nonExportable = 0x4E        // "N": not exportable
    case sensitive = 0x53            // "S": sensitive, exportable in a form not meeting X9.24

    public var character: Character { Character(Unicode.Scalar(rawValue)) }
    public var description: String { String(character) }

    /// How far a key may travel: exportable > sensitive > non-exportable.
    var rank: Int {
        switch self {
        case .nonExportable: 0
        case .sensitive: 1
        case .exportable: 2
        }
    }
}

@inline(__always)
func isASCIIAlphanumeric(_ c: UInt8) -> Bool {
    (0x30...0x39).contains(c) || (0x41...0x5A).contains(c) || (0x61...0x7A).contains(c)
}
