import Testing
@_spi(ClearPIN) @testable import MPOSCrypto

@Suite("ISO 9564-1 PIN block format 4")
struct PINBlockFormat4Tests {
    struct Vector: Decodable {
        let name: String
        let key: String
        let pin: String
        let pan: String
        let plain_pin_field: String
        let plain_pan_field: String
        let block: String
    }

    @Test("known answers: plain fields and enciphered block")
    func knownAnswers() throws {
        let file = try VectorFile<Vector>.load("pinblock-iso4-published")
        #expect(!file.vectors.isEmpty)
        for vector in file.vectors {
            let key = try AESKey<PINEncryption>(unsafeRawBytes: hex(vector.key))
            let pin = try PIN(vector.pin), pan = try PrimaryAccountNumber(vector.pan)
            let pinField = hex(vector.plain_pin_field)
            #expect(Hex.encode(PINBlockFormat4.pinField(pin, randomFill: Array(pinField.suffix(8)))) == vector.plain_pin_field.uppercased(), "\(vector.name)")
            #expect(Hex.encode(PINBlockFormat4.panField(pan)) == vector.plain_pan_field.uppercased(), "\(vector.name)")
            let block = try PINBlockFormat4.encipher(pin, pan: pan, using: key, randomFill: Array(pinField.suffix(8)))
            #expect(Hex.encode(block.bytes) == vector.block.uppercased(), "\(vector.name)")
            #expect(try PINBlockFormat4.decipher(EncipheredPINBlock(bytes: hex(vector.block)), pan: pan, using: key) == pin, "\(vector.name)")
        }
    }

    @Test("the patent's example: PIN 123456 on card 4367123412341234123, every key size")
    func patentExampleRoundTrip() throws {
        let pin = try PIN("123456"), pan = try PrimaryAccountNumber("4367123412341234123")
        for size in AESKeySize.allCases {
            let key = try AESKey<PINEncryption>(generating: size)
            let first = try PINBlockFormat4.encipher(pin, pan: pan, using: key)
            let second = try PINBlockFormat4.encipher(pin, pan: pan, using: key)
            #expect(first != second, "the random fill makes every block different")
            #expect(try PINBlockFormat4.decipher(first, pan: pan, using: key) == pin)
            #expect(try PINBlockFormat4.decipher(second, pan: pan, using: key) == pin)
        }
    }

    @Test("every PIN length 4–12 and PAN length 12–19 round-trips")
    func lengths() throws {
        var rng = SeededGenerator(seed: randomizedSeed)
        let key = try AESKey<PINEncryption>(generating: .bits128)
        for pinLength in PIN.permittedLengths {
            for panLength in PrimaryAccountNumber.permittedLengths {
                let pin = try PIN(rng.digits(pinLength)), pan = try PrimaryAccountNumber(rng.digits(panLength))
                let block = try PINBlockFormat4.encipher(pin, pan: pan, using: key)
                #expect(try PINBlockFormat4.decipher(block, pan: pan, using: key) == pin, "seed \(randomizedSeed)")
            }
        }
    }

    @Test("a flipped bit anywhere in the block is refused, never a crash or another PIN")
    func everyBitFlip() throws {
        let key = try AESKey<PINEncryption>(generating: .bits128)
        let pin = try PIN("123456"), pan = try PrimaryAccountNumber("4367123412341234123")
        let block = try PINBlockFormat4.encipher(pin, pan: pan, using: key)
        // Format 4 has no MAC, but a changed block deciphers to a random PIN field, which passes
        // the control, length, digit and fill checks with probability about 6 × 10⁻⁸ (2⁻²⁴).
        for bit in 0..<128 {
            var bytes = block.bytes
            bytes[bit / 8] ^= 1 << (bit % 8)
            #expect(throws: MPOSCryptoError(.invalidPINBlock, ""), "bit \(bit)") {
                try PINBlockFormat4.decipher(EncipheredPINBlock(bytes: bytes), pan: pan, using: key)
            }
        }
    }

    @Test("wrong key or wrong card number is refused with the same error")
    func wrongKeyOrPAN() throws {
        let key = try AESKey<PINEncryption>(generating: .bits192)
        let pin = try PIN("9876"), pan = try PrimaryAccountNumber("4367123412341234123")
        let block = try PINBlockFormat4.encipher(pin, pan: pan, using: key)
        #expect(throws: MPOSCryptoError(.invalidPINBlock, "")) {
            try PINBlockFormat4.decipher(block, pan: pan, using: AESKey<PINEncryption>(generating: .bits192))
        }
        #expect(throws: MPOSCryptoError(.invalidPINBlock, "")) {
            try PINBlockFormat4.decipher(block, pan: PrimaryAccountNumber("4367123412341234124"), using: key)
        }
    }

    @Test("a block of the wrong size is refused", arguments: [0, 1, 8, 15, 17, 32])
    func truncated(count: Int) {
        #expect(throws: MPOSCryptoError(.invalidPINBlock, "")) { try EncipheredPINBlock(bytes: [UInt8](repeating: 7, count: count)) }
    }

    @Test("malformed PINs are refused without repeating them",
          arguments: ["", "123", "1234567890123", "12a4", "12 34", "１２３４", "-1234", "12345678901234567890"])
    func malformedPIN(text: String) {
        do {
            _ = try PIN(text)
            Issue.record("accepted a malformed PIN")
        } catch {
            #expect(error.code == .invalidPIN)
            if text.count >= 3 { #expect(!error.description.contains(text)) }
        }
    }

    @Test("malformed card numbers are refused without repeating them",
          arguments: ["", "12345678901", "12345678901234567890", "4367 1234 1234 1234", "436712341234123X"])
    func malformedPAN(text: String) {
        do {
            _ = try PrimaryAccountNumber(text)
            Issue.record("accepted a malformed PAN")
        } catch {
            #expect(error.code == .invalidPAN)
            if !text.isEmpty { #expect(!error.description.contains(text)) }
        }
    }

    @Test("PIN, PAN and PIN block never print their digits")
    func redaction() throws {
        let pin = try PIN("123456"), pan = try PrimaryAccountNumber("4367123412341234123")
        for text in [pin.description, pin.debugDescription, dumped(pin), "\(pin)"] {
            #expect(!text.contains("123456"))
        }
        #expect(pan.description == "436712*********4123")
        #expect(try PrimaryAccountNumber("123456789012").masked == "12******9012", "a short PAN still hides 6 digits")
        #expect(try PrimaryAccountNumber("1234567890123456").masked == "123456******3456")
        for text in [pan.description, pan.debugDescription, dumped(pan)] {
            #expect(!text.contains("4367123412341234123"))
            #expect(!text.contains("1234123412"))
        }
        let block = try PINBlockFormat4.encipher(pin, pan: pan, using: AESKey<PINEncryption>(generating: .bits128))
        for text in [block.description, dumped(block)] {
            #expect(!text.contains(Hex.encode(block.bytes.prefix(4))))
            #expect(text.split(whereSeparator: \.isNewline).count <= 1, "dump shows no byte elements")
        }
        #expect(dumped(pin).split(whereSeparator: \.isNewline).count <= 1, "dump shows no digit elements")
    }

    @Test("Luhn check digit")
    func luhn() throws {
        #expect(try PrimaryAccountNumber("4111111111111111").hasValidLuhnCheckDigit)
        #expect(try !PrimaryAccountNumber("4111111111111112").hasValidLuhnCheckDigit)
        #expect(throws: MPOSCryptoError(.invalidPAN, "")) { try PrimaryAccountNumber("79927398713") }
        // The check digit that completes a payload: 7992739871 → 3 (ISO/IEC 7812-1's example).
        #expect(PrimaryAccountNumber.luhnCheckDigit(forPayload: "7992739871") == 3)
        #expect(PrimaryAccountNumber.luhnCheckDigit(forPayload: "411111111111111") == 1)
        #expect(PrimaryAccountNumber.luhnCheckDigit(forPayload: "41111x") == nil)
        for payload in ["622588000000001", "622588123456789012", "436712341234123412"] {
            let digit = try #require(PrimaryAccountNumber.luhnCheckDigit(forPayload: payload))
            #expect(try PrimaryAccountNumber(payload + String(digit)).hasValidLuhnCheckDigit)
        }
    }

    @Test("an encrypt-only PIN key cannot decipher, a decrypt-only one cannot encipher")
    func modes() throws {
        let key = try AESKey<PINEncryption>(generating: .bits128)
        let pin = try PIN("1234"), pan = try PrimaryAccountNumber("123456789012")
        let block = try PINBlockFormat4.encipher(pin, pan: pan, using: key.restricted(to: .encryptOnly))
        #expect(throws: MPOSCryptoError(.modeOfUseNotPermitted, "")) { try PINBlockFormat4.decipher(block, pan: pan, using: key.restricted(to: .encryptOnly)) }
        #expect(throws: MPOSCryptoError(.modeOfUseNotPermitted, "")) { try PINBlockFormat4.encipher(pin, pan: pan, using: key.restricted(to: .decryptOnly)) }
        #expect(try PINBlockFormat4.decipher(block, pan: pan, using: key.restricted(to: .decryptOnly)) == pin)
    }
}
