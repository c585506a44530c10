public import MPOSErrors

/// The one error type of `MPOSCrypto`.
///
/// Errors are compared by ``code`` (stable across releases, safe to log and to map to
/// protocol response codes). The ``message`` is for people: it names what was wrong, and
/// never contains key material, a PIN, a PIN block or a full card number — callers may log
/// it as it is.
public struct MPOSCryptoError: CodedError {
    /// A stable, machine-readable error code.
    public struct Code: ErrorCode {
        /// The stable string form, e.g. `crypto.pinblock.invalid`.
        public let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }

        /// A key of a length that AES (or the operation) does not accept.
        public static let invalidKeyLength = Code("crypto.key.length")
        /// A key usage type not defined by MPOSCrypto.
        public static let unknownKeyUsage = Code("crypto.key.usage")
        /// The key is not exportable (it came from a key block marked `N`, or the requested
        /// exportability is wider than the key's own).
        public static let keyNotExportable = Code("crypto.key.export")
        /// The key's mode of use does not permit this operation (e.g. decrypting with an encrypt-only key).
        public static let modeOfUseNotPermitted = Code("crypto.key.mode")
        /// The key would be protected by a weaker key, or would weaken the protecting key.
        public static let keyStrengthMismatch = Code("crypto.key.strength")
        /// A check value length outside 3...5 bytes, or a check value that does not match.
        public static let invalidCheckValue = Code("crypto.kcv.invalid")
        public static let checkValueMismatch = Code("crypto.kcv.mismatch")
        /// A PIN that is not 4 to 12 decimal digits.
        public static let invalidPIN = Code("crypto.pin.invalid")
        /// A card number (PAN) that is not 12 to 19 decimal digits.
        public static let invalidPAN = Code("crypto.pan.invalid")
        /// A PIN block of the wrong size, or one that deciphers to no valid format 4 PIN field
        /// (wrong key, wrong PAN, or a tampered block: deliberately indistinguishable).
        public static let invalidPINBlock = Code("crypto.pinblock.invalid")
        /// A key block whose structure (lengths, characters, optional blocks) is malformed.
        public static let malformedKeyBlock = Code("crypto.keyblock.malformed")
        /// A key block version, algorithm or field value this implementation does not accept.
        public static let unsupportedKeyBlock = Code("crypto.keyblock.unsupported")
        /// The key block MAC does not verify: wrong protection key or a modified block.
        public static let keyBlockAuthenticationFailed = Code("crypto.keyblock.mac")
        /// An authentic key block for a different key usage or mode than the caller asked for.
        public static let keyBlockUsageMismatch = Code("crypto.keyblock.usage")
        /// Key derivation parameters outside what SP 800-108 or this profile allows.
        public static let invalidDerivationParameters = Code("crypto.kdf.parameters")
        /// AES-CMAC: the tag does not verify.
        public static let macVerificationFailed = Code("crypto.mac.mismatch")
        /// AES-GCM: the message, its associated data or its tag was altered, or the key is wrong.
        public static let authenticationFailed = Code("crypto.aead.authentication")
        /// AES-GCM: a sealed message too short to hold nonce and tag, or otherwise malformed.
        public static let malformedSealedMessage = Code("crypto.aead.malformed")
        /// A P-256 key that is malformed or not on the curve.
        public static let invalidAsymmetricKey = Code("crypto.asymmetric.key")
        /// An ECDSA signature that does not verify (or is malformed).
        public static let signatureInvalid = Code("crypto.signature.invalid")
        /// An HPKE envelope that does not open, or is malformed.
        public static let envelopeInvalid = Code("crypto.hpke.envelope")
        /// Key components: wrong count, mismatched lengths, or a combination that is not a usable key.
        public static let invalidComponents = Code("crypto.components.invalid")
        /// Text that should be hexadecimal is not.
        public static let invalidHex = Code("crypto.hex.invalid")
        /// The underlying primitive refused the operation (should not happen with validated inputs).
        public static let primitiveFailure = Code("crypto.primitive")
    }

    public let code: Code
    /// A human message. Contains no secret and no full card number.
    public let message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}
