import Crypto

/// AES-GCM with associated data under a D0 data-encryption key.
///
/// A sealed message is `nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes)`. The nonce is random
/// for every message: with 96-bit random nonces one key must seal fewer than 2³² messages
/// (NIST SP 800-38D §8.3); mpos's data keys are session keys, far below that.
public enum AuthenticatedEncryption {
    public static let nonceLength = 12
    public static let tagLength = 16
    /// The largest plaintext accepted: far above any mpos message, and a bound on allocation.
    public static let maximumPlaintextLength = 1 << 20

    public static func seal(_ plaintext: some Collection<UInt8>, authenticating associatedData: some Collection<UInt8>, using key: AESKey<DataEncryption>) throws(MPOSCryptoError) -> [UInt8] {
        try seal(plaintext, authenticating: associatedData, using: key, nonce: AES.GCM.Nonce())
    }

    /// Opens and authenticates; any alteration of nonce, ciphertext, tag or associated data,
    /// or a wrong key, is one error that says nothing more.
    public static func open(_ sealed: some Collection<UInt8>, authenticating associatedData: some Collection<UInt8>, using key: AESKey<DataEncryption>) throws(MPOSCryptoError) -> [UInt8] {
        try key.require(key.modeOfUse.permitsDecryption, "decrypt")
        guard sealed.count >= nonceLength + tagLength, sealed.count <= nonceLength + tagLength + maximumPlaintextLength else {
            throw MPOSCryptoError(.malformedSealedMessage, "a sealed message is 28 bytes or more (nonce and tag), and bounded in size")
        }
        let box: AES.GCM.SealedBox
        do { box = try AES.GCM.SealedBox(combined: Array(sealed)) } catch {
            throw MPOSCryptoError(.malformedSealedMessage, "the sealed message is malformed")
        }
        do {
            return Array(try AES.GCM.open(box, using: key.material, authenticating: Array(associatedData)))
        } catch {
            throw MPOSCryptoError(.authenticationFailed, "the sealed message does not authenticate (altered, or the wrong key)")
        }
    }

    /// With a caller-chosen nonce: for known-answer tests only (never reuse a nonce under one key).
    static func seal(_ plaintext: some Collection<UInt8>, authenticating associatedData: some Collection<UInt8>, using key: AESKey<DataEncryption>, nonce: AES.GCM.Nonce) throws(MPOSCryptoError) -> [UInt8] {
        try key.require(key.modeOfUse.permitsEncryption, "encrypt")
        guard plaintext.count <= maximumPlaintextLength else {
            throw MPOSCryptoError(.malformedSealedMessage, "the plaintext is longer than \(maximumPlaintextLength) bytes")
        }
        do {
            let box = try AES.GCM.seal(Array(plaintext), using: key.material, nonce: nonce, authenticating: Array(associatedData))
            return Array(box.combined!)  // always present with a 12-byte nonce
        } catch {
            throw MPOSCryptoError(.primitiveFailure, "AES-GCM refused to seal")
        }
    }
}
