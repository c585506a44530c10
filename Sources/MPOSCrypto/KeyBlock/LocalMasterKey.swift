/// The host's local master key (LMK): an AES-256 key-encryption key (K0) under which every key
/// the host keeps at rest is a TR-31 version D block. It is loaded at start (from an owner-only
/// file or the environment) and lives only in the host's memory.
///
/// Storing a key under the LMK is not exporting it, so this is the one place where a
/// non-exportable key is wrapped: every block written here is itself marked `N`, and a key read
/// back is non-exportable, so nothing stored can later be wrapped for anyone else.
///
/// Besides AES keys it holds the host's two P-256 private keys, as TR-31 blocks of algorithm
/// `E` (elliptic curve) whose payload is the 32-byte private scalar: the signing key as usage
/// `S0` (asymmetric key pair for digital signature), mode `S`; the HPKE key as usage `K3`
/// (asymmetric key for key agreement/wrapping), mode `D` (it only opens envelopes).
public struct LocalMasterKey: Sendable, CustomStringConvertible {
    let key: AESKey<KeyEncryption>

    /// A fresh AES-256 LMK.
    public init() throws(MPOSCryptoError) {
        key = try AESKey(generating: .bits256, exportability: .nonExportable)
    }

    /// From its 32 bytes (the LMK file or environment variable), inside mpos only.
    package init(unsafeRawBytes bytes: some Collection<UInt8>) throws(MPOSCryptoError) {
        guard bytes.count == AESKeySize.bits256.byteCount else {
            throw MPOSCryptoError(.invalidKeyLength, "the local master key is an AES-256 key (32 bytes)")
        }
        key = try AESKey(unsafeRawBytes: bytes, exportability: .nonExportable)
    }

    /// The 32 bytes, to write the LMK file once at `init`, inside mpos only.
    package var unsafeRawBytes: [UInt8] { key.copyOfMaterial() }

    /// Its CMAC check value: shown at start so an operator can tell which LMK is loaded.
    public func checkValue() throws(MPOSCryptoError) -> KeyCheckValue { try key.checkValue() }

    public var description: String { "LocalMasterKey(AES-256)" }

    // MARK: AES keys

    /// A TR-31 D block (exportability `N`, key length masked) of `key` under the LMK.
    public func store<Usage: KeyUsage>(_ key: AESKey<Usage>, keyVersion: String = "00") throws(MPOSCryptoError) -> String {
        try wrap(bytes: key.copyOfMaterial(), usage: Usage.code, algorithm: KeyBlockHeader.aesAlgorithm, mode: key.modeOfUse, keyVersion: keyVersion)
    }

    /// Reads back a block ``store(_:keyVersion:)`` wrote, as `usage` (any other usage is refused).
    /// A block not marked `N` is refused: only ``store(_:keyVersion:)`` writes blocks under the
    /// LMK, so any other is not the host's (and its key must not come back exportable).
    public func load<Usage: KeyUsage>(_ block: String, as usage: Usage.Type) throws(MPOSCryptoError) -> AESKey<Usage> {
        let unwrapped = try TR31.unwrap(block, as: usage, under: key)
        guard unwrapped.header.exportability == .nonExportable else { throw Self.notAnLMKBlock }
        return unwrapped.key
    }

    private static let notAnLMKBlock = MPOSCryptoError(.keyBlockUsageMismatch, "a key block under the LMK is marked non-exportable (N)")

    // MARK: The host's P-256 keys

    static let ellipticCurveAlgorithm = UInt8(ascii: "E")

    public func store(_ signingKey: SigningPrivateKey) throws(MPOSCryptoError) -> String {
        try wrap(bytes: signingKey.unsafeRawRepresentation, usage: .s0, algorithm: Self.ellipticCurveAlgorithm, mode: .signatureOnly, keyVersion: "00")
    }

    public func loadSigningKey(_ block: String) throws(MPOSCryptoError) -> SigningPrivateKey {
        try SigningPrivateKey(unsafeRawRepresentation: unwrapAsymmetric(block, usage: .s0, mode: .signatureOnly))
    }

    public func store(_ sealingKey: SealingPrivateKey) throws(MPOSCryptoError) -> String {
        try wrap(bytes: sealingKey.unsafeRawRepresentation, usage: .k3, algorithm: Self.ellipticCurveAlgorithm, mode: .decryptOnly, keyVersion: "00")
    }

    public func loadSealingKey(_ block: String) throws(MPOSCryptoError) -> SealingPrivateKey {
        try SealingPrivateKey(unsafeRawRepresentation: unwrapAsymmetric(block, usage: .k3, mode: .decryptOnly))
    }

    // MARK: -

    private func wrap(bytes: [UInt8], usage: KeyUsageCode, algorithm: UInt8, mode: ModeOfUse, keyVersion: String) throws(MPOSCryptoError) -> String {
        let version = Array(keyVersion.utf8)
        guard version.count == 2, version.allSatisfy(isASCIIAlphanumeric) else {
            throw MPOSCryptoError(.malformedKeyBlock, "a key version is two ASCII letters or digits")
        }
        // As TR31.wrap: pad as if every key were 256 bits, so a block does not reveal its key's size.
        let maskedLength = AESKeySize.bits256.byteCount
        let padding = secureRandomBytes(16 - (2 + maskedLength) % 16 + (maskedLength - bytes.count))
        let fields = TR31.HeaderFields(usage: usage, algorithm: algorithm, mode: mode, version: version,
                                       exportability: .nonExportable, optionalBlocks: [])
        return try TR31.wrap(keyBytes: bytes, fields: fields, padding: padding, kbpk: key.material)
    }

    private func unwrapAsymmetric(_ block: String, usage: KeyUsageCode, mode: ModeOfUse) throws(MPOSCryptoError) -> [UInt8] {
        let (header, bytes) = try TR31.unwrapAuthenticated(block, kbpk: key.material)
        guard header.keyUsage == usage, header.algorithm == Character(Unicode.Scalar(Self.ellipticCurveAlgorithm)),
              header.modeOfUse == mode, header.exportability == .nonExportable, bytes.count == 32
        else {
            throw MPOSCryptoError(.keyBlockUsageMismatch, "the key block does not hold a P-256 \(usage) key")
        }
        return bytes
    }
}
