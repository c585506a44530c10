import Testing
@testable import MPOSCrypto

@Suite("Key components (key ceremony)")
struct KeyComponentsTests {
    @Test("split into 2 or 3 and combine back, every size", arguments: [2, 3])
    func splitAndCombine(count: Int) throws {
        for size in AESKeySize.allCases {
            let key = try AESKey<BaseDerivation>(generating: size)
            let components = try KeyComponents.split(key, into: count)
            #expect(components.count == count)
            // Each custodian re-enters their component against its check value.
            let entered = try components.map { try KeyComponent(hex: $0.unsafeHexDigits, expectedCheckValue: $0.checkValue) }
            let combined = try KeyComponents.combine(entered, as: BaseDerivation.self)
            #expect(combined == key)
            #expect(try combined.checkValue() == key.checkValue())
            // Components in any order give the same key.
            #expect(try KeyComponents.combine(entered.reversed(), as: BaseDerivation.self) == key)
        }
    }

    @Test("custodians' check values of 3, 4 and 5 bytes are all accepted", arguments: [3, 4, 5])
    func checkValueLengths(length: Int) throws {
        let component = try KeyComponents.split(AESKey<KeyEncryption>(generating: .bits256), into: 2)[1]
        let given = try component.checkValue(length: length)
        #expect(given.bytes.count == length)
        #expect(given.hex.hasPrefix(component.checkValue.hex))
        let entered = try KeyComponent(hex: component.unsafeHexDigits, expectedCheckValue: given)
        #expect(entered.checkValue == component.checkValue)
        var wrong = given.bytes
        wrong[length - 1] ^= 1
        #expect(throws: MPOSCryptoError(.checkValueMismatch, "")) {
            try KeyComponent(hex: component.unsafeHexDigits, expectedCheckValue: KeyCheckValue(hex: Hex.encode(wrong)))
        }
    }

    @Test("a non-exportable key cannot be split")
    func nonExportable() throws {
        let key = try AESKey<BaseDerivation>(generating: .bits128, exportability: .nonExportable)
        #expect(throws: MPOSCryptoError(.keyNotExportable, "")) { try KeyComponents.split(key, into: 2) }
    }

    @Test("fewer than all components do not give the key")
    func allAreNeeded() throws {
        let key = try AESKey<KeyEncryption>(generating: .bits128)
        let components = try KeyComponents.split(key, into: 3)
        let two = try KeyComponents.combine(Array(components.prefix(2)), as: KeyEncryption.self)
        #expect(two != key)
    }

    @Test("a typing error is caught by the check value, without echoing the digits")
    func typingError() throws {
        let component = try KeyComponents.split(AESKey<KeyEncryption>(generating: .bits128), into: 2)[0]
        var digits = Array(component.unsafeHexDigits)
        digits[5] = digits[5] == "0" ? "1" : "0"
        do {
            _ = try KeyComponent(hex: String(digits), expectedCheckValue: component.checkValue)
            Issue.record("a mistyped component was accepted")
        } catch {
            #expect(error.code == .checkValueMismatch)
            #expect(!error.description.contains(String(digits)))
        }
    }

    @Test("wrong counts, mixed lengths, repeated components, an all-zero result and bad hex are refused")
    func refusals() throws {
        let a = try KeyComponent(hex: "0123456789ABCDEF0123456789ABCDEF")
        let b = try KeyComponent(hex: "FEDCBA9876543210FEDCBA9876543210")
        let long = try KeyComponent(hex: String(repeating: "11", count: 32))
        #expect(throws: MPOSCryptoError(.invalidComponents, "")) { try KeyComponents.combine([a], as: KeyEncryption.self) }
        #expect(throws: MPOSCryptoError(.invalidComponents, "")) { try KeyComponents.combine([a, b, a, b], as: KeyEncryption.self) }
        #expect(throws: MPOSCryptoError(.invalidComponents, "")) { try KeyComponents.combine([a, long], as: KeyEncryption.self) }
        #expect(throws: MPOSCryptoError(.invalidComponents, "")) { try KeyComponents.combine([a, a], as: KeyEncryption.self) }
        #expect(throws: MPOSCryptoError(.invalidComponents, "")) { try KeyComponents.combine([a, b, KeyComponent(hex: "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF")], as: KeyEncryption.self) }
        #expect(throws: MPOSCryptoError(.invalidComponents, "")) { try KeyComponent(hex: "0123") }
        #expect(throws: MPOSCryptoError(.invalidComponents, "")) { try KeyComponent(hex: String(repeating: "0", count: 32)) }
        #expect(throws: MPOSCryptoError(.invalidComponents, "")) { try KeyComponent(hex: "0123456789ABCDEF0123456789ABCDEG") }
        #expect(throws: MPOSCryptoError(.invalidComponents, "")) { try KeyComponents.split(AESKey<KeyEncryption>(generating: .bits128), into: 4) }
    }

    @Test("a component prints its check value only")
    func redaction() throws {
        let component = try KeyComponent(hex: "0123456789ABCDEF0123456789ABCDEF")
        for text in [component.description, dumped(component), "\(component)"] {
            #expect(!text.contains("0123456789"))
            #expect(!text.contains("171") && !text.contains("205"), "a component byte (0xAB, 0xCD) in decimal")
        }
        #expect(component.description.contains(component.checkValue.hex))
    }
}
