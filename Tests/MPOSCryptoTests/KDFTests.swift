import Crypto
import Testing
@testable import MPOSCrypto

@Suite("NIST SP 800-108 counter-mode KDF with AES-CMAC")
struct KDFTests {
    struct Vector: Decodable {
        let prf: String
        let rlen_bits: Int
        let key: String
        let fixed_input: String
        let output_bits: Int
        let output: String
    }

    @Test("NIST CAVP KBKDF vectors (counter before fixed input, every counter width)")
    func cavpVectors() throws {
        let file = try VectorFile<Vector>.load("kbkdf-ctr-cmac-cavp")
        #expect(file.vectors.count >= 120)
        var widths = Set<Int>(), prfs = Set<String>()
        for (index, vector) in file.vectors.enumerated() {
            let output = try CounterModeKDF.derive(
                key: SymmetricKey(data: hex(vector.key)), fixedInput: hex(vector.fixed_input),
                outputBits: vector.output_bits, counterBytes: vector.rlen_bits / 8)
            #expect(Hex.encode(output) == vector.output.uppercased(), "vector \(index) (\(vector.prf), r=\(vector.rlen_bits))")
            widths.insert(vector.rlen_bits)
            prfs.insert(vector.prf)
        }
        #expect(widths == [8, 16, 24, 32])
        #expect(prfs == ["CMAC_AES128", "CMAC_AES192", "CMAC_AES256"])
    }

    @Test("the mpos profile: [i]32 ‖ usage code ‖ / ‖ label ‖ 00 ‖ context ‖ [L]32")
    func profileLayout() throws {
        let baseBytes = hex("000102030405060708090A0B0C0D0E0F")
        let base = try AESKey<BaseDerivation>(unsafeRawBytes: baseBytes)
        let derived = try CounterModeKDF.deriveKey(PINEncryption.self, size: .bits256, from: base, label: Array("LABEL".utf8), context: [1, 2, 3])
        let fixed = Array("P0/LABEL".utf8) + [0x00, 1, 2, 3, 0x00, 0x00, 0x01, 0x00]
        let expected = try CounterModeKDF.derive(key: SymmetricKey(data: baseBytes), fixedInput: fixed, outputBits: 256, counterBytes: 4)
        #expect(derived == (try AESKey<PINEncryption>(unsafeRawBytes: expected)))
        // K(1) by hand: one CMAC over the counter and the fixed input.
        let first = try cmac(key: SymmetricKey(data: baseBytes), message: [0, 0, 0, 1] + fixed)
        #expect(Array(expected.prefix(16)) == first)
    }

    @Test("the same label and context give unrelated keys to different usages")
    func usageSeparation() throws {
        let base = try AESKey<BaseDerivation>(generating: .bits128)
        let label = Array("MPOS TMK".utf8), context = Array("00000001".utf8) + [0, 0, 0, 0, 1]
        let asPIN = try CounterModeKDF.deriveKey(PINEncryption.self, size: .bits128, from: base, label: label, context: context)
        let asMAC = try CounterModeKDF.deriveKey(MessageAuthentication.self, size: .bits128, from: base, label: label, context: context)
        let asData = try CounterModeKDF.deriveKey(DataEncryption.self, size: .bits128, from: base, label: label, context: context)
        let tmk = try base.deriveTerminalMasterKey(terminalID: "00000001", baseKeyVersion: 1, device: SigningPrivateKey().publicKey)
        let bytes = [asPIN.copyOfMaterial(), asMAC.copyOfMaterial(), asData.copyOfMaterial(), tmk.copyOfMaterial()]
        #expect(Set(bytes).count == 4, "a terminal master key must not be re-derivable as a key of another usage")
    }

    @Test("every terminal, every base key version and every device enrolled under a terminal ID gets its own master key")
    func terminalMasterKeys() throws {
        let base = try AESKey<BaseDerivation>(generating: .bits256)
        let device = SigningPrivateKey().publicKey, replacement = SigningPrivateKey().publicKey
        let one = try base.deriveTerminalMasterKey(terminalID: "00000001", baseKeyVersion: 1, device: device)
        let two = try base.deriveTerminalMasterKey(terminalID: "00000002", baseKeyVersion: 1, device: device)
        let oneNext = try base.deriveTerminalMasterKey(terminalID: "00000001", baseKeyVersion: 2, device: device)
        let oneReplaced = try base.deriveTerminalMasterKey(terminalID: "00000001", baseKeyVersion: 1, device: replacement)
        #expect(Set([one, two, oneNext, oneReplaced].map { $0.copyOfMaterial() }).count == 4)
        #expect(one == (try base.deriveTerminalMasterKey(terminalID: "00000001", baseKeyVersion: 1, device: device)))
        #expect(throws: MPOSCryptoError(.invalidDerivationParameters, "")) { try base.deriveTerminalMasterKey(terminalID: "", baseKeyVersion: 1, device: device) }
        #expect(throws: MPOSCryptoError(.invalidDerivationParameters, "")) { try base.deriveTerminalMasterKey(terminalID: "1\u{0}", baseKeyVersion: 1, device: device) }
    }

    @Test("the terminal master key is SP 800-108 under the documented label and context, computed by hand")
    func terminalMasterKeyByHand() throws {
        let baseBytes = Array(0..<32).map(UInt8.init)
        let base = try AESKey<BaseDerivation>(unsafeRawBytes: baseBytes)
        let device = SigningPrivateKey().publicKey
        let context = Array("00000001".utf8) + [0, 0, 0, 0, 7] + Array(SHA256.hash(data: device.x963))
        // [i]32 ‖ "K1/MPOS TMK" ‖ 00 ‖ context ‖ [128]32: one block for a 128-bit key.
        let fixed = Array("K1/MPOS TMK".utf8) + [0] + context + [0, 0, 0, 128]
        let expected = try cmac(key: SymmetricKey(data: baseBytes), message: [0, 0, 0, 1] + fixed)
        #expect(try base.deriveTerminalMasterKey(terminalID: "00000001", baseKeyVersion: 7, device: device).copyOfMaterial() == expected)
    }

    @Test("labels and contexts are bounded; labels have no zero byte; only B0 keys derive")
    func parameters() throws {
        let base = try AESKey<BaseDerivation>(generating: .bits128)
        #expect(throws: MPOSCryptoError(.invalidDerivationParameters, "")) { try CounterModeKDF.deriveKey(DataEncryption.self, size: .bits128, from: base, label: [UInt8](), context: [1]) }
        #expect(throws: MPOSCryptoError(.invalidDerivationParameters, "")) { try CounterModeKDF.deriveKey(DataEncryption.self, size: .bits128, from: base, label: [65, 0, 66], context: [1]) }
        #expect(throws: MPOSCryptoError(.invalidDerivationParameters, "")) { try CounterModeKDF.deriveKey(DataEncryption.self, size: .bits128, from: base, label: [UInt8](repeating: 65, count: 65), context: [1]) }
        #expect(throws: MPOSCryptoError(.invalidDerivationParameters, "")) { try CounterModeKDF.deriveKey(DataEncryption.self, size: .bits128, from: base, label: [65], context: [UInt8](repeating: 1, count: 257)) }
        #expect(throws: MPOSCryptoError(.invalidDerivationParameters, "")) { try CounterModeKDF.derive(key: base.material, fixedInput: [], outputBits: 7, counterBytes: 4) }
        // An 8-bit counter allows at most 255 blocks.
        #expect(throws: MPOSCryptoError(.invalidDerivationParameters, "")) { try CounterModeKDF.derive(key: base.material, fixedInput: [], outputBits: 256 * 128, counterBytes: 1) }
    }
}
