import Testing
@testable import MPOSCrypto

/// The host's local master key: TR-31 D blocks under an AES-256 K0, always marked `N`. The
/// random cross-checks against psec are in `CrossCheckTests` (kind `lmkblock`).
@Suite("Local master key: keys at rest")
struct LocalMasterKeyTests {
    static let lmkBytes = hex("7A1C93E05B2F48D6A0C37E19B4F2D85A6E0B91C47F3A28D5E6B0C19A74F3E2D1")

    /// Character `index` of a block (the header is ASCII).
    private func character(_ block: String, _ index: Int) -> Character {
        block[block.index(block.startIndex, offsetBy: index)]
    }

    private func header(_ block: String) -> String { String(block.prefix(16)) }

    /// Stores a fresh key of every size and permitted mode, loads it back, and checks the block.
    private func roundTrip<U: KeyUsage>(_ usage: U.Type, _ lmk: LocalMasterKey) throws {
        for size in AESKeySize.allCases {
            for mode in U.permittedModes.sorted(by: { $0.rawValue < $1.rawValue }) {
                let context = "\(U.code) \(size) mode \(mode)"
                let key = try AESKey<U>(generating: size, modeOfUse: mode)
                let block = try lmk.store(key)
                #expect(block.hasPrefix("D0144\(U.code.rawValue)A\(mode.character)00N0000"), "\(context): \(header(block))")
                #expect(character(block, 7) == "A" && character(block, 8) == mode.character && character(block, 11) == "N", "\(context)")
                #expect(block.count == 144, "\(context): length masked to 256 bits")
                let loaded = try lmk.load(block, as: U.self)
                #expect(loaded.copyOfMaterial() == key.copyOfMaterial(), "\(context)")
                #expect(loaded.size == size && loaded.modeOfUse == mode, "\(context)")
                #expect(loaded.exportability == .nonExportable, "\(context)")
            }
        }
    }

    @Test("every AES usage the host stores round-trips: P0, M6, D0, B0, V0, 10, 11")
    func aesRoundTrip() throws {
        let lmk = try LocalMasterKey()
        try roundTrip(PINEncryption.self, lmk)
        try roundTrip(MessageAuthentication.self, lmk)
        try roundTrip(DataEncryption.self, lmk)
        try roundTrip(BaseDerivation.self, lmk)
        try roundTrip(PINVerification.self, lmk)
        try roundTrip(OperatorVerification.self, lmk)
        try roundTrip(Tokenization.self, lmk)
    }

    @Test("a loaded key works as the original: MAC, keyed values")
    func loadedKeysWork() throws {
        let lmk = try LocalMasterKey()
        let mac = try AESKey<MessageAuthentication>(generating: .bits256)
        let message = Array("mpos".utf8)
        let tag = try CMAC.authenticationCode(for: message, using: mac)
        #expect(try CMAC.isValid(tag, for: message, using: lmk.load(lmk.store(mac), as: MessageAuthentication.self)))

        let pvvKey = try AESKey<PINVerification>(generating: .bits128)
        let pin = try PIN("2468"), pan = try PrimaryAccountNumber("5500000000000004")
        let pvv = try PINVerificationValue.compute(pin: pin, pan: pan, using: pvvKey)
        #expect(try PINVerificationValue.matches(pvv, pin: pin, pan: pan, using: lmk.load(lmk.store(pvvKey), as: PINVerification.self)))
    }

    @Test("the key version is written to the header; a malformed one is refused")
    func keyVersion() throws {
        let lmk = try LocalMasterKey()
        let key = try AESKey<DataEncryption>(generating: .bits128)
        let block = try lmk.store(key, keyVersion: "A7")
        #expect(header(block) == "D0144D0ABA7N0000")
        #expect(try lmk.load(block, as: DataEncryption.self).copyOfMaterial() == key.copyOfMaterial())
        for bad in ["", "0", "000", "a-", "é0"] {
            #expect(throws: MPOSCryptoError(.malformedKeyBlock, ""), "version \(bad.debugDescription)") { try lmk.store(key, keyVersion: bad) }
        }
    }

    // MARK: P-256 keys

    @Test("the signing key round-trips as S0 / E / S; signatures from the loaded key verify with the original public key")
    func signingKeyRoundTrip() throws {
        let lmk = try LocalMasterKey()
        let key = SigningPrivateKey()
        let block = try lmk.store(key)
        #expect(header(block) == "D0144S0ES00N0000")
        #expect(character(block, 7) == "E" && character(block, 11) == "N")
        let loaded = try lmk.loadSigningKey(block)
        #expect(loaded.unsafeRawRepresentation == key.unsafeRawRepresentation)
        #expect(loaded.publicKey == key.publicKey)
        let message = Array("sign-on".utf8)
        #expect(throws: Never.self) { try key.publicKey.verify(loaded.signature(for: message), for: message) }
        #expect(throws: MPOSCryptoError(.signatureInvalid, "")) { try key.publicKey.verify(loaded.signature(for: message), for: message + [0]) }
    }

    @Test("the HPKE key round-trips as K3 / E / D; envelopes to the original public key open with the loaded key")
    func sealingKeyRoundTrip() throws {
        let lmk = try LocalMasterKey()
        let key = SealingPrivateKey()
        let block = try lmk.store(key)
        #expect(header(block) == "D0144K3ED00N0000")
        #expect(character(block, 7) == "E" && character(block, 11) == "N")
        let loaded = try lmk.loadSealingKey(block)
        #expect(loaded.unsafeRawRepresentation == key.unsafeRawRepresentation)
        #expect(loaded.publicKey == key.publicKey)
        let info = Array("operator credentials".utf8), plaintext = Array("482916".utf8)
        let envelope = try key.publicKey.seal(plaintext, info: info)
        #expect(try loaded.open(envelope, info: info) == plaintext)
        let sealedKey = try AESKey<DataEncryption>(generating: .bits256)
        let keyEnvelope = try key.publicKey.seal(sealedKey, info: info)
        #expect(try loaded.openKey(keyEnvelope, as: DataEncryption.self, info: info).copyOfMaterial() == sealedKey.copyOfMaterial())
    }

    @Test("a signing block does not load as the sealing key, nor the reverse, nor as an AES key")
    func asymmetricBlocksKeepTheirRole() throws {
        let lmk = try LocalMasterKey()
        let signing = try lmk.store(SigningPrivateKey())
        let sealing = try lmk.store(SealingPrivateKey())
        #expect(throws: MPOSCryptoError(.keyBlockUsageMismatch, "")) { try lmk.loadSealingKey(signing) }
        #expect(throws: MPOSCryptoError(.keyBlockUsageMismatch, "")) { try lmk.loadSigningKey(sealing) }
        // An AES block is not a P-256 key, and an E block is not an AES key (algorithm is checked first).
        let aes = try lmk.store(AESKey<DataEncryption>(generating: .bits256))
        #expect(throws: MPOSCryptoError(.keyBlockUsageMismatch, "")) { try lmk.loadSigningKey(aes) }
        #expect(throws: MPOSCryptoError(.keyBlockUsageMismatch, "")) { try lmk.loadSealingKey(aes) }
        #expect(throws: MPOSCryptoError(.unsupportedKeyBlock, "")) { try lmk.load(signing, as: DataEncryption.self) }
        #expect(throws: MPOSCryptoError(.unsupportedKeyBlock, "")) { try lmk.load(sealing, as: KeyEncryption.self) }
    }

    // MARK: Exportability

    @Test("a non-exportable key can be stored; it comes back non-exportable and cannot be wrapped for anyone")
    func nonExportableKeys() throws {
        let lmk = try LocalMasterKey()
        let kbpk = try AESKey<KeyBlockProtection>(generating: .bits256)
        for exportability in Exportability.allCases {
            let key = try AESKey<PINEncryption>(generating: .bits128, exportability: exportability)
            if exportability == .nonExportable {
                #expect(throws: MPOSCryptoError(.keyNotExportable, "")) { try TR31.wrap(key, under: kbpk) }
            }
            let block = try lmk.store(key)  // the documented exception: storing is not exporting
            #expect(character(block, 11) == "N", "stored \(exportability) key")
            let loaded = try lmk.load(block, as: PINEncryption.self)
            #expect(loaded.exportability == .nonExportable, "stored \(exportability) key")
            #expect(loaded.copyOfMaterial() == key.copyOfMaterial())
            for wrapAs in Exportability.allCases {
                #expect(throws: MPOSCryptoError(.keyNotExportable, ""), "stored \(exportability), wrapped as \(wrapAs)") {
                    try TR31.wrap(loaded, under: kbpk, exportability: wrapAs)
                }
            }
            #expect(throws: MPOSCryptoError(.keyNotExportable, "")) { try SealingPrivateKey().publicKey.seal(loaded, info: [UInt8]()) }
        }
    }

    // MARK: Refusals

    @Test("a block loaded as another usage is refused with keyBlockUsageMismatch")
    func wrongUsage() throws {
        let lmk = try LocalMasterKey()
        let pinBlock = try lmk.store(AESKey<PINEncryption>(generating: .bits128))
        let pvvBlock = try lmk.store(AESKey<PINVerification>(generating: .bits128))
        let ovvBlock = try lmk.store(AESKey<OperatorVerification>(generating: .bits128))
        let tokenBlock = try lmk.store(AESKey<Tokenization>(generating: .bits128))
        let mismatch = MPOSCryptoError(.keyBlockUsageMismatch, "")
        #expect(throws: mismatch) { try lmk.load(pinBlock, as: DataEncryption.self) }
        #expect(throws: mismatch) { try lmk.load(pinBlock, as: PINVerification.self) }
        #expect(throws: mismatch) { try lmk.load(pvvBlock, as: PINEncryption.self) }
        #expect(throws: mismatch) { try lmk.load(pvvBlock, as: OperatorVerification.self) }
        #expect(throws: mismatch) { try lmk.load(ovvBlock, as: Tokenization.self) }
        #expect(throws: mismatch) { try lmk.load(ovvBlock, as: PINVerification.self) }
        #expect(throws: mismatch) { try lmk.load(tokenBlock, as: OperatorVerification.self) }
        #expect(throws: mismatch) { try lmk.load(tokenBlock, as: MessageAuthentication.self) }
        #expect(throws: mismatch) { try lmk.load(tokenBlock, as: KeyEncryption.self) }
    }

    @Test("a block under another LMK is refused with keyBlockAuthenticationFailed")
    func anotherLMK() throws {
        let lmk = try LocalMasterKey(), other = try LocalMasterKey()
        let failed = MPOSCryptoError(.keyBlockAuthenticationFailed, "")
        let aes = try lmk.store(AESKey<Tokenization>(generating: .bits256))
        let signing = try lmk.store(SigningPrivateKey())
        let sealing = try lmk.store(SealingPrivateKey())
        #expect(throws: failed) { try other.load(aes, as: Tokenization.self) }
        #expect(throws: failed) { try other.loadSigningKey(signing) }
        #expect(throws: failed) { try other.loadSealingKey(sealing) }
        // The same 32 bytes are the same LMK.
        let again = try LocalMasterKey(unsafeRawBytes: lmk.unsafeRawBytes)
        #expect(throws: Never.self) { try again.load(aes, as: Tokenization.self) }
        #expect(try again.loadSigningKey(signing).unsafeRawRepresentation == lmk.loadSigningKey(signing).unsafeRawRepresentation)
    }

    @Test("any changed character is refused; after the length field, by the MAC")
    func changedCharacters() throws {
        let lmk = try LocalMasterKey()
        let blocks = [
            try lmk.store(AESKey<PINVerification>(generating: .bits128)),
            try lmk.store(SigningPrivateKey()),
            try lmk.store(SealingPrivateKey()),
        ]
        for block in blocks {
            let original = Array(block.utf8)
            for index in original.indices {
                var changed = original
                // Another character of the same class (digit, upper-case letter), so the block stays well formed where it can.
                let c = original[index]
                changed[index] = switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "8"): c + 1
                case UInt8(ascii: "9"): UInt8(ascii: "0")
                case UInt8(ascii: "A")...UInt8(ascii: "E"): c + 1
                case UInt8(ascii: "F"): UInt8(ascii: "A")
                default: UInt8(ascii: "B")  // header letters outside A–F (N, S, K, …)
                }
                let text = String(decoding: changed, as: UTF8.self)
                let load: () throws -> Void = {
                    switch block.dropFirst(5).prefix(2) {
                    case "S0": _ = try lmk.loadSigningKey(text)
                    case "K3": _ = try lmk.loadSealingKey(text)
                    default: _ = try lmk.load(text, as: PINVerification.self)
                    }
                }
                if index >= 16 || (9...10).contains(index) || index == 5 || index == 6 {
                    // Payload, MAC, key version and usage: well formed, so only the MAC can refuse it.
                    #expect(throws: MPOSCryptoError(.keyBlockAuthenticationFailed, ""), "\(header(block)) index \(index)") { try load() }
                } else {
                    #expect(throws: (any Error).self, "\(header(block)) index \(index)") { try load() }
                }
            }
        }
        // Exportability N → E, and algorithm, are authenticated too.
        let block = blocks[0]
        for (index, replacement) in [(11, "E"), (11, "S"), (7, "T"), (8, "G")] {
            var changed = Array(block)
            changed[index] = Character(replacement)
            #expect(throws: MPOSCryptoError(.keyBlockAuthenticationFailed, ""), "index \(index) → \(replacement)") {
                try lmk.load(String(changed), as: PINVerification.self)
            }
        }
    }

    // MARK: The LMK itself

    @Test("the LMK from raw bytes takes exactly 32")
    func rawBytes() throws {
        for count in [0, 1, 16, 24, 31, 33, 64] {
            #expect(throws: MPOSCryptoError(.invalidKeyLength, ""), "\(count) bytes") {
                try LocalMasterKey(unsafeRawBytes: [UInt8](repeating: 0x5A, count: count))
            }
        }
        let lmk = try LocalMasterKey(unsafeRawBytes: Self.lmkBytes)
        #expect(lmk.unsafeRawBytes == Self.lmkBytes)
        #expect(try lmk.checkValue() == AESKey<KeyEncryption>(unsafeRawBytes: Self.lmkBytes).checkValue())
        #expect(try LocalMasterKey().unsafeRawBytes.count == 32)
        #expect(try LocalMasterKey().unsafeRawBytes != LocalMasterKey().unsafeRawBytes)
    }

    @Test("description and dump show no key bytes")
    func noKeyMaterialShows() throws {
        let lmk = try LocalMasterKey(unsafeRawBytes: Self.lmkBytes)
        #expect(lmk.description == "LocalMasterKey(AES-256)")
        let lmkHex = Hex.encode(Self.lmkBytes)
        for text in [lmk.description, String(describing: lmk), String(reflecting: lmk), dumped(lmk)] {
            #expect(!text.uppercased().contains(lmkHex))
            #expect(!text.uppercased().contains(lmkHex.prefix(8)))
            #expect(!text.contains("\(Self.lmkBytes.prefix(4))"))
        }
        // The check value is what identifies it, and it is not the key.
        #expect(try !lmkHex.contains(lmk.checkValue().hex))
    }
}

@Suite("Local master key: only its own blocks")
struct LocalMasterKeyForeignBlockTests {
    @Test("a block under the LMK's key but not marked N is refused: it was not written by the host")
    func exportableBlockRefused() throws {
        let lmk = try LocalMasterKey()
        let sameKey = try AESKey<KeyEncryption>(unsafeRawBytes: lmk.unsafeRawBytes)
        let key = try AESKey<PINVerification>(generating: .bits128)
        for exportability in [Exportability.exportable, .sensitive] {
            let block = try TR31.wrap(key, under: sameKey, exportability: exportability)
            #expect(throws: MPOSCryptoError(.keyBlockUsageMismatch, "")) { _ = try lmk.load(block, as: PINVerification.self) }
        }
        #expect(try lmk.load(TR31.wrap(key, under: sameKey, exportability: .nonExportable), as: PINVerification.self) == key.restrictedForComparison())
    }
}

private extension AESKey {
    /// The same key as read back from an `N` block (equality includes exportability).
    func restrictedForComparison() throws -> AESKey<Usage> {
        try AESKey<Usage>(unsafeRawBytes: unsafeRawBytes(), modeOfUse: modeOfUse, exportability: .nonExportable)
    }
}
