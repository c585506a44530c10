import Foundation
import Crypto
import Testing
@testable import MPOSCrypto

@Suite("AES-GCM authenticated encryption under D0 keys")
struct AuthenticatedEncryptionTests {
    struct Vector: Decodable { let key: String; let iv: String; let aad: String; let plaintext: String; let ciphertext: String; let tag: String }
    struct FailureVector: Decodable { let key: String; let iv: String; let aad: String; let ciphertext: String; let tag: String }
    struct File: Decodable { let origin: String; let vectors: [Vector]; let failures: [FailureVector]? }

    static func loadFile() throws -> File { try loadVectorFile("aes-gcm-cavp", as: File.self) }

    @Test("NIST CAVP GCM vectors: seal gives ciphertext and tag, open gives the plaintext")
    func cavp() throws {
        let file = try Self.loadFile()
        #expect(file.vectors.count >= 30)
        for (index, vector) in file.vectors.enumerated() {
            let key = try AESKey<DataEncryption>(unsafeRawBytes: hex(vector.key))
            let sealed = try AuthenticatedEncryption.seal(hex(vector.plaintext), authenticating: hex(vector.aad), using: key, nonce: AES.GCM.Nonce(data: hex(vector.iv)))
            #expect(Hex.encode(sealed) == (vector.iv + vector.ciphertext + vector.tag).uppercased(), "vector \(index)")
            let opened = try AuthenticatedEncryption.open(hex(vector.iv + vector.ciphertext + vector.tag), authenticating: hex(vector.aad), using: key)
            #expect(Hex.encode(opened) == vector.plaintext.uppercased(), "vector \(index)")
        }
        for (index, vector) in (file.failures ?? []).enumerated() {
            let key = try AESKey<DataEncryption>(unsafeRawBytes: hex(vector.key))
            #expect(throws: MPOSCryptoError(.authenticationFailed, ""), "failure vector \(index)") {
                try AuthenticatedEncryption.open(hex(vector.iv + vector.ciphertext + vector.tag), authenticating: hex(vector.aad), using: key)
            }
        }
    }

    @Test("any changed bit of nonce, ciphertext, tag or associated data is refused")
    func tampering() throws {
        let key = try AESKey<DataEncryption>(generating: .bits256)
        let aad = Array("0200|00000001|000123".utf8)
        let sealed = try AuthenticatedEncryption.seal(Array("card 4367123412341234123".utf8), authenticating: aad, using: key)
        for bit in 0..<(sealed.count * 8) {
            var bad = sealed
            bad[bit / 8] ^= 1 << (bit % 8)
            #expect(throws: MPOSCryptoError(.authenticationFailed, "")) { try AuthenticatedEncryption.open(bad, authenticating: aad, using: key) }
        }
        var badAAD = aad
        badAAD[0] ^= 1
        #expect(throws: MPOSCryptoError(.authenticationFailed, "")) { try AuthenticatedEncryption.open(sealed, authenticating: badAAD, using: key) }
        #expect(throws: MPOSCryptoError(.authenticationFailed, "")) { try AuthenticatedEncryption.open(sealed, authenticating: aad, using: AESKey<DataEncryption>(generating: .bits256)) }
        for length in [0, 1, 12, 27] {
            #expect(throws: MPOSCryptoError(.malformedSealedMessage, "")) { try AuthenticatedEncryption.open(sealed.prefix(length), authenticating: aad, using: key) }
        }
        #expect(try AuthenticatedEncryption.open(sealed, authenticating: aad, using: key) == Array("card 4367123412341234123".utf8))
    }

    @Test("every message gets a fresh nonce")
    func freshNonces() throws {
        let key = try AESKey<DataEncryption>(generating: .bits128)
        let nonces = try (0..<200).map { _ in try AuthenticatedEncryption.seal([1, 2, 3], authenticating: [UInt8](), using: key).prefix(12) }
        #expect(Set(nonces.map(Array.init)).count == 200)
    }

    @Test("encrypt-only keys cannot open, decrypt-only keys cannot seal")
    func modes() throws {
        let key = try AESKey<DataEncryption>(generating: .bits128)
        let sealed = try AuthenticatedEncryption.seal([1], authenticating: [UInt8](), using: key.restricted(to: .encryptOnly))
        #expect(throws: MPOSCryptoError(.modeOfUseNotPermitted, "")) { try AuthenticatedEncryption.open(sealed, authenticating: [UInt8](), using: key.restricted(to: .encryptOnly)) }
        #expect(throws: MPOSCryptoError(.modeOfUseNotPermitted, "")) { try AuthenticatedEncryption.seal([1], authenticating: [UInt8](), using: key.restricted(to: .decryptOnly)) }
    }
}
