import Testing
@testable import MPOSCrypto

@Suite("Typed keys and check values")
struct KeyTests {
    static let vectorKey = hex("00112233445566778899AABBCCDDEEFF")

    @Test("CMAC check value of 00112233…EEFF is 53E107 (X9.24-1)")
    func knownCheckValue() throws {
        let key = try AESKey<PINEncryption>(unsafeRawBytes: Self.vectorKey)
        #expect(try key.checkValue().hex == "53E107")
        #expect(try key.checkValue(length: 5).hex.hasPrefix("53E107"))
    }

    struct KCVVector: Decodable { let key: String; let kcv: String }

    @Test("check values from the vector file")
    func checkValueVectors() throws {
        let file = try VectorFile<KCVVector>.load("kcv-cmac")
        #expect(!file.vectors.isEmpty)
        for vector in file.vectors {
            let key = try AESKey<DataEncryption>(unsafeRawBytes: hex(vector.key))
            #expect(try key.checkValue(length: vector.kcv.count / 2).hex == vector.kcv.uppercased())
        }
    }

    @Test("check values are 3 to 5 bytes", arguments: [0, 1, 2, 6, 16])
    func checkValueLengthBounds(length: Int) throws {
        let key = try AESKey<PINEncryption>(generating: .bits128)
        #expect(throws: MPOSCryptoError(.invalidCheckValue, "")) { try key.checkValue(length: length) }
    }

    @Test("key lengths other than 16, 24, 32 bytes are refused", arguments: [0, 8, 15, 17, 31, 33, 64])
    func keyLengths(count: Int) {
        #expect(throws: MPOSCryptoError(.invalidKeyLength, "")) {
            try AESKey<MessageAuthentication>(unsafeRawBytes: [UInt8](repeating: 1, count: count))
        }
    }

    @Test("no key bytes in description, debugDescription, dump or string interpolation")
    func keyBytesNeverShow() throws {
        for size in AESKeySize.allCases {
            let bytes = [UInt8](repeating: 0xA5, count: size.byteCount)
            let key = try AESKey<PINEncryption>(unsafeRawBytes: bytes)
            let renderings = [key.description, key.debugDescription, dumped(key), "\(key)", String(reflecting: key)]
            // dump prints byte arrays in decimal, one element per line: look for both spellings.
            for text in renderings {
                #expect(!text.uppercased().contains("A5A5"), "key material leaked: \(text.count) characters")
                #expect(!text.contains("165"), "key byte value leaked")
            }
            #expect(key.description == "AESKey(P0, \(size), mode B)")
        }
    }

    @Test("equality compares key bytes and mode")
    func equality() throws {
        let a = try AESKey<MessageAuthentication>(unsafeRawBytes: Self.vectorKey)
        let b = try AESKey<MessageAuthentication>(unsafeRawBytes: Self.vectorKey)
        var other = Self.vectorKey
        other[15] ^= 1
        let c = try AESKey<MessageAuthentication>(unsafeRawBytes: other)
        #expect(a == b)
        #expect(a != c)
        #expect(a != (try a.restricted(to: .generateOnly)))
    }

    @Test("constant-time comparison is correct on equal, different and unequal-length input")
    func constantTimeComparison() {
        #expect(constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!constantTimeEquals([0x80, 2, 3], [0, 2, 3]))
        #expect(!constantTimeEquals([1, 2, 3], [1, 2]))
        #expect(constantTimeEquals([UInt8](), [UInt8]()))
    }

    @Test("modes of use: each usage takes only its own modes, and a mode only narrows")
    func modesOfUse() throws {
        #expect(throws: MPOSCryptoError(.modeOfUseNotPermitted, "")) { try AESKey<PINEncryption>(generating: .bits128, modeOfUse: .generateAndVerify) }
        #expect(throws: MPOSCryptoError(.modeOfUseNotPermitted, "")) { try AESKey<MessageAuthentication>(generating: .bits128, modeOfUse: .encryptOnly) }
        #expect(throws: MPOSCryptoError(.modeOfUseNotPermitted, "")) { try AESKey<BaseDerivation>(generating: .bits256, modeOfUse: .encryptAndDecrypt) }
        let pinKey = try AESKey<PINEncryption>(generating: .bits128)
        let encryptOnly = try pinKey.restricted(to: .encryptOnly)
        #expect(encryptOnly.modeOfUse == .encryptOnly)
        #expect(throws: MPOSCryptoError(.modeOfUseNotPermitted, "")) { try encryptOnly.restricted(to: .encryptAndDecrypt) }
        #expect(throws: MPOSCryptoError(.modeOfUseNotPermitted, "")) { try encryptOnly.restricted(to: .decryptOnly) }
    }

    @Test("secure random bytes: exact lengths, and no two draws alike", arguments: [0, 1, 7, 8, 9, 14, 30])
    func secureRandom(count: Int) {
        #expect(secureRandomBytes(count).count == count)
        if count >= 8 { #expect(secureRandomBytes(count) != secureRandomBytes(count)) }
    }

    /// A usage type declared outside MPOSCrypto, claiming to be a key-block protection key.
    enum CounterfeitProtection: KeyBlockProtecting {
        static let code = KeyUsageCode.k1
        static let permittedModes: Set<ModeOfUse> = [.encryptAndDecrypt]
        static let defaultMode = ModeOfUse.encryptAndDecrypt
    }

    @Test("a usage type declared elsewhere cannot key an AESKey, so cannot turn a PIN key into a KBPK")
    func counterfeitUsage() throws {
        #expect(throws: MPOSCryptoError(.unknownKeyUsage, "")) { try AESKey<CounterfeitProtection>(generating: .bits128) }
        #expect(throws: MPOSCryptoError(.unknownKeyUsage, "")) { try AESKey<CounterfeitProtection>(unsafeRawBytes: Self.vectorKey) }
        let kbpk = try AESKey<KeyBlockProtection>(generating: .bits128)
        let pinBlock = try TR31.wrap(AESKey<PINEncryption>(generating: .bits128), under: kbpk)
        #expect(throws: MPOSCryptoError.self) { try TR31.unwrap(pinBlock, as: CounterfeitProtection.self, under: kbpk) }
        let k1Block = try TR31.wrap(AESKey<KeyBlockProtection>(generating: .bits128), under: kbpk)
        #expect(throws: MPOSCryptoError(.unknownKeyUsage, "")) { try TR31.unwrap(k1Block, as: CounterfeitProtection.self, under: kbpk) }
        #expect(throws: MPOSCryptoError(.unknownKeyUsage, "")) {
            try CounterModeKDF.deriveKey(CounterfeitProtection.self, size: .bits128, from: AESKey<BaseDerivation>(generating: .bits128), label: [65], context: [UInt8]())
        }
    }

    @Test("usage codes follow TR-31")
    func usageCodes() {
        #expect(KeyBlockProtection.code.rawValue == "K1")
        #expect(KeyEncryption.code.rawValue == "K0")
        #expect(PINEncryption.code.rawValue == "P0")
        #expect(MessageAuthentication.code.rawValue == "M6")
        #expect(DataEncryption.code.rawValue == "D0")
        #expect(BaseDerivation.code.rawValue == "B0")
    }

    @Test("errors compare by code and render code and message")
    func errors() {
        let a = MPOSCryptoError(.invalidPIN, "one wording")
        let b = MPOSCryptoError(.invalidPIN, "another wording")
        #expect(a == b)
        #expect(a != MPOSCryptoError(.invalidPAN, "one wording"))
        #expect(a.description == "crypto.pin.invalid: one wording")
    }
}
