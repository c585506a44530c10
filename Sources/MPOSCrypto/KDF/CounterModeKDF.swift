import Crypto

/// NIST SP 800-108r1 key derivation in counter mode, with AES-CMAC as the PRF.
///
/// mpos's profile (what ``deriveKey(_:size:from:label:context:modeOfUse:)`` does):
///
///     K(i)   = AES-CMAC(K_I, [i]₃₂ ‖ Label ‖ 0x00 ‖ Context ‖ [L]₃₂)    i = 1, 2, …
///     Label  = TR-31 usage code of the derived key (2 ASCII bytes) ‖ "/" ‖ purpose label
///     output = leftmost L bits of K(1) ‖ K(2) ‖ …
///
/// `[i]₃₂` and `[L]₃₂` are 32-bit big-endian integers (r = 32; L in bits), the counter comes
/// before the fixed input. The derived key's usage is part of the label, so the same purpose
/// and context never give the same bytes to keys of two usages (a terminal master key cannot
/// be re-derived as a data key). The purpose label may not contain a zero byte, so the 0x00
/// separator is unambiguous. This is `KBKDFCMAC(rlen=4, llen=4, BeforeFixed)` in pyca
/// `cryptography`, which the test suite checks it against.
public enum CounterModeKDF {
    /// The longest label accepted; labels are short ASCII purpose names.
    public static let maximumLabelLength = 64
    /// The longest context accepted.
    public static let maximumContextLength = 256

    /// Derives a key of another usage from a base derivation key.
    public static func deriveKey<Target: KeyUsage>(
        _ usage: Target.Type,
        size: AESKeySize,
        from base: AESKey<BaseDerivation>,
        label: some Collection<UInt8>,
        context: some Collection<UInt8>,
        modeOfUse: ModeOfUse = Target.defaultMode
    ) throws(MPOSCryptoError) -> AESKey<Target> {
        try base.require(base.modeOfUse == .deriveKeys, "derive keys")
        let label = Array(label), context = Array(context)
        guard (1...maximumLabelLength).contains(label.count), !label.contains(0) else {
            throw MPOSCryptoError(.invalidDerivationParameters, "a derivation label is 1 to \(maximumLabelLength) bytes with no zero byte")
        }
        guard context.count <= maximumContextLength else {
            throw MPOSCryptoError(.invalidDerivationParameters, "a derivation context is at most \(maximumContextLength) bytes")
        }
        let outputBits = size.rawValue
        let fixed = Array(Target.code.rawValue.utf8) + [UInt8(ascii: "/")] + label + [0x00] + context + bigEndian(UInt64(outputBits), byteCount: 4)
        let bytes = try derive(key: base.material, fixedInput: fixed, outputBits: outputBits, counterBytes: 4)
        return try AESKey<Target>(unsafeRawBytes: bytes, modeOfUse: modeOfUse)
    }

    /// The general counter-mode KDF with the counter before a caller-built fixed input, for
    /// every counter width (r = 8, 16, 24, 32) of the NIST CAVP vectors.
    static func derive(key: SymmetricKey, fixedInput: [UInt8], outputBits: Int, counterBytes: Int) throws(MPOSCryptoError) -> [UInt8] {
        guard (1...4).contains(counterBytes), outputBits > 0, outputBits % 8 == 0 else {
            throw MPOSCryptoError(.invalidDerivationParameters, "counter of 1 to 4 bytes and a whole number of output bytes")
        }
        let outputBytes = outputBits / 8
        let blocks = (outputBytes + 15) / 16
        // SP 800-108: n = ⌈L/h⌉ must fit in the counter (n ≤ 2^r − 1).
        guard UInt64(blocks) < (UInt64(1) << (8 * counterBytes)), outputBytes <= 4096 else {
            throw MPOSCryptoError(.invalidDerivationParameters, "output too long for the counter width")
        }
        var output: [UInt8] = []
        output.reserveCapacity(blocks * 16)
        for i in 1...blocks {
            output += try cmac(key: key, message: bigEndian(UInt64(i), byteCount: counterBytes) + fixedInput)
        }
        return Array(output.prefix(outputBytes))
    }

    private static func bigEndian(_ value: UInt64, byteCount: Int) -> [UInt8] {
        (0..<byteCount).map { UInt8(truncatingIfNeeded: value >> (8 * UInt64(byteCount - 1 - $0))) }
    }
}

extension AESKey where Usage == BaseDerivation {
    /// The purpose label of every terminal master key derivation (full label `K1/MPOS TMK`).
    static var terminalMasterKeyLabel: [UInt8] { Array("MPOS TMK".utf8) }

    /// A terminal's own master key (a K1 key-block protection key) from the base master key:
    /// label `K1/MPOS TMK`, context = terminal ID (ASCII) ‖ 0x00 ‖ base key version (4 bytes,
    /// big-endian) ‖ SHA-256 of the enrolled device's public signing key (X9.62 uncompressed).
    /// No two terminals, no two versions, and no two devices enrolled under one terminal ID
    /// share a master key: a replacement device never receives the master key a lost or stolen
    /// one holds, under which its session keys would travel.
    public func deriveTerminalMasterKey(terminalID: String, baseKeyVersion: UInt32, device: SigningPublicKey,
                                        size: AESKeySize = .bits128) throws(MPOSCryptoError) -> AESKey<KeyBlockProtection> {
        let id = Array(terminalID.utf8)
        guard (1...32).contains(id.count), id.allSatisfy(isPrintableASCII) else {
            throw MPOSCryptoError(.invalidDerivationParameters, "a terminal ID is 1 to 32 printable ASCII characters")
        }
        let version = withUnsafeBytes(of: baseKeyVersion.bigEndian) { Array($0) }
        return try CounterModeKDF.deriveKey(
            KeyBlockProtection.self, size: size, from: self,
            label: Self.terminalMasterKeyLabel, context: id + [0x00] + version + Array(SHA256.hash(data: device.x963)))
    }
}
