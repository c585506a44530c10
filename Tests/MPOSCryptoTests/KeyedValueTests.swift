import Testing
@_spi(ClearPIN) @testable import MPOSCrypto

/// PIN verification values (V0), operator verification values (10) and keyed digests (11):
/// value = AES-CMAC(K, usage code ‖ "/" ‖ label ‖ 0x00 ‖ input). The random cross-checks are in
/// `CrossCheckTests` (kind `keyedvalue`).
@Suite("Keyed values: PVV, operator verification value, keyed digest")
struct KeyedValueTests {
    static let pvvKey = try! AESKey<PINVerification>(unsafeRawBytes: hex("000102030405060708090A0B0C0D0E0F"))
    static let ovvKey = try! AESKey<OperatorVerification>(unsafeRawBytes: hex("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F"))
    static let digestKey = try! AESKey<Tokenization>(unsafeRawBytes: hex("202122232425262728292A2B2C2D2E2F3031323334353637"))

    static let pin = try! PIN("1234")
    static let pan = try! PrimaryAccountNumber("4111111111111111")

    // MARK: Known answers, computed independently
    //
    // With pyca/cryptography 48.0.0 and psec 1.3.0 (the pinned Tests/CrossCheck venv), where
    //   def cmac(k, m): c = CMAC(algorithms.AES(k)); c.update(m); return c.finalize().hex().upper()
    // (from cryptography.hazmat.primitives.cmac import CMAC; ...ciphers import algorithms).

    @Test("PVV known answer (pyca/cryptography AES-CMAC)")
    func pvvKnownAnswer() throws {
        // cmac(bytes(range(16)), b"V0/MPOS PVV\x00"
        //      + bytes.fromhex("441234AAAAAAAAAA") + bytes(8)          # PIN field, fill zero
        //      + bytes.fromhex("44111111111111111000000000000000"))    # PAN field
        // The two fields are also psec's: encode_pin_field_iso_4("1234")[:8] and
        // encode_pan_field_iso_4("4111111111111111").
        let value = try PINVerificationValue.compute(pin: Self.pin, pan: Self.pan, using: Self.pvvKey)
        #expect(value.hex == "05E42F7A2F3126132F70829C2B136D4F")
        #expect(try PINVerificationValue.matches(KeyedValue(bytes: hex("05E42F7A2F3126132F70829C2B136D4F"))!, pin: Self.pin, pan: Self.pan, using: Self.pvvKey))
    }

    @Test("operator verification value known answer (pyca/cryptography AES-CMAC)")
    func ovvKnownAnswer() throws {
        // cmac(bytes(range(32)), b"10/MPOS OPERATOR\x00" + bytes([8]) + b"00012345" + bytes([6]) + b"482916")
        let value = try OperatorVerificationValue.compute(number: "00012345", keyBytes: Array("482916".utf8), using: Self.ovvKey)
        #expect(value.hex == "6BCABB680A5471DF7271F2B64C66FACE")
    }

    @Test("keyed digest known answer (pyca/cryptography AES-CMAC)")
    func digestKnownAnswer() throws {
        // cmac(bytes(range(0x20, 0x38)), b"11/MPOS CARD\x00" + b"4111111111111111")
        let value = try KeyedDigest.compute(purpose: "MPOS CARD", value: Array("4111111111111111".utf8), using: Self.digestKey)
        #expect(value.hex == "436E7B788F0165AFC91EB1EB8A7D96B6")
    }

    // MARK: PIN verification values

    @Test("a PVV is 16 bytes, deterministic, and changes with the PIN, the PAN and the key")
    func pvvDependsOnEveryInput() throws {
        let value = try PINVerificationValue.compute(pin: Self.pin, pan: Self.pan, using: Self.pvvKey)
        #expect(value.bytes.count == KeyedValue.length && KeyedValue.length == 16)
        #expect(try PINVerificationValue.compute(pin: Self.pin, pan: Self.pan, using: Self.pvvKey) == value)
        #expect(try PINVerificationValue.compute(pin: PIN("1234"), pan: PrimaryAccountNumber("4111111111111111"), using: Self.pvvKey) == value)

        for otherPIN in ["1235", "4321", "12345", "01234", "123400000000"] {
            #expect(try PINVerificationValue.compute(pin: PIN(otherPIN), pan: Self.pan, using: Self.pvvKey) != value, "\(otherPIN.count)-digit PIN")
        }
        for otherPAN in ["4111111111111112", "411111111111111", "41111111111111110", "5111111111111111"] {
            #expect(try PINVerificationValue.compute(pin: Self.pin, pan: PrimaryAccountNumber(otherPAN), using: Self.pvvKey) != value, "\(otherPAN.count)-digit PAN")
        }
        let otherKey = try AESKey<PINVerification>(unsafeRawBytes: hex("000102030405060708090A0B0C0D0E0E"))
        #expect(try PINVerificationValue.compute(pin: Self.pin, pan: Self.pan, using: otherKey) != value)
        let freshKey = try AESKey<PINVerification>(generating: .bits256)
        #expect(try PINVerificationValue.compute(pin: Self.pin, pan: Self.pan, using: freshKey) != value)

        #expect(try PINVerificationValue.matches(value, pin: Self.pin, pan: Self.pan, using: Self.pvvKey))
        #expect(try !PINVerificationValue.matches(value, pin: PIN("1235"), pan: Self.pan, using: Self.pvvKey))
        #expect(try !PINVerificationValue.matches(value, pin: Self.pin, pan: PrimaryAccountNumber("4111111111111112"), using: Self.pvvKey))
        #expect(try !PINVerificationValue.matches(value, pin: Self.pin, pan: Self.pan, using: otherKey))
    }

    @Test("the same PIN from PIN blocks with different random fill gives the same PVV (the PVV's fill is zero)")
    func pvvIgnoresPINBlockFill() throws {
        let pinKey = try AESKey<PINEncryption>(generating: .bits128)
        let fills: [[UInt8]] = [[UInt8](repeating: 0, count: 8), [UInt8](repeating: 0xFF, count: 8), hex("0123456789ABCDEF"), secureRandomBytes(8)]
        let blocks = try fills.map { try PINBlockFormat4.encipher(Self.pin, pan: Self.pan, using: pinKey, randomFill: $0) }
        #expect(Set(blocks.map { Hex.encode($0.bytes) }).count == blocks.count, "different fill, different PIN blocks")
        // Two blocks from the public encipher (fresh random fill each time) as well.
        let random = try (0..<2).map { _ in try PINBlockFormat4.encipher(Self.pin, pan: Self.pan, using: pinKey) }
        #expect(random[0].bytes != random[1].bytes)

        let expected = try PINVerificationValue.compute(pin: Self.pin, pan: Self.pan, using: Self.pvvKey)
        for block in blocks + random {
            let pin = try PINBlockFormat4.decipher(block, pan: Self.pan, using: pinKey)
            #expect(try PINVerificationValue.compute(pin: pin, pan: Self.pan, using: Self.pvvKey) == expected)
        }

        // The value is the construction over the zero-fill field; any other fill would differ.
        let panField = PINBlockFormat4.panField(Self.pan)
        let zeroFill = PINBlockFormat4.pinField(Self.pin, randomFill: [UInt8](repeating: 0, count: 8)) + panField
        #expect(try KeyedValue.compute(Self.pvvKey, label: PINVerificationValue.label, input: zeroFill) == expected)
        for fill in fills.dropFirst() {
            let other = PINBlockFormat4.pinField(Self.pin, randomFill: fill) + panField
            #expect(try KeyedValue.compute(Self.pvvKey, label: PINVerificationValue.label, input: other) != expected)
        }
    }

    // MARK: Operator verification values

    @Test("an OVV is 16 bytes, deterministic, and changes with the number, the operator key and the key")
    func ovvDependsOnEveryInput() throws {
        let keyBytes = Array("482916".utf8)
        let value = try OperatorVerificationValue.compute(number: "00012345", keyBytes: keyBytes, using: Self.ovvKey)
        #expect(value.bytes.count == 16)
        #expect(try OperatorVerificationValue.compute(number: "00012345", keyBytes: keyBytes, using: Self.ovvKey) == value)

        #expect(try OperatorVerificationValue.compute(number: "00012346", keyBytes: keyBytes, using: Self.ovvKey) != value)
        #expect(try OperatorVerificationValue.compute(number: "12345", keyBytes: keyBytes, using: Self.ovvKey) != value)
        #expect(try OperatorVerificationValue.compute(number: "00012345", keyBytes: Array("482917".utf8), using: Self.ovvKey) != value)
        #expect(try OperatorVerificationValue.compute(number: "00012345", keyBytes: Array("4829160".utf8), using: Self.ovvKey) != value)
        let otherKey = try AESKey<OperatorVerification>(generating: .bits256)
        #expect(try OperatorVerificationValue.compute(number: "00012345", keyBytes: keyBytes, using: otherKey) != value)

        // The length prefixes keep the boundary: moving a character across it changes the value.
        let split1 = try OperatorVerificationValue.compute(number: "12", keyBytes: Array("3456".utf8), using: Self.ovvKey)
        let split2 = try OperatorVerificationValue.compute(number: "123", keyBytes: Array("456".utf8), using: Self.ovvKey)
        #expect(split1 != split2)
    }

    @Test("an operator number or key longer than 255 bytes is refused")
    func ovvRefusesOverlongInput() throws {
        let long = String(repeating: "1", count: 256)
        #expect(throws: MPOSCryptoError(.primitiveFailure, "")) {
            try OperatorVerificationValue.compute(number: long, keyBytes: Array("1234".utf8), using: Self.ovvKey)
        }
        #expect(throws: MPOSCryptoError(.primitiveFailure, "")) {
            try OperatorVerificationValue.compute(number: "1", keyBytes: [UInt8](repeating: 0x31, count: 256), using: Self.ovvKey)
        }
        #expect(throws: Never.self) {
            try OperatorVerificationValue.compute(number: String(repeating: "1", count: 255), keyBytes: [UInt8](repeating: 0x31, count: 255), using: Self.ovvKey)
        }
    }

    // MARK: Keyed digests

    @Test("a keyed digest is 16 bytes, deterministic, and changes with the datum, the purpose label and the key")
    func digestDependsOnEveryInput() throws {
        let datum = Array("4111111111111111".utf8)
        let value = try KeyedDigest.compute(purpose: "MPOS CARD", value: datum, using: Self.digestKey)
        #expect(value.bytes.count == 16)
        #expect(try KeyedDigest.compute(purpose: "MPOS CARD", value: datum, using: Self.digestKey) == value)

        #expect(try KeyedDigest.compute(purpose: "MPOS CARD", value: Array("4111111111111112".utf8), using: Self.digestKey) != value)
        #expect(try KeyedDigest.compute(purpose: "MPOS CARD", value: datum + [0], using: Self.digestKey) != value)
        #expect(try KeyedDigest.compute(purpose: "MPOS ID", value: datum, using: Self.digestKey) != value)
        #expect(try KeyedDigest.compute(purpose: "MPOS CARDS", value: datum, using: Self.digestKey) != value)
        let otherKey = try AESKey<Tokenization>(generating: .bits128)
        #expect(try KeyedDigest.compute(purpose: "MPOS CARD", value: datum, using: otherKey) != value)
        // The empty datum is a datum too.
        #expect(try KeyedDigest.compute(purpose: "MPOS CARD", value: [], using: Self.digestKey).bytes.count == 16)
    }

    @Test("the usage code separates the three values: the same key bytes, label and input give different values")
    func usageCodeSeparatesValues() throws {
        let bytes = hex("000102030405060708090A0B0C0D0E0F")
        let input = PINBlockFormat4.pinField(Self.pin, randomFill: [UInt8](repeating: 0, count: 8)) + PINBlockFormat4.panField(Self.pan)
        let asPVV = try PINVerificationValue.compute(pin: Self.pin, pan: Self.pan, using: AESKey<PINVerification>(unsafeRawBytes: bytes))
        let asDigest = try KeyedDigest.compute(purpose: PINVerificationValue.label, value: input, using: AESKey<Tokenization>(unsafeRawBytes: bytes))
        let asOperator = try KeyedValue.compute(AESKey<OperatorVerification>(unsafeRawBytes: bytes), label: PINVerificationValue.label, input: input)
        #expect(asPVV != asDigest && asPVV != asOperator && asDigest != asOperator)
    }

    // MARK: Keys and modes

    @Test("keys of mode V (verify only) and G (generate only) compute the same values as mode C")
    func everyKeyedValueModeComputes() throws {
        for mode in [ModeOfUse.generateAndVerify, .verifyOnly, .generateOnly] {
            let pvvKey = try AESKey<PINVerification>(unsafeRawBytes: hex("000102030405060708090A0B0C0D0E0F"), modeOfUse: mode)
            #expect(try PINVerificationValue.compute(pin: Self.pin, pan: Self.pan, using: pvvKey).hex == "05E42F7A2F3126132F70829C2B136D4F", "mode \(mode)")
            let ovvKey = try AESKey<OperatorVerification>(unsafeRawBytes: hex("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F"), modeOfUse: mode)
            #expect(try OperatorVerificationValue.compute(number: "00012345", keyBytes: Array("482916".utf8), using: ovvKey).hex == "6BCABB680A5471DF7271F2B64C66FACE", "mode \(mode)")
            let digestKey = try AESKey<Tokenization>(unsafeRawBytes: hex("202122232425262728292A2B2C2D2E2F3031323334353637"), modeOfUse: mode)
            #expect(try KeyedDigest.compute(purpose: "MPOS CARD", value: Array("4111111111111111".utf8), using: digestKey).hex == "436E7B788F0165AFC91EB1EB8A7D96B6", "mode \(mode)")
        }
        // A restricted copy of a generate-and-verify key, too.
        #expect(try PINVerificationValue.compute(pin: Self.pin, pan: Self.pan, using: Self.pvvKey.restricted(to: .verifyOnly)).hex == "05E42F7A2F3126132F70829C2B136D4F")
    }

    @Test("keyed-value keys take only the MAC modes C, G and V")
    func keyedValueKeysRefuseOtherModes() throws {
        for mode in ModeOfUse.allCases where ![.generateAndVerify, .generateOnly, .verifyOnly].contains(mode) {
            #expect(throws: MPOSCryptoError(.modeOfUseNotPermitted, ""), "mode \(mode)") {
                try AESKey<PINVerification>(generating: .bits128, modeOfUse: mode)
            }
            #expect(throws: MPOSCryptoError(.modeOfUseNotPermitted, ""), "mode \(mode)") {
                try AESKey<OperatorVerification>(generating: .bits128, modeOfUse: mode)
            }
            #expect(throws: MPOSCryptoError(.modeOfUseNotPermitted, ""), "mode \(mode)") {
                try AESKey<Tokenization>(generating: .bits128, modeOfUse: mode)
            }
        }
        #expect(PINVerification.code.rawValue == "V0" && OperatorVerification.code.rawValue == "10" && Tokenization.code.rawValue == "11")
    }

    // MARK: KeyedValue

    @Test("KeyedValue(bytes:) takes exactly 16 bytes")
    func keyedValueLength() {
        for count in [0, 1, 8, 15, 17, 20, 32] {
            #expect(KeyedValue(bytes: [UInt8](repeating: 0xAB, count: count)) == nil, "\(count) bytes")
        }
        let bytes = hex("05E42F7A2F3126132F70829C2B136D4F")
        let value = KeyedValue(bytes: bytes)
        #expect(value?.bytes == bytes)
        #expect(value?.hex == "05E42F7A2F3126132F70829C2B136D4F")
        #expect(value?.description == "KeyedValue(05E42F7A2F3126132F70829C2B136D4F)")
        #expect(KeyedValue(bytes: bytes[...])?.bytes == bytes)
    }

    @Test("KeyedValue == and hashing are by bytes")
    func keyedValueEquality() throws {
        let bytes = hex("436E7B788F0165AFC91EB1EB8A7D96B6")
        let a = KeyedValue(bytes: bytes)!, b = KeyedValue(bytes: Array(bytes))!
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(Set([a, b]).count == 1)
        let computed = try KeyedDigest.compute(purpose: "MPOS CARD", value: Array("4111111111111111".utf8), using: Self.digestKey)
        #expect(computed == a)
        for index in [0, 7, 15] {
            var changed = bytes
            changed[index] ^= 0x01
            #expect(KeyedValue(bytes: changed)! != a, "byte \(index)")
        }
        #expect(KeyedValue(bytes: [UInt8](repeating: 0, count: 16))! == KeyedValue(bytes: [UInt8](repeating: 0, count: 16))!)
    }
}
