import Crypto
import Foundation
import Testing
@testable import MPOSCrypto

@Suite("TR-31 / X9.143 key blocks, version D")
struct TR31Tests {
    struct Vector: Decodable { let name: String; let kbpk: String; let block: String; let key: String; let origin: String }

    struct PublishedFile: Decodable { let origin: String; let vectors: [Vector]; let extended_vectors: [Vector] }

    static func publishedFile() throws -> PublishedFile { try loadVectorFile("tr31-d-published", as: PublishedFile.self) }

    @Test("published version D blocks unwrap to their keys; tampered copies do not")
    func publishedVectors() throws {
        let file = try Self.publishedFile()
        #expect(file.vectors.count >= 3)
        for vector in file.vectors {
            let kbpk = SymmetricKey(data: hex(vector.kbpk))
            let (header, key) = try TR31.unwrapAuthenticated(vector.block, kbpk: kbpk)
            #expect(Hex.encode(key) == vector.key.uppercased(), "\(vector.name)")
            #expect(String(header.keyUsage.rawValue) == String(vector.block.dropFirst(5).prefix(2)), "\(vector.name)")
            var tampered = Array(vector.block.utf8)
            tampered[tampered.count - 1] = tampered[tampered.count - 1] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
            #expect(throws: MPOSCryptoError(.keyBlockAuthenticationFailed, ""), "\(vector.name)") {
                try TR31.unwrapAuthenticated(String(decoding: tampered, as: UTF8.self), kbpk: kbpk)
            }
        }
    }

    @Test("published blocks through the typed API: AES keys of mpos usages unwrap, TDES keys are refused")
    func publishedVectorsTyped() throws {
        for vector in try Self.publishedFile().vectors {
            let kbpk = try AESKey<KeyBlockProtection>(unsafeRawBytes: hex(vector.kbpk))
            let usage = String(vector.block.dropFirst(5).prefix(2)), algorithm = Array(vector.block.utf8)[7]
            switch (usage, algorithm) {
            case ("P0", UInt8(ascii: "A")):
                #expect(try TR31.unwrap(vector.block, as: PINEncryption.self, under: kbpk).key == AESKey<PINEncryption>(unsafeRawBytes: hex(vector.key), modeOfUse: .encryptOnly), "\(vector.name)")
            case ("D0", UInt8(ascii: "A")):
                let mode = ModeOfUse(rawValue: Array(vector.block.utf8)[8])!
                if DataEncryption.permittedModes.contains(mode) {
                    #expect(try TR31.unwrap(vector.block, as: DataEncryption.self, under: kbpk).key == AESKey<DataEncryption>(unsafeRawBytes: hex(vector.key), modeOfUse: mode), "\(vector.name)")
                } else {
                    // e.g. Thales's mode N ("no special restrictions"): mpos binds every key to a mode.
                    #expect(throws: MPOSCryptoError(.keyBlockUsageMismatch, ""), "\(vector.name)") { try TR31.unwrap(vector.block, as: DataEncryption.self, under: kbpk) }
                }
            case ("P0", UInt8(ascii: "T")):
                #expect(throws: MPOSCryptoError(.unsupportedKeyBlock, ""), "\(vector.name)") { try TR31.unwrap(vector.block, as: PINEncryption.self, under: kbpk) }
            case ("B0", UInt8(ascii: "T")):
                #expect(throws: MPOSCryptoError(.unsupportedKeyBlock, ""), "\(vector.name)") { try TR31.unwrap(vector.block, as: BaseDerivation.self, under: kbpk) }
            default:
                // A usage mpos has no type for (e.g. M3): asking for any mpos type is a mismatch or unsupported.
                #expect(throws: MPOSCryptoError.self, "\(vector.name)") { try TR31.unwrap(vector.block, as: MessageAuthentication.self, under: kbpk) }
            }
        }
    }

    @Test("X9.143 examples with optional blocks: AES key unwraps; RSA/EC keys authenticate but are refused as not AES")
    func publishedExtendedVectors() throws {
        for vector in try Self.publishedFile().extended_vectors {
            let kbpk = SymmetricKey(data: hex(vector.kbpk))
            if AESKeySize(byteCount: vector.key.count / 2) != nil {
                let (header, key) = try TR31.unwrapAuthenticated(vector.block, kbpk: kbpk)
                #expect(Hex.encode(key) == vector.key.uppercased(), "\(vector.name)")
                #expect(header.optionalBlocks.map(\.id) == ["KS", "TS"], "\(vector.name)")
            } else {
                // The MAC verified (otherwise the error would be keyBlockAuthenticationFailed); the payload is no AES key.
                #expect(throws: MPOSCryptoError(.malformedKeyBlock, ""), "\(vector.name)") { try TR31.unwrapAuthenticated(vector.block, kbpk: kbpk) }
            }
        }
    }

    @Test("every usage and every KBPK/key size round-trips, header and all")
    func roundTrips() throws {
        for kbpkSize in AESKeySize.allCases {
            let kbpk = try AESKey<KeyBlockProtection>(generating: kbpkSize)
            for keySize in AESKeySize.allCases where keySize.rawValue <= kbpkSize.rawValue {
                try roundTrip(AESKey<PINEncryption>(generating: keySize).restricted(to: .encryptOnly), under: kbpk)
                try roundTrip(AESKey<MessageAuthentication>(generating: keySize), under: kbpk)
                try roundTrip(AESKey<DataEncryption>(generating: keySize), under: kbpk)
                try roundTrip(AESKey<KeyEncryption>(generating: keySize), under: kbpk)
                try roundTrip(AESKey<KeyBlockProtection>(generating: keySize), under: kbpk)
                try roundTrip(AESKey<BaseDerivation>(generating: keySize), under: kbpk)
            }
        }
    }

    private func roundTrip<U: KeyUsage>(_ key: AESKey<U>, under kbpk: AESKey<KeyBlockProtection>) throws {
        let blocks = [
            try KeyBlockOptionalBlock(id: "KS", data: "00604B120F9292800000"),
            try KeyBlockOptionalBlock(id: "TS", data: "20261127063540Z"),
            try KeyBlockOptionalBlock(id: "HM", data: String(repeating: "x", count: 300)),
        ]
        for masked in [true, false] {
            let block = try TR31.wrap(key, under: kbpk, keyVersion: "07", exportability: .exportable, optionalBlocks: blocks, maskKeyLength: masked)
            #expect(block.utf8.count % 16 == 0)
            #expect(block.hasPrefix("D\(String(format: "%04d", block.utf8.count))\(U.code)A\(key.modeOfUse)07E"))
            let unwrapped = try TR31.unwrap(block, as: U.self, under: kbpk)
            #expect(unwrapped.key == key)
            #expect(unwrapped.header.keyUsage == U.code)
            #expect(unwrapped.header.modeOfUse == key.modeOfUse)
            #expect(unwrapped.header.keyVersion == "07")
            #expect(unwrapped.header.exportability == .exportable)
            #expect(unwrapped.header.optionalBlocks == blocks)
        }
    }

    @Test("masking hides the key length; without it the block is shorter")
    func masking() throws {
        let kbpk = try AESKey<KeyEncryption>(generating: .bits256)
        let short = try AESKey<PINEncryption>(generating: .bits128)
        let long = try AESKey<PINEncryption>(generating: .bits256)
        #expect(try TR31.wrap(short, under: kbpk).utf8.count == TR31.wrap(long, under: kbpk).utf8.count)
        #expect(try TR31.wrap(short, under: kbpk, maskKeyLength: false).utf8.count == 16 + 64 + 32)
    }

    @Test("a block is refused when its header does not match the key type asked for")
    func usageMismatch() throws {
        let kbpk = try AESKey<KeyBlockProtection>(generating: .bits128)
        let pinBlock = try TR31.wrap(AESKey<PINEncryption>(generating: .bits128), under: kbpk)
        #expect(throws: MPOSCryptoError(.keyBlockUsageMismatch, "")) { try TR31.unwrap(pinBlock, as: MessageAuthentication.self, under: kbpk) }
        #expect(throws: MPOSCryptoError(.keyBlockUsageMismatch, "")) { try TR31.unwrap(pinBlock, as: DataEncryption.self, under: kbpk) }
        let macBlock = try TR31.wrap(AESKey<MessageAuthentication>(generating: .bits128), under: kbpk)
        #expect(throws: MPOSCryptoError(.keyBlockUsageMismatch, "")) { try TR31.unwrap(macBlock, as: PINEncryption.self, under: kbpk) }
        #expect(try TR31.unwrap(macBlock, as: MessageAuthentication.self, under: kbpk).key.modeOfUse == .generateAndVerify)
    }

    @Test("an authentic block with a mode not permitted for its usage is refused")
    func modeMismatch() throws {
        let kbpk = try AESKey<KeyBlockProtection>(generating: .bits128)
        // Built with the internal deterministic wrapper: the public API cannot make such a block.
        let fields = TR31.HeaderFields(usage: .p0, algorithm: UInt8(ascii: "A"), mode: .generateAndVerify, version: Array("00".utf8), exportability: .nonExportable, optionalBlocks: [])
        let block = try TR31.wrap(keyBytes: [UInt8](repeating: 1, count: 16), fields: fields, padding: [UInt8](repeating: 0, count: 14), kbpk: kbpk.material)
        #expect(throws: MPOSCryptoError(.keyBlockUsageMismatch, "")) { try TR31.unwrap(block, as: PINEncryption.self, under: kbpk) }
    }

    @Test("a block for another algorithm is refused after authentication")
    func algorithmMismatch() throws {
        let kbpk = try AESKey<KeyBlockProtection>(generating: .bits128)
        let fields = TR31.HeaderFields(usage: .p0, algorithm: UInt8(ascii: "T"), mode: .encryptOnly, version: Array("00".utf8), exportability: .nonExportable, optionalBlocks: [])
        let block = try TR31.wrap(keyBytes: [UInt8](repeating: 1, count: 16), fields: fields, padding: [UInt8](repeating: 0, count: 14), kbpk: kbpk.material)
        #expect(throws: MPOSCryptoError(.unsupportedKeyBlock, "")) { try TR31.unwrap(block, as: PINEncryption.self, under: kbpk) }
    }

    @Test("a wrong KBPK is refused by the MAC")
    func wrongKBPK() throws {
        let block = try TR31.wrap(AESKey<PINEncryption>(generating: .bits128), under: AESKey<KeyBlockProtection>(generating: .bits128))
        #expect(throws: MPOSCryptoError(.keyBlockAuthenticationFailed, "")) {
            try TR31.unwrap(block, as: PINEncryption.self, under: AESKey<KeyBlockProtection>(generating: .bits128))
        }
    }

    @Test("changing any character of a block is refused with a clear error, never a crash")
    func everyCharacterChanged() throws {
        let kbpk = try AESKey<KeyBlockProtection>(generating: .bits192)
        let key = try AESKey<MessageAuthentication>(generating: .bits128)
        let block = Array(try TR31.wrap(key, under: kbpk, keyVersion: "01", optionalBlocks: [KeyBlockOptionalBlock(id: "KS", data: "ABCDEF0123")]).utf8)
        for index in block.indices {
            for replacement in [UInt8(ascii: "0"), UInt8(ascii: "A"), UInt8(ascii: "9"), UInt8(ascii: "F"), UInt8(ascii: "a"), UInt8(ascii: "f"), UInt8(ascii: "z"), 0x00, 0xFF] where replacement != block[index] {
                var changed = block
                changed[index] = replacement
                let text = String(decoding: changed, as: UTF8.self)
                #expect(throws: MPOSCryptoError.self, "index \(index)") { try TR31.unwrap(text, as: MessageAuthentication.self, under: kbpk) }
            }
        }
        // Every single bit of the encrypted payload and MAC: the MAC must catch it.
        let start = block.count - 2 * 48 - 32  // hex(48-byte masked payload) ‖ hex(MAC)
        for index in start..<block.count {
            let original = Hex.nibble(block[index])!
            for bit in 0..<4 {
                var changed = block
                changed[index] = Array(Hex.encode([original ^ (1 << bit)]).utf8)[1]
                #expect(throws: MPOSCryptoError(.keyBlockAuthenticationFailed, ""), "index \(index) bit \(bit)") {
                    try TR31.unwrap(String(decoding: changed, as: UTF8.self), as: MessageAuthentication.self, under: kbpk)
                }
            }
        }
    }

    @Test("truncated, padded, oversized and garbage input is refused")
    func malformedInput() throws {
        let kbpk = try AESKey<KeyBlockProtection>(generating: .bits128)
        let block = try TR31.wrap(AESKey<PINEncryption>(generating: .bits128), under: kbpk)
        for length in [0, 1, 5, 16, 79, block.utf8.count - 1, block.utf8.count - 16, block.utf8.count - 32] {
            #expect(throws: MPOSCryptoError(.malformedKeyBlock, ""), "length \(length)") {
                try TR31.unwrap(String(block.prefix(length)), as: PINEncryption.self, under: kbpk)
            }
        }
        #expect(throws: MPOSCryptoError(.malformedKeyBlock, "")) { try TR31.unwrap(block + "0000000000000000", as: PINEncryption.self, under: kbpk) }
        #expect(throws: MPOSCryptoError(.malformedKeyBlock, "")) { try TR31.unwrap(String(repeating: "D", count: 100_000), as: PINEncryption.self, under: kbpk) }
        #expect(throws: MPOSCryptoError(.unsupportedKeyBlock, "")) { try TR31.unwrap("B" + block.dropFirst(), as: PINEncryption.self, under: kbpk) }

        var rng = SeededGenerator(seed: randomizedSeed)
        for _ in 0..<2000 {
            let length = Int.random(in: 0...200, using: &rng)
            var bytes = rng.bytes(length).map { 0x20 + $0 % 0x5F }
            if bytes.count > 5, Bool.random(using: &rng) {
                bytes[0] = UInt8(ascii: "D")
                bytes.replaceSubrange(1..<5, with: Array(String(format: "%04d", bytes.count).utf8))
            }
            #expect(throws: MPOSCryptoError.self, "seed \(randomizedSeed)") {
                try TR31.unwrap(String(decoding: bytes, as: UTF8.self), as: PINEncryption.self, under: kbpk)
            }
        }
    }

    @Test("random edits of valid blocks (change, insert, delete; header, optional blocks, payload) are all refused")
    func mutatedBlocks() throws {
        var rng = SeededGenerator(seed: randomizedSeed)
        let kbpk = try AESKey<KeyBlockProtection>(generating: .bits256)
        let blocks = [
            try TR31.wrap(AESKey<PINEncryption>(generating: .bits128), under: kbpk),
            try TR31.wrap(AESKey<DataEncryption>(generating: .bits256), under: kbpk, keyVersion: "12", exportability: .sensitive,
                          optionalBlocks: [KeyBlockOptionalBlock(id: "KS", data: "00604B120F9292800000"), KeyBlockOptionalBlock(id: "HM", data: String(repeating: "q", count: 270))]),
        ]
        let alphabet = Array("0123456789ABCDEFabcdefPBKSD ~".utf8)
        for _ in 0..<3000 {
            let original = Array(blocks.randomElement(using: &rng)!.utf8)
            var bytes = original
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let index = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: bytes[index] = alphabet.randomElement(using: &rng)!
                case 1: bytes.insert(alphabet.randomElement(using: &rng)!, at: index)
                default: bytes.remove(at: index)
                }
            }
            // Keep the length field true half the time, so edits get past the first check.
            if Bool.random(using: &rng), bytes.count >= 5, bytes.count <= 9999 {
                bytes.replaceSubrange(1..<5, with: Array(String(format: "%04d", bytes.count).utf8))
            }
            guard bytes != original else { continue }
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(throws: MPOSCryptoError.self, "seed \(randomizedSeed)") {
                if let unwrapped = try? TR31.unwrap(text, as: PINEncryption.self, under: kbpk) { _ = unwrapped; return }
                _ = try TR31.unwrap(text, as: DataEncryption.self, under: kbpk)
            }
        }
    }

    @Test("a block has one spelling: lower-case hex, PB not last, and needless extended lengths are refused")
    func canonicalText() throws {
        let kbpk = try AESKey<KeyBlockProtection>(generating: .bits128)
        let key = try AESKey<PINEncryption>(generating: .bits128)
        let block = try TR31.wrap(key, under: kbpk)
        let lowered = String(block.prefix(16)) + block.dropFirst(16).lowercased()
        #expect(throws: MPOSCryptoError(.malformedKeyBlock, "")) { try TR31.unwrap(lowered, as: PINEncryption.self, under: kbpk) }

        // Hand-built headers (the MAC would fail anyway; the structure is refused first).
        let payloadAndMAC = String(block.dropFirst(16))
        func withOptional(_ count: String, _ optional: String) -> String {
            let body = "P0AB00N\(count)00" + optional + payloadAndMAC
            return "D" + String(format: "%04d", body.utf8.count + 5) + body
        }
        let pbFirst = withOptional("02", "PB080000KS08ABCD")  // PB then KS: 16 characters
        #expect(throws: MPOSCryptoError(.malformedKeyBlock, "")) { try TR31.unwrap(pbFirst, as: PINEncryption.self, under: kbpk) }
        let needlessExtended = withOptional("01", "KS000200100123AB")  // extended form for a 16-character block
        #expect(throws: MPOSCryptoError(.malformedKeyBlock, "")) { try TR31.unwrap(needlessExtended, as: PINEncryption.self, under: kbpk) }
        let lowerLength = withOptional("02", "KS1a" + String(repeating: "x", count: 22) + "PB0600")  // 26 + 6 characters
        #expect(throws: MPOSCryptoError(.malformedKeyBlock, "")) { try TR31.unwrap(lowerLength, as: PINEncryption.self, under: kbpk) }
    }

    @Test("exportability: kept from the block, never widened, and N keys are never wrapped again")
    func exportability() throws {
        let kbpk = try AESKey<KeyBlockProtection>(generating: .bits128)
        let key = try AESKey<MessageAuthentication>(generating: .bits128)
        for export in Exportability.allCases {
            let unwrapped = try TR31.unwrap(TR31.wrap(key, under: kbpk, exportability: export), as: MessageAuthentication.self, under: kbpk)
            #expect(unwrapped.key.exportability == export)
            #expect(unwrapped.header.exportability == export)
        }
        let nonExportable = try TR31.unwrap(TR31.wrap(key, under: kbpk, exportability: .nonExportable), as: MessageAuthentication.self, under: kbpk).key
        let otherKEK = try AESKey<KeyEncryption>(generating: .bits128)
        #expect(throws: MPOSCryptoError(.keyNotExportable, "")) { try TR31.wrap(nonExportable, under: otherKEK, exportability: .nonExportable) }
        #expect(throws: MPOSCryptoError(.keyNotExportable, "")) { try KeyComponents.split(nonExportable, into: 2) }
        let sensitive = try TR31.unwrap(TR31.wrap(key, under: kbpk, exportability: .sensitive), as: MessageAuthentication.self, under: kbpk).key
        #expect(throws: MPOSCryptoError(.keyNotExportable, "")) { try TR31.wrap(sensitive, under: otherKEK, exportability: .exportable) }
        _ = try TR31.wrap(sensitive, under: otherKEK, exportability: .nonExportable)
    }

    @Test("the KBPK's own mode and strength are enforced")
    func kbpkRules() throws {
        let kbpk = try AESKey<KeyBlockProtection>(generating: .bits128)
        let key = try AESKey<DataEncryption>(generating: .bits128)
        #expect(throws: MPOSCryptoError(.modeOfUseNotPermitted, "")) { try TR31.wrap(key, under: kbpk.restricted(to: .decryptOnly)) }
        let block = try TR31.wrap(key, under: kbpk.restricted(to: .encryptOnly), exportability: .exportable)
        #expect(throws: MPOSCryptoError(.modeOfUseNotPermitted, "")) { try TR31.unwrap(block, as: DataEncryption.self, under: kbpk.restricted(to: .encryptOnly)) }
        #expect(try TR31.unwrap(block, as: DataEncryption.self, under: kbpk.restricted(to: .decryptOnly)).key == key)
        #expect(throws: MPOSCryptoError(.keyStrengthMismatch, "")) { try TR31.wrap(AESKey<DataEncryption>(generating: .bits256), under: kbpk) }
    }

    @Test("header fields and optional blocks are validated on wrap")
    func wrapValidation() throws {
        let kbpk = try AESKey<KeyEncryption>(generating: .bits128)
        let key = try AESKey<PINEncryption>(generating: .bits128)
        #expect(throws: MPOSCryptoError(.malformedKeyBlock, "")) { try TR31.wrap(key, under: kbpk, keyVersion: "1") }
        #expect(throws: MPOSCryptoError(.malformedKeyBlock, "")) { try TR31.wrap(key, under: kbpk, keyVersion: "1-") }
        #expect(throws: MPOSCryptoError(.malformedKeyBlock, "")) { try KeyBlockOptionalBlock(id: "PB", data: "00") }
        #expect(throws: MPOSCryptoError(.malformedKeyBlock, "")) { try KeyBlockOptionalBlock(id: "K", data: "00") }
        #expect(throws: MPOSCryptoError(.malformedKeyBlock, "")) { try KeyBlockOptionalBlock(id: "KS", data: "tab\there") }
        let twice = [try KeyBlockOptionalBlock(id: "KS", data: "1"), try KeyBlockOptionalBlock(id: "KS", data: "2")]
        #expect(throws: MPOSCryptoError(.malformedKeyBlock, "")) { try TR31.wrap(key, under: kbpk, optionalBlocks: twice) }
        let many = try (0..<100).map { try KeyBlockOptionalBlock(id: String(format: "%02d", $0 % 100), data: "") }
        #expect(throws: MPOSCryptoError(.malformedKeyBlock, "")) { try TR31.wrap(key, under: kbpk, optionalBlocks: many) }
        let huge = [try KeyBlockOptionalBlock(id: "HM", data: String(repeating: "a", count: 9990))]
        #expect(throws: MPOSCryptoError(.malformedKeyBlock, "")) { try TR31.wrap(key, under: kbpk, optionalBlocks: huge) }
    }

    @Test("errors and the unwrapped key never show key material")
    func noLeaks() throws {
        let kbpk = try AESKey<KeyBlockProtection>(unsafeRawBytes: [UInt8](repeating: 0x5A, count: 16))
        let key = try AESKey<PINEncryption>(unsafeRawBytes: [UInt8](repeating: 0xC3, count: 16))
        let block = try TR31.wrap(key, under: kbpk)
        let unwrapped = try TR31.unwrap(block, as: PINEncryption.self, under: kbpk)
        for text in [dumped(unwrapped), "\(unwrapped.key)", "\(unwrapped.header)"] {
            #expect(!text.contains("C3C3") && !text.contains("5A5A"))
            #expect(!text.contains("195") && !text.contains("90\n"), "key bytes 0xC3/0x5A in decimal, as dump prints arrays")
        }
        do {
            _ = try TR31.unwrap(block, as: MessageAuthentication.self, under: kbpk)
            Issue.record("a P0 block unwrapped as an M6 key")
        } catch {
            #expect(!error.description.contains("C3C3") && !error.description.contains(String(block.suffix(32))))
        }
    }
}
