public import MPOSErrors

/// The one error type of `MPOSCrypto`.
///
/// Errors are compared by ``code`` (stable across releases, safe to log and to map to
/// protocol response codes). The ``message`` is for people: it names what was wrong, and
/// never contains key material, a PIN, a PIN block or a full card number — callers may log
/// it as it is.
public typealias MPOSCryptoError = MPOSError<MPOSCryptoErrorDomain>
/// The domain of ``MPOSCryptoError``'s codes.
public enum MPOSCryptoErrorDomain: Sendable {}

extension ErrorCodeOf where Domain == MPOSCryptoErrorDomain {
    /// The stable string form, e.g. `crypto.pinblock.invalid`.

    /// A key of a length that AES (or the operation) does not accept.
    public static var invalidKeyLength: Self { Self("crypto.key.length") }
    /// A key usage type not defined by MPOSCrypto.
    public static var unknownKeyUsage: Self { Self("crypto.key.usage") }
    /// The key is not exportable (it came from a key block marked `N`, or the requested
    /// exportability is wider than the key's own).
    public static var keyNotExportable: Self { Self("crypto.key.export") }
    /// The key's mode of use does not permit this operation (e.g. decrypting with an encrypt-only key).
    public static var modeOfUseNotPermitted: Self { Self("crypto.key.mode") }
    /// The key would be protected by a weaker key, or would weaken the protecting key.
    public static var keyStrengthMismatch: Self { Self("crypto.key.strength") }
    /// A check value length outside 3...5 bytes, or a check value that does not match.
    public static var invalidCheckValue: Self { Self("crypto.kcv.invalid") }
    public static var checkValueMismatch: Self { Self("crypto.kcv.mismatch") }
    /// A PIN that is not 4 to 12 decimal digits.
    public static var invalidPIN: Self { Self("crypto.pin.invalid") }
    /// A card number (PAN) that is not 12 to 19 decimal digits.
    public static var invalidPAN: Self { Self("crypto.pan.invalid") }
    /// A PIN block of the wrong size, or one that deciphers to no valid format 4 PIN field
    /// (wrong key, wrong PAN, or a tampered block: deliberately indistinguishable).
    public static var invalidPINBlock: Self { Self("crypto.pinblock.invalid") }
    /// A key block whose structure (lengths, characters, optional blocks) is malformed.
    public static var malformedKeyBlock: Self { Self("crypto.keyblock.malformed") }
    /// A key block version, algorithm or field value this implementation does not accept.
    public static var unsupportedKeyBlock: Self { Self("crypto.keyblock.unsupported") }
    /// The key block MAC does not verify: wrong protection key or a modified block.
    public static var keyBlockAuthenticationFailed: Self { Self("crypto.keyblock.mac") }
    /// An authentic key block for a different key usage or mode than the caller asked for.
    public static var keyBlockUsageMismatch: Self { Self("crypto.keyblock.usage") }
    /// Key derivation parameters outside what SP 800-108 or this profile allows.
    public static var invalidDerivationParameters: Self { Self("crypto.kdf.parameters") }
    /// AES-CMAC: the tag does not verify.
    public static var macVerificationFailed: Self { Self("crypto.mac.mismatch") }
    /// AES-GCM: the message, its associated data or its tag was altered, or the key is wrong.
    public static var authenticationFailed: Self { Self("crypto.aead.authentication") }
    /// AES-GCM: a sealed message too short to hold nonce and tag, or otherwise malformed.
    public static var malformedSealedMessage: Self { Self("crypto.aead.malformed") }
    /// A P-256 key that is malformed or not on the curve.
    public static var invalidAsymmetricKey: Self { Self("crypto.asymmetric.key") }
    /// An ECDSA signature that does not verify (or is malformed).
    public static var signatureInvalid: Self { Self("crypto.signature.invalid") }
    /// An HPKE envelope that does not open, or is malformed.
    public static var envelopeInvalid: Self { Self("crypto.hpke.envelope") }
    /// Key components: wrong count, mismatched lengths, or a combination that is not a usable key.
    public static var invalidComponents: Self { Self("crypto.components.invalid") }
    /// Text that should be hexadecimal is not.
    public static var invalidHex: Self { Self("crypto.hex.invalid") }
    /// The underlying primitive refused the operation (should not happen with validated inputs).
    public static var primitiveFailure: Self { Self("crypto.primitive") }
}
