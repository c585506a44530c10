/// AES-CMAC message authentication (NIST SP 800-38B; ISO 9797-1:2011 MAC algorithm 5) under
/// an M6 key, and nothing else: CMAC with any other key type does not compile.
public enum CMAC {
    /// The full 16-byte tag: mpos never truncates its message MACs.
    public static func authenticationCode(for message: some Collection<UInt8>, using key: AESKey<MessageAuthentication>) throws(MPOSCryptoError) -> [UInt8] {
        try key.require(key.modeOfUse.permitsMACGeneration, "generate MACs")
        return try cmac(key: key.material, message: message)
    }

    /// Recomputes the tag and compares it in constant time; throws
    /// ``MPOSCryptoError/Code/macVerificationFailed`` if it differs (a tag of the wrong length
    /// differs). Prefer this to ``isValid(_:for:using:)``: a thrown error cannot be ignored.
    public static func verify(_ tag: some Collection<UInt8>, for message: some Collection<UInt8>, using key: AESKey<MessageAuthentication>) throws(MPOSCryptoError) {
        guard try isValid(tag, for: message, using: key) else {
            throw MPOSCryptoError(.macVerificationFailed, "the message authentication code does not verify")
        }
    }

    /// Recomputes the tag and compares it in constant time. A tag of the wrong length is
    /// simply not valid.
    public static func isValid(_ tag: some Collection<UInt8>, for message: some Collection<UInt8>, using key: AESKey<MessageAuthentication>) throws(MPOSCryptoError) -> Bool {
        try key.require(key.modeOfUse.permitsMACVerification, "verify MACs")
        let expected = try cmac(key: key.material, message: message)
        return constantTimeEquals(expected, tag)
    }
}
