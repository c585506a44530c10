import Crypto
import Foundation
import Testing
@_spi(ClearPIN) @testable import MPOSCrypto

/// Two-way cross-checks against code we did not write: psec (PIN block format 4, TR-31
/// version D) and pyca/cryptography (CMAC, KBKDFCMAC, AES-GCM), through
/// `Tests/CrossCheck/crosscheck.py`. Swift produces and Python verifies; Python produces and
/// Swift verifies. Inputs are random; the seed is in every failure message
/// (`MPOS_TEST_SEED=<seed>` replays it).
@Suite("Cross-checks against psec and pyca/cryptography")
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
}
