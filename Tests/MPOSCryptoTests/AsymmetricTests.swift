import Testing
@testable import MPOSCrypto

@Suite("P-256 signatures and HPKE envelopes")
struct AsymmetricTests {
    @Test("a signature verifies for its message and key only; malformed ones are refused")
    func signatures() throws {
        let key = SigningPrivateKey()
        let message = Array("0800 sign-on".utf8)
        let signature = try key.signature(for: message)
        #expect(signature.count == 64)
        try key.publicKey.verify(signature, for: message)
        #expect(throws: MPOSCryptoError(.signatureInvalid, "")) { try key.publicKey.verify(signature, for: message + [0]) }
        #expect(throws: MPOSCryptoError(.signatureInvalid, "")) { try SigningPrivateKey().publicKey.verify(signature, for: message) }
        for bit in stride(from: 0, to: 512, by: 7) {
            var bad = signature
            bad[bit / 8] ^= 1 << (bit % 8)
            #expect(throws: MPOSCryptoError(.signatureInvalid, "")) { try key.publicKey.verify(bad, for: message) }
        }
        #expect(throws: MPOSCryptoError(.signatureInvalid, "")) { try key.publicKey.verify(signature.prefix(63), for: message) }
        #expect(throws: MPOSCryptoError(.signatureInvalid, "")) { try key.publicKey.verify([UInt8](repeating: 0, count: 64), for: message) }
        // Always low-S; the high-S twin (r, n − s), valid in plain ECDSA, is refused.
        for _ in 0..<50 {
            let signature = try key.signature(for: message)
            #expect(LowS.isLow(Array(signature.suffix(32))))
            let twin = Array(signature.prefix(32)) + LowS.subtract(Array(signature.suffix(32)), from: LowS.order)
            #expect(throws: MPOSCryptoError(.signatureInvalid, "")) { try key.publicKey.verify(twin, for: message) }
        }
    }

    @Test("public keys travel as 65-byte X9.62 points; off-curve or short ones are refused")
    func publicKeys() throws {
        let key = SigningPrivateKey().publicKey
        #expect(try SigningPublicKey(x963: key.x963) == key)
        var offCurve = key.x963
        offCurve[64] ^= 1
        #expect(throws: MPOSCryptoError(.invalidAsymmetricKey, "")) { try SigningPublicKey(x963: offCurve) }
        #expect(throws: MPOSCryptoError(.invalidAsymmetricKey, "")) { try SealingPublicKey(x963: key.x963.prefix(33)) }
        #expect(key.fingerprint.count == 16)
    }

    @Test("an envelope opens with its key and info only; any changed byte is refused")
    func envelopes() throws {
        let recipient = SealingPrivateKey()
        let info = Array("mpos v1 sign-on".utf8)
        let envelope = try recipient.publicKey.seal(Array("01111111".utf8), info: info)
        #expect(envelope.count == 65 + 8 + 16)
        #expect(try recipient.open(envelope, info: info) == Array("01111111".utf8))
        #expect(throws: MPOSCryptoError(.envelopeInvalid, "")) { try recipient.open(envelope, info: Array("mpos v1 sign-off".utf8)) }
        #expect(throws: MPOSCryptoError(.envelopeInvalid, "")) { try SealingPrivateKey().open(envelope, info: info) }
        for index in envelope.indices {
            var bad = envelope
            bad[index] ^= 0x40
            #expect(throws: MPOSCryptoError(.envelopeInvalid, ""), "byte \(index)") { try recipient.open(bad, info: info) }
        }
        #expect(throws: MPOSCryptoError(.envelopeInvalid, "")) { try recipient.open(envelope.prefix(80), info: info) }
        #expect(throws: MPOSCryptoError(.envelopeInvalid, "")) { try recipient.open([UInt8](repeating: 4, count: 1000), info: info) }
    }

    @Test("private keys never print, and dump shows no key material")
    func redaction() throws {
        let signing = SigningPrivateKey(), sealing = SealingPrivateKey()
        let scalars = [Hex.encode(signing.unsafeRawRepresentation.prefix(6)), Hex.encode(sealing.unsafeRawRepresentation.prefix(6))]
        for text in [signing.description, sealing.description, "\(signing)", "\(sealing)", dumped(signing), dumped(sealing)] {
            #expect(scalars.allSatisfy { !text.contains($0) })
            #expect(text.split(whereSeparator: \.isNewline).count <= 2, "dump shows the description, not the key's internals")
        }
    }
}

extension CrossCheckTests {
    struct ECDSACase: Codable { let public_key: String; let message: String; let signature: String }
    struct HPKECase: Codable { let private_key: String; let info: String; let plaintext: String; let envelope: String }

    @Test("ECDSA P-256: Swift signs, cryptography verifies")
    func ecdsaSwiftToPython() throws {
        var rng = SeededGenerator(seed: randomizedSeed)
        let cases = try (0..<Self.casesPerDirection).map { _ in
            let key = SigningPrivateKey(), message = rng.bytes(Int.random(in: 0...300, using: &rng))
            return ECDSACase(public_key: Hex.encode(key.publicKey.x963), message: Hex.encode(message), signature: Hex.encode(try key.signature(for: message)))
        }
        let verdict = try PythonOracle.verify(kind: "ecdsa", cases: cases)
        #expect(verdict.checked == cases.count && verdict.failures.isEmpty, "seed \(randomizedSeed): \(verdict.failures.prefix(5))")
    }

    @Test("ECDSA P-256: cryptography signs, Swift verifies")
    func ecdsaPythonToSwift() throws {
        let cases = try PythonOracle.produce(kind: "ecdsa", count: Self.casesPerDirection, seed: randomizedSeed, as: ECDSACase.self)
        #expect(cases.count == Self.casesPerDirection)
        for (index, c) in cases.enumerated() {
            #expect(throws: Never.self, "seed \(randomizedSeed) case \(index)") {
                try SigningPublicKey(x963: hex(c.public_key)).verify(hex(c.signature), for: hex(c.message))
            }
        }
    }

    @Test("HPKE P256_SHA256_AES_GCM_256: Swift seals, cryptography opens")
    func hpkeSwiftToPython() throws {
        var rng = SeededGenerator(seed: randomizedSeed)
        let cases = try (0..<Self.casesPerDirection).map { _ in
            let recipient = SealingPrivateKey()
            let plaintext = rng.bytes(Int.random(in: 0...200, using: &rng)), info = rng.bytes(Int.random(in: 0...64, using: &rng))
            return HPKECase(private_key: Hex.encode(recipient.unsafeRawRepresentation), info: Hex.encode(info), plaintext: Hex.encode(plaintext),
                            envelope: Hex.encode(try recipient.publicKey.seal(plaintext, info: info)))
        }
        let verdict = try PythonOracle.verify(kind: "hpke", cases: cases)
        #expect(verdict.checked == cases.count && verdict.failures.isEmpty, "seed \(randomizedSeed): \(verdict.failures.prefix(5))")
    }

    @Test("HPKE P256_SHA256_AES_GCM_256: cryptography seals, Swift opens")
    func hpkePythonToSwift() throws {
        let cases = try PythonOracle.produce(kind: "hpke", count: Self.casesPerDirection, seed: randomizedSeed, as: HPKECase.self)
        #expect(cases.count == Self.casesPerDirection)
        for (index, c) in cases.enumerated() {
            let recipient = try SealingPrivateKey(unsafeRawRepresentation: hex(c.private_key))
            #expect(try recipient.open(hex(c.envelope), info: hex(c.info)) == hex(c.plaintext), "seed \(randomizedSeed) case \(index)")
        }
    }
}
