import Testing
@testable import MPOSCrypto

@Suite("AES-CMAC (RFC 4493, NIST SP 800-38B)")
struct CMACTests {
    struct Vector: Decodable { let name: String; let key: String; let message: String; let mac: String }

    @Test("published vectors")
    func publishedVectors() throws {
        let file = try VectorFile<Vector>.load("aes-cmac")
        #expect(file.vectors.count >= 4)
        for vector in file.vectors {
            let key = try AESKey<MessageAuthentication>(unsafeRawBytes: hex(vector.key))
            let mac = try CMAC.authenticationCode(for: hex(vector.message), using: key)
            #expect(Hex.encode(mac) == vector.mac.uppercased(), "\(vector.name)")
            #expect(try CMAC.isValid(hex(vector.mac), for: hex(vector.message), using: key), "\(vector.name)")
        }
    }

    @Test("a changed message, tag or key does not verify; a short tag is not valid")
    func negatives() throws {
        let key = try AESKey<MessageAuthentication>(generating: .bits256)
        let message = Array("0200 card opening".utf8)
        let tag = try CMAC.authenticationCode(for: message, using: key)
        #expect(try CMAC.isValid(tag, for: message, using: key))
        for bit in 0..<(tag.count * 8) {
            var bad = tag
            bad[bit / 8] ^= 1 << (bit % 8)
            #expect(try !CMAC.isValid(bad, for: message, using: key))
        }
        var changed = message
        changed[0] ^= 1
        #expect(try !CMAC.isValid(tag, for: changed, using: key))
        #expect(try !CMAC.isValid(tag.prefix(8), for: message, using: key))
        try CMAC.verify(tag, for: message, using: key)
        #expect(throws: MPOSCryptoError(.macVerificationFailed, "")) { try CMAC.verify(tag.prefix(8), for: message, using: key) }
        #expect(throws: MPOSCryptoError(.macVerificationFailed, "")) { try CMAC.verify(tag, for: changed, using: key) }
        #expect(try !CMAC.isValid(tag, for: message, using: AESKey<MessageAuthentication>(generating: .bits256)))
    }

    @Test("generate-only keys cannot verify; verify-only keys cannot generate")
    func modes() throws {
        let key = try AESKey<MessageAuthentication>(generating: .bits128)
        let tag = try CMAC.authenticationCode(for: [1, 2, 3], using: key)
        #expect(throws: MPOSCryptoError(.modeOfUseNotPermitted, "")) { try CMAC.isValid(tag, for: [1, 2, 3], using: key.restricted(to: .generateOnly)) }
        #expect(throws: MPOSCryptoError(.modeOfUseNotPermitted, "")) { try CMAC.authenticationCode(for: [1, 2, 3], using: key.restricted(to: .verifyOnly)) }
        #expect(try CMAC.isValid(tag, for: [1, 2, 3], using: key.restricted(to: .verifyOnly)))
    }
}
