import Crypto
import Testing
import _CryptoExtras
@testable import MPOSCrypto

/// The raw AES primitives the constructions are built on, as mpos calls them: the block
/// function (PIN blocks) and CBC without padding (TR-31 payloads).
@Suite("AES primitives as wrapped (FIPS-197, NIST SP 800-38A)")
struct AESPrimitiveTests {
    struct BlockVector: Decodable { let name: String; let key: String; let plaintext: String; let ciphertext: String }
    struct CBCVector: Decodable { let name: String; let key: String; let iv: String; let plaintext: String; let ciphertext: String }

    @Test("AES block function: FIPS-197 Appendix C and CAVP ECB known answers")
    func blockFunction() throws {
        let file = try VectorFile<BlockVector>.load("aes-block-fips197")
        #expect(file.vectors.count >= 3)
        for vector in file.vectors {
            let key = SymmetricKey(data: hex(vector.key))
            var block = hex(vector.plaintext)
            try AES.permute(&block, key: key)
            #expect(Hex.encode(block) == vector.ciphertext.uppercased(), "\(vector.name)")
            try AES.inversePermute(&block, key: key)
            #expect(Hex.encode(block) == vector.plaintext.uppercased(), "\(vector.name)")
        }
    }

    @Test("AES-CBC without padding: SP 800-38A F.2")
    func cbc() throws {
        let file = try VectorFile<CBCVector>.load("aes-cbc-sp800-38a")
        #expect(file.vectors.count >= 3)
        for vector in file.vectors {
            let key = SymmetricKey(data: hex(vector.key))
            let iv = try AES._CBC.IV(ivBytes: hex(vector.iv))
            let encrypted = try AES._CBC.encrypt(hex(vector.plaintext), using: key, iv: iv, noPadding: true)
            #expect(Hex.encode(encrypted) == vector.ciphertext.uppercased(), "\(vector.name)")
            let decrypted = try AES._CBC.decrypt(hex(vector.ciphertext), using: key, iv: iv, noPadding: true)
            #expect(Hex.encode(decrypted) == vector.plaintext.uppercased(), "\(vector.name)")
        }
    }
}
