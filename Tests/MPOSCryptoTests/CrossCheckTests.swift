import Crypto
import Foundation
import Testing
@_spi(ClearPIN) @testable import MPOSCrypto

/// Two-way cross-checks against code we did not write: psec (PIN block format 4, TR-31
/// version D, keys at rest under the LMK) and pyca/cryptography (CMAC, KBKDFCMAC, AES-GCM,
/// keyed values), through
/// `Tests/CrossCheck/crosscheck.py`. Swift produces and Python verifies; Python produces and
/// Swift verifies. Inputs are random; the seed is in every failure message
/// (`MPOS_TEST_SEED=<seed>` replays it).
@Suite("Cross-checks against psec and pyca/cryptography", .timeLimit(.minutes(10)))
struct CrossCheckTests {
    static let casesPerDirection = 250

    // MARK: Case shapes (the JSON protocol of crosscheck.py)

    struct KCVCase: Codable { let key: String; let length: Int; let kcv: String }
    struct CMACCase: Codable { let key: String; let message: String; let mac: String }
    struct KBKDFCase: Codable { let key: String; let label: String; let context: String; let length: Int; let output: String }
    struct GCMCase: Codable { let key: String; let nonce: String; let aad: String; let plaintext: String; let ciphertext: String; let tag: String }
    struct PINBlockCase: Codable { let key: String; let pin: String; let pan: String; let block: String }
    struct TR31Case: Codable {
        let kbpk: String; let block: String; let key: String
        let usage: String; let algorithm: String; let mode: String; let version: String; let exportability: String
        let optional_blocks: [[String]]
    }
    struct ComponentsCase: Codable { let key: String; let components: [String]; let component_kcvs: [String]; let key_kcv: String }

    private func expectVerified<Case: Codable>(_ kind: String, _ cases: [Case], seed: UInt64) throws {
        let verdict = try PythonOracle.verify(kind: kind, cases: cases)
        #expect(verdict.checked == cases.count, "seed \(seed)")
        #expect(verdict.failures.isEmpty, "seed \(seed): \(verdict.failures.prefix(5))")
    }

    private func keyBytes(_ rng: inout SeededGenerator) -> [UInt8] {
        rng.bytes([16, 24, 32].randomElement(using: &rng)!)
    }

    // MARK: Key check values

    @Test("KCV: Swift computes, cryptography verifies")
    func kcvSwiftToPython() throws {
        let seed = randomizedSeed
        var rng = SeededGenerator(seed: seed)
        let cases = try (0..<Self.casesPerDirection).map { _ in
            let key = keyBytes(&rng), length = Int.random(in: 3...5, using: &rng)
            return KCVCase(key: Hex.encode(key), length: length, kcv: try AESKey<DataEncryption>(unsafeRawBytes: key).checkValue(length: length).hex)
        }
        try expectVerified("kcv", cases, seed: seed)
    }

    @Test("KCV: cryptography computes, Swift verifies")
    func kcvPythonToSwift() throws {
        let seed = randomizedSeed
        let cases = try PythonOracle.produce(kind: "kcv", count: Self.casesPerDirection, seed: seed, as: KCVCase.self)
        #expect(cases.count == Self.casesPerDirection)
        for (index, c) in cases.enumerated() {
            let key = try AESKey<DataEncryption>(unsafeRawBytes: hex(c.key))
            #expect(try key.checkValue(length: c.length).hex == c.kcv, "seed \(seed) case \(index)")
        }
    }

    // MARK: CMAC

    @Test("AES-CMAC: Swift computes, cryptography verifies")
    func cmacSwiftToPython() throws {
        let seed = randomizedSeed
        var rng = SeededGenerator(seed: seed)
        let cases = try (0..<Self.casesPerDirection).map { _ in
            let key = keyBytes(&rng), message = rng.bytes(Int.random(in: 0...300, using: &rng))
            let mac = try CMAC.authenticationCode(for: message, using: AESKey<MessageAuthentication>(unsafeRawBytes: key))
            return CMACCase(key: Hex.encode(key), message: Hex.encode(message), mac: Hex.encode(mac))
        }
        try expectVerified("cmac", cases, seed: seed)
    }

    @Test("AES-CMAC: cryptography computes, Swift verifies")
    func cmacPythonToSwift() throws {
        let seed = randomizedSeed
        let cases = try PythonOracle.produce(kind: "cmac", count: Self.casesPerDirection, seed: seed, as: CMACCase.self)
        #expect(cases.count == Self.casesPerDirection)
        for (index, c) in cases.enumerated() {
            let key = try AESKey<MessageAuthentication>(unsafeRawBytes: hex(c.key))
            #expect(try CMAC.isValid(hex(c.mac), for: hex(c.message), using: key), "seed \(seed) case \(index)")
        }
    }

    // MARK: SP 800-108 KDF

    @Test("SP 800-108 KDF: Swift derives, KBKDFCMAC verifies")
    func kdfSwiftToPython() throws {
        let seed = randomizedSeed
        var rng = SeededGenerator(seed: seed)
        let cases = try (0..<Self.casesPerDirection).map { _ in
            let key = keyBytes(&rng)
            let label = rng.bytes(Int.random(in: 1...24, using: &rng)).map { $0 == 0 ? 1 : $0 }
            let context = rng.bytes(Int.random(in: 0...40, using: &rng))
            let size = AESKeySize.allCases.randomElement(using: &rng)!
            let derived = try CounterModeKDF.deriveKey(DataEncryption.self, size: size, from: AESKey<BaseDerivation>(unsafeRawBytes: key), label: label, context: context)
            // The profile's full label: the derived key's usage code, "/", the purpose label.
            let fullLabel = Array("D0/".utf8) + label
            return KBKDFCase(key: Hex.encode(key), label: Hex.encode(fullLabel), context: Hex.encode(context), length: size.byteCount,
                             output: Hex.encode(derived.material.withUnsafeBytes { Array($0) }))
        }
        try expectVerified("kbkdf", cases, seed: seed)
    }

    @Test("SP 800-108 KDF: KBKDFCMAC derives, Swift verifies")
    func kdfPythonToSwift() throws {
        let seed = randomizedSeed
        let cases = try PythonOracle.produce(kind: "kbkdf", count: Self.casesPerDirection, seed: seed, as: KBKDFCase.self)
        #expect(cases.count == Self.casesPerDirection)
        for (index, c) in cases.enumerated() {
            // The general function with the profile's layout, so output lengths beyond a key size
            // are covered too (deriveKey adds the usage to the label: Swift→Python covers it).
            let fixed = hex(c.label) + [0] + hex(c.context) + withUnsafeBytes(of: UInt32(c.length * 8).bigEndian) { Array($0) }
            let output = try CounterModeKDF.derive(key: SymmetricKey(data: hex(c.key)), fixedInput: fixed, outputBits: c.length * 8, counterBytes: 4)
            #expect(Hex.encode(output) == c.output, "seed \(seed) case \(index)")
        }
    }

    // MARK: AES-GCM

    @Test("AES-GCM: Swift seals, cryptography opens")
    func gcmSwiftToPython() throws {
        let seed = randomizedSeed
        var rng = SeededGenerator(seed: seed)
        let cases = try (0..<Self.casesPerDirection).map { _ in
            let key = keyBytes(&rng), aad = rng.bytes(Int.random(in: 0...64, using: &rng)), plaintext = rng.bytes(Int.random(in: 0...300, using: &rng))
            let sealed = try AuthenticatedEncryption.seal(plaintext, authenticating: aad, using: AESKey<DataEncryption>(unsafeRawBytes: key))
            return GCMCase(key: Hex.encode(key), nonce: Hex.encode(sealed.prefix(12)), aad: Hex.encode(aad), plaintext: Hex.encode(plaintext),
                           ciphertext: Hex.encode(sealed.dropFirst(12).dropLast(16)), tag: Hex.encode(sealed.suffix(16)))
        }
        try expectVerified("gcm", cases, seed: seed)
    }

    @Test("AES-GCM: cryptography seals, Swift opens")
    func gcmPythonToSwift() throws {
        let seed = randomizedSeed
        let cases = try PythonOracle.produce(kind: "gcm", count: Self.casesPerDirection, seed: seed, as: GCMCase.self)
        #expect(cases.count == Self.casesPerDirection)
        for (index, c) in cases.enumerated() {
            let opened = try AuthenticatedEncryption.open(hex(c.nonce + c.ciphertext + c.tag), authenticating: hex(c.aad), using: AESKey<DataEncryption>(unsafeRawBytes: hex(c.key)))
            #expect(Hex.encode(opened) == c.plaintext, "seed \(seed) case \(index)")
        }
    }

    // MARK: PIN block format 4

    @Test("PIN block format 4: Swift enciphers, psec deciphers")
    func pinBlockSwiftToPython() throws {
        let seed = randomizedSeed
        var rng = SeededGenerator(seed: seed)
        let cases = try (0..<Self.casesPerDirection).map { _ in
            let key = keyBytes(&rng)
            let pin = rng.digits(Int.random(in: 4...12, using: &rng)), pan = rng.digits(Int.random(in: 12...19, using: &rng))
            let block = try PINBlockFormat4.encipher(PIN(pin), pan: PrimaryAccountNumber(pan), using: AESKey<PINEncryption>(unsafeRawBytes: key))
            return PINBlockCase(key: Hex.encode(key), pin: pin, pan: pan, block: Hex.encode(block.bytes))
        }
        try expectVerified("pinblock4", cases, seed: seed)
    }

    @Test("PIN block format 4: psec enciphers, Swift deciphers")
    func pinBlockPythonToSwift() throws {
        let seed = randomizedSeed
        let cases = try PythonOracle.produce(kind: "pinblock4", count: Self.casesPerDirection, seed: seed, as: PINBlockCase.self)
        #expect(cases.count == Self.casesPerDirection)
        for (index, c) in cases.enumerated() {
            let pin = try PINBlockFormat4.decipher(EncipheredPINBlock(bytes: hex(c.block)), pan: PrimaryAccountNumber(c.pan), using: AESKey<PINEncryption>(unsafeRawBytes: hex(c.key)))
            #expect(pin.unsafeDigitString == c.pin, "seed \(seed) case \(index)")
        }
    }

    // MARK: TR-31 version D

    @Test("TR-31 D: Swift wraps, psec unwraps")
    func tr31SwiftToPython() throws {
        let seed = randomizedSeed
        var rng = SeededGenerator(seed: seed)
        let ids = ["KS", "TS", "IK", "DA", "KP", "HM", "CT", "ZZ"]
        let cases = try (0..<Self.casesPerDirection).map { _ -> TR31Case in
            let kbpkBytes = keyBytes(&rng)
            let keySize = AESKeySize.allCases.filter { $0.byteCount <= kbpkBytes.count }.randomElement(using: &rng)!
            let keyBytes = rng.bytes(keySize.byteCount)
            let version = Bool.random(using: &rng) ? "00" : rng.digits(2)
            let exportability = Exportability.allCases.randomElement(using: &rng)!
            let blockIDs = ids.shuffled(using: &rng).prefix(Int.random(in: 0...3, using: &rng))
            let blocks = try blockIDs.map { id in
                let length = Int.random(in: 0...10, using: &rng) == 0 ? Int.random(in: 252...400, using: &rng) : Int.random(in: 0...40, using: &rng)
                let data = String(decoding: rng.bytes(length).map { 0x20 + $0 % 0x5F }, as: UTF8.self)
                return try KeyBlockOptionalBlock(id: id, data: data)
            }
            let masked = Bool.random(using: &rng)
            let kbpk = try AESKey<KeyBlockProtection>(unsafeRawBytes: kbpkBytes)
            let block: String
            let usage: KeyUsageCode, mode: ModeOfUse
            switch Int.random(in: 0..<6, using: &rng) {
            case 0: (usage, mode, block) = try wrapped(PINEncryption.self, keyBytes, &rng, kbpk, version, exportability, blocks, masked)
            case 1: (usage, mode, block) = try wrapped(MessageAuthentication.self, keyBytes, &rng, kbpk, version, exportability, blocks, masked)
            case 2: (usage, mode, block) = try wrapped(DataEncryption.self, keyBytes, &rng, kbpk, version, exportability, blocks, masked)
            case 3: (usage, mode, block) = try wrapped(KeyEncryption.self, keyBytes, &rng, kbpk, version, exportability, blocks, masked)
            case 4: (usage, mode, block) = try wrapped(KeyBlockProtection.self, keyBytes, &rng, kbpk, version, exportability, blocks, masked)
            default: (usage, mode, block) = try wrapped(BaseDerivation.self, keyBytes, &rng, kbpk, version, exportability, blocks, masked)
            }
            return TR31Case(kbpk: Hex.encode(kbpkBytes), block: block, key: Hex.encode(keyBytes), usage: usage.rawValue, algorithm: "A",
                            mode: mode.description, version: version, exportability: exportability.description,
                            optional_blocks: blocks.map { [$0.id, $0.data] })
        }
        try expectVerified("tr31d", cases, seed: seed)
    }

    private func wrapped<U: KeyUsage>(_ usage: U.Type, _ keyBytes: [UInt8], _ rng: inout SeededGenerator, _ kbpk: AESKey<KeyBlockProtection>, _ version: String, _ exportability: Exportability, _ blocks: [KeyBlockOptionalBlock], _ masked: Bool) throws -> (KeyUsageCode, ModeOfUse, String) {
        let mode = U.permittedModes.sorted { $0.rawValue < $1.rawValue }.randomElement(using: &rng)!
        let key = try AESKey<U>(unsafeRawBytes: keyBytes, modeOfUse: mode)
        return (U.code, mode, try TR31.wrap(key, under: kbpk, keyVersion: version, exportability: exportability, optionalBlocks: blocks, maskKeyLength: masked))
    }

    @Test("TR-31 D: psec wraps, Swift unwraps as the type the header names")
    func tr31PythonToSwift() throws {
        let seed = randomizedSeed
        let cases = try PythonOracle.produce(kind: "tr31d", count: Self.casesPerDirection, seed: seed, as: TR31Case.self)
        #expect(cases.count == Self.casesPerDirection)
        for (index, c) in cases.enumerated() {
            let kbpk = try AESKey<KeyBlockProtection>(unsafeRawBytes: hex(c.kbpk))
            let (keyBytes, header) = try unwrapTyped(c.block, usage: c.usage, under: kbpk)
            let context = "seed \(seed) case \(index)"
            #expect(Hex.encode(keyBytes) == c.key, "\(context)")
            #expect(header.keyUsage.rawValue == c.usage, "\(context)")
            #expect(String(header.algorithm) == c.algorithm, "\(context)")
            #expect(header.modeOfUse.description == c.mode, "\(context)")
            #expect(header.keyVersion == c.version, "\(context)")
            #expect(header.exportability.description == c.exportability, "\(context)")
            #expect(header.optionalBlocks.map { [$0.id, $0.data] } == c.optional_blocks, "\(context)")
        }
    }

    private func unwrapTyped(_ block: String, usage: String, under kbpk: AESKey<KeyBlockProtection>) throws -> ([UInt8], KeyBlockHeader) {
        func unwrap<U: KeyUsage>(_ type: U.Type) throws -> ([UInt8], KeyBlockHeader) {
            let result = try TR31.unwrap(block, as: U.self, under: kbpk)
            return (result.key.material.withUnsafeBytes { Array($0) }, result.header)
        }
        switch usage {
        case "P0": return try unwrap(PINEncryption.self)
        case "M6": return try unwrap(MessageAuthentication.self)
        case "D0": return try unwrap(DataEncryption.self)
        case "K0": return try unwrap(KeyEncryption.self)
        case "K1": return try unwrap(KeyBlockProtection.self)
        case "B0": return try unwrap(BaseDerivation.self)
        default: throw PythonOracle.OracleError("oracle produced a usage outside the agreed set")
        }
    }

    // MARK: Key components

    @Test("key components: Swift splits, cryptography recombines and checks every KCV")
    func componentsSwiftToPython() throws {
        let seed = randomizedSeed
        var rng = SeededGenerator(seed: seed)
        let cases = try (0..<Self.casesPerDirection).map { _ in
            let keyBytes = keyBytes(&rng)
            let key = try AESKey<BaseDerivation>(unsafeRawBytes: keyBytes)
            let components = try KeyComponents.split(key, into: Int.random(in: 2...3, using: &rng))
            return ComponentsCase(key: Hex.encode(keyBytes), components: components.map(\.unsafeHexDigits),
                                  component_kcvs: components.map(\.checkValue.hex), key_kcv: try key.checkValue().hex)
        }
        try expectVerified("components", cases, seed: seed)
    }

    @Test("key components: Python splits, Swift combines and checks every KCV")
    func componentsPythonToSwift() throws {
        let seed = randomizedSeed
        let cases = try PythonOracle.produce(kind: "components", count: Self.casesPerDirection, seed: seed, as: ComponentsCase.self)
        #expect(cases.count == Self.casesPerDirection)
        for (index, c) in cases.enumerated() {
            let components = try zip(c.components, c.component_kcvs).map { try KeyComponent(hex: $0, expectedCheckValue: KeyCheckValue(hex: $1)) }
            let key = try KeyComponents.combine(components, as: BaseDerivation.self)
            #expect(key == (try AESKey<BaseDerivation>(unsafeRawBytes: hex(c.key))), "seed \(seed) case \(index)")
            #expect(try key.checkValue().hex == c.key_kcv, "seed \(seed) case \(index)")
        }
    }

    // MARK: Keyed values (PVV V0, operator verification value 10, keyed digest 11)

    struct KeyedValueCase: Codable { let usage: String; let label: String; let key: String; let input: String; let value: String }

    /// ISO 9564-1 format 4 plain PIN field with zero fill ‖ PAN field, spelled out in hex here
    /// rather than taken from `PINBlockFormat4`, so the check covers the package's encoding too.
    private func pvvInput(pin: String, pan: String) -> [UInt8] {
        let pinField = "4" + String(pin.count, radix: 16, uppercase: true) + pin + String(repeating: "A", count: 14 - pin.count) + String(repeating: "0", count: 16)
        let panField = String(pan.count - 12) + pan + String(repeating: "0", count: 31 - pan.count)
        return hex(pinField + panField)
    }

    private func keyedValueMode(_ rng: inout SeededGenerator) -> ModeOfUse {
        [ModeOfUse.generateAndVerify, .generateOnly, .verifyOnly].randomElement(using: &rng)!
    }

    @Test("keyed values: Swift computes PVV / OVV / keyed digest, cryptography verifies (psec checks the PVV fields)")
    func keyedValueSwiftToPython() throws {
        let seed = randomizedSeed
        var rng = SeededGenerator(seed: seed)
        let printable = (0x20...0x7E).map { Character(Unicode.Scalar(UInt8($0))) }
        let cases = try (0..<Self.casesPerDirection).map { _ -> KeyedValueCase in
            let key = keyBytes(&rng)
            let mode = keyedValueMode(&rng)
            switch Int.random(in: 0..<3, using: &rng) {
            case 0:
                let pin = rng.digits(Int.random(in: 4...12, using: &rng)), pan = rng.digits(Int.random(in: 12...19, using: &rng))
                let value = try PINVerificationValue.compute(pin: PIN(pin), pan: PrimaryAccountNumber(pan), using: AESKey<PINVerification>(unsafeRawBytes: key, modeOfUse: mode))
                return KeyedValueCase(usage: "V0", label: PINVerificationValue.label, key: Hex.encode(key), input: Hex.encode(pvvInput(pin: pin, pan: pan)), value: value.hex)
            case 1:
                let number = rng.digits(Int.random(in: 1...8, using: &rng)), operatorKey = rng.bytes(Int.random(in: 4...16, using: &rng))
                let value = try OperatorVerificationValue.compute(number: number, keyBytes: operatorKey, using: AESKey<OperatorVerification>(unsafeRawBytes: key, modeOfUse: mode))
                let input = [UInt8(number.utf8.count)] + Array(number.utf8) + [UInt8(operatorKey.count)] + operatorKey
                return KeyedValueCase(usage: "10", label: OperatorVerificationValue.label, key: Hex.encode(key), input: Hex.encode(input), value: value.hex)
            default:
                let label = Bool.random(using: &rng)
                    ? ["MPOS CARD", "MPOS ID", "MPOS CUSTOMER"].randomElement(using: &rng)!
                    : String((0..<Int.random(in: 1...64, using: &rng)).map { _ in printable.randomElement(using: &rng)! })
                let datum = rng.bytes(Int.random(in: 0...64, using: &rng))
                let value = try KeyedDigest.compute(purpose: label, value: datum, using: AESKey<Tokenization>(unsafeRawBytes: key, modeOfUse: mode))
                return KeyedValueCase(usage: "11", label: label, key: Hex.encode(key), input: Hex.encode(datum), value: value.hex)
            }
        }
        #expect(Set(cases.map(\.usage)) == ["V0", "10", "11"], "seed \(seed): every usage drawn")
        try expectVerified("keyedvalue", cases, seed: seed)
    }

    @Test("keyed values: cryptography computes (psec builds the PVV fields), Swift recomputes from PIN/PAN, number/key, datum")
    func keyedValuePythonToSwift() throws {
        let seed = randomizedSeed
        let cases = try PythonOracle.produce(kind: "keyedvalue", count: Self.casesPerDirection, seed: seed, as: KeyedValueCase.self)
        #expect(cases.count == Self.casesPerDirection)
        #expect(Set(cases.map(\.usage)) == ["V0", "10", "11"], "seed \(seed): every usage drawn")
        for (index, c) in cases.enumerated() {
            let context = "seed \(seed) case \(index)"
            let key = hex(c.key), input = hex(c.input)
            let value: KeyedValue
            switch c.usage {
            case "V0":
                #expect(c.label == PINVerificationValue.label, "\(context)")
                // Read the PIN and PAN back out of the two fields, then recompute from them.
                let nibbles = input.flatMap { [$0 >> 4, $0 & 0x0F] }
                let pinLength = Int(nibbles[1]), panLength = Int(nibbles[32]) + 12
                let pin = nibbles[2..<(2 + pinLength)].map { String($0) }.joined()
                let pan = nibbles[33..<(33 + panLength)].map { String($0) }.joined()
                #expect(pvvInput(pin: pin, pan: pan) == input, "\(context)")
                value = try PINVerificationValue.compute(pin: PIN(pin), pan: PrimaryAccountNumber(pan), using: AESKey<PINVerification>(unsafeRawBytes: key))
            case "10":
                #expect(c.label == OperatorVerificationValue.label, "\(context)")
                let numberLength = Int(input[0])
                let number = String(decoding: input[1..<(1 + numberLength)], as: UTF8.self)
                let operatorKey = Array(input[(2 + numberLength)...])
                #expect(Int(input[1 + numberLength]) == operatorKey.count, "\(context)")
                value = try OperatorVerificationValue.compute(number: number, keyBytes: operatorKey, using: AESKey<OperatorVerification>(unsafeRawBytes: key))
            case "11":
                value = try KeyedDigest.compute(purpose: c.label, value: input, using: AESKey<Tokenization>(unsafeRawBytes: key))
            default:
                throw PythonOracle.OracleError("oracle produced a usage outside V0, 10, 11")
            }
            #expect(value.hex == c.value, "\(context) (\(c.usage))")
            #expect(value == KeyedValue(bytes: hex(c.value)), "\(context)")
        }
    }

    // MARK: Keys at rest under the local master key

    struct LMKBlockCase: Codable {
        let lmk: String; let block: String; let key: String
        let usage: String; let algorithm: String; let mode: String; let version: String; let exportability: String
    }

    private func stored<U: KeyUsage>(_ usage: U.Type, _ lmk: LocalMasterKey, _ lmkBytes: [UInt8], _ rng: inout SeededGenerator) throws -> LMKBlockCase {
        let size = AESKeySize.allCases.randomElement(using: &rng)!
        let mode = U.permittedModes.sorted { $0.rawValue < $1.rawValue }.randomElement(using: &rng)!
        let exportability = Exportability.allCases.randomElement(using: &rng)!  // stored as N whatever it is
        let keyBytes = rng.bytes(size.byteCount)
        let version = Bool.random(using: &rng) ? "00" : rng.digits(2)
        let block = try lmk.store(AESKey<U>(unsafeRawBytes: keyBytes, modeOfUse: mode, exportability: exportability), keyVersion: version)
        return LMKBlockCase(lmk: Hex.encode(lmkBytes), block: block, key: Hex.encode(keyBytes), usage: U.code.rawValue, algorithm: "A",
                            mode: mode.description, version: version, exportability: "N")
    }

    @Test("LMK blocks: Swift stores AES and P-256 keys, psec unwraps (N, masked length, usage/algorithm/mode)")
    func lmkBlockSwiftToPython() throws {
        let seed = randomizedSeed
        var rng = SeededGenerator(seed: seed)
        let cases = try (0..<Self.casesPerDirection).map { _ -> LMKBlockCase in
            let lmkBytes = rng.bytes(32)
            let lmk = try LocalMasterKey(unsafeRawBytes: lmkBytes)
            switch Int.random(in: 0..<9, using: &rng) {
            case 0: return try stored(PINEncryption.self, lmk, lmkBytes, &rng)
            case 1: return try stored(MessageAuthentication.self, lmk, lmkBytes, &rng)
            case 2: return try stored(DataEncryption.self, lmk, lmkBytes, &rng)
            case 3: return try stored(BaseDerivation.self, lmk, lmkBytes, &rng)
            case 4: return try stored(PINVerification.self, lmk, lmkBytes, &rng)
            case 5: return try stored(OperatorVerification.self, lmk, lmkBytes, &rng)
            case 6: return try stored(Tokenization.self, lmk, lmkBytes, &rng)
            case 7:
                // P-256 keys come from the system generator, as in the ecdsa/hpke cross-checks.
                let key = SigningPrivateKey()
                return LMKBlockCase(lmk: Hex.encode(lmkBytes), block: try lmk.store(key), key: Hex.encode(key.unsafeRawRepresentation),
                                    usage: "S0", algorithm: "E", mode: "S", version: "00", exportability: "N")
            default:
                let key = SealingPrivateKey()
                return LMKBlockCase(lmk: Hex.encode(lmkBytes), block: try lmk.store(key), key: Hex.encode(key.unsafeRawRepresentation),
                                    usage: "K3", algorithm: "E", mode: "D", version: "00", exportability: "N")
            }
        }
        #expect(Set(cases.map(\.usage)).count == 9, "seed \(seed): every key type drawn")
        try expectVerified("lmkblock", cases, seed: seed)
    }

    @Test("LMK blocks: psec wraps AES keys (V0, 10, 11, …) and P-256 scalars (S0/E/S, K3/E/D), Swift loads them")
    func lmkBlockPythonToSwift() throws {
        let seed = randomizedSeed
        let cases = try PythonOracle.produce(kind: "lmkblock", count: Self.casesPerDirection, seed: seed, as: LMKBlockCase.self)
        #expect(cases.count == Self.casesPerDirection)
        #expect(Set(cases.map(\.usage)).count == 9, "seed \(seed): every key type drawn")
        for (index, c) in cases.enumerated() {
            let context = "seed \(seed) case \(index) (\(c.usage)/\(c.algorithm)/\(c.mode))"
            let lmk = try LocalMasterKey(unsafeRawBytes: hex(c.lmk))
            #expect(c.exportability == "N" && c.block.dropFirst(11).first == "N", "\(context)")
            #expect(String(c.block.dropFirst(9).prefix(2)) == c.version, "\(context)")
            switch c.usage {
            case "S0":
                let key = try lmk.loadSigningKey(c.block)
                #expect(Hex.encode(key.unsafeRawRepresentation) == c.key, "\(context)")
                #expect(throws: Never.self, "\(context)") { try key.publicKey.verify(key.signature(for: [0x01]), for: [0x01]) }
            case "K3":
                let key = try lmk.loadSealingKey(c.block)
                #expect(Hex.encode(key.unsafeRawRepresentation) == c.key, "\(context)")
            default:
                let (keyBytes, mode, exportability) = try loadAES(c.block, usage: c.usage, lmk: lmk)
                #expect(c.algorithm == "A", "\(context)")
                #expect(Hex.encode(keyBytes) == c.key, "\(context)")
                #expect(mode.description == c.mode, "\(context)")
                #expect(exportability == .nonExportable, "\(context)")
            }
        }
    }

    private func loadAES(_ block: String, usage: String, lmk: LocalMasterKey) throws -> ([UInt8], ModeOfUse, Exportability) {
        func load<U: KeyUsage>(_ type: U.Type) throws -> ([UInt8], ModeOfUse, Exportability) {
            let key = try lmk.load(block, as: U.self)
            return (key.copyOfMaterial(), key.modeOfUse, key.exportability)
        }
        switch usage {
        case "P0": return try load(PINEncryption.self)
        case "M6": return try load(MessageAuthentication.self)
        case "D0": return try load(DataEncryption.self)
        case "B0": return try load(BaseDerivation.self)
        case "V0": return try load(PINVerification.self)
        case "10": return try load(OperatorVerification.self)
        case "11": return try load(Tokenization.self)
        default: throw PythonOracle.OracleError("oracle produced a usage outside the LMK key types")
        }
    }
}
