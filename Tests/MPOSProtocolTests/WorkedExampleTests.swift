import Crypto
import Foundation
import ISO8583
import MPOSTestSupport
import Testing
@_spi(ClearPIN) @testable import MPOSCrypto
@testable import MPOSProtocol
@testable import MPOSWorkedExample

/// The drift test of docs/protocol.md section 7: the page is the rendering of
/// docs/worked-example.json, and every value in that file is what the code computes or accepts.
@Suite("Worked example (docs/protocol.md section 7)", .timeLimit(.minutes(5)))
struct WorkedExampleTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let codec = ISO8583Codec(specification: .mpos)

    static func transcript() throws -> WorkedExampleTranscript {
        try WorkedExample.decoded(Array(Data(contentsOf: root.appendingPathComponent("docs/worked-example.json"))))
    }

    func bytes(_ step: String, _ name: String, in t: WorkedExampleTranscript) throws -> [UInt8] {
        let value = try #require(t.step(step)?.value(name), "\(step): \(name)")
        return try Hex.decode(value.value)
    }

    func text(_ step: String, _ name: String, in t: WorkedExampleTranscript) throws -> String {
        try #require(t.step(step)?.value(name), "\(step): \(name)").value
    }

    @Test("the page's section 7 is exactly the rendering of docs/worked-example.json")
    func pageMatchesFile() throws {
        let page = try String(contentsOf: Self.root.appendingPathComponent("docs/protocol.md"), encoding: .utf8)
        let section = try #require(WorkedExample.section(in: page))
        #expect(section == WorkedExample.markdown(try Self.transcript()).trimmingCharacters(in: .newlines),
                "docs/protocol.md section 7 drifted: run `swift run mpos-worked-example`")
    }

    @Test("everything that does not depend on fresh randomness regenerates to the same values")
    func deterministicValuesRegenerate() throws {
        let stored = try Self.transcript(), fresh = try WorkedExample.generate()
        #expect(stored.inputs == fresh.inputs)
        let deterministic = [
            ("enrollment", "K_EC (request) check value"), ("enrollment", "K_EC (response) check value"),
            ("101-104", "terminal master key check value (K1, derived)"), ("101-104", "PIN key check value"),
            ("101-104", "MAC key check value"), ("101-104", "data key check value"), ("101-104", "field 53 (key set)"),
            ("105-108", "plain PIN field"), ("105-108", "plain PAN field"), ("105-108", "field 52 (PIN block)"),
            ("105-108", "confidential data (TLV, before sealing)"), ("109-111", "confidential data (TLV, before sealing)"),
        ]
        for (step, name) in deterministic {
            #expect(stored.step(step)?.value(name) == fresh.step(step)?.value(name), "\(step): \(name)")
        }
    }

    @Test("every message decodes and re-encodes to itself, and is a request or response of its step")
    func messagesAreCanonical() throws {
        let t = try Self.transcript()
        for step in t.steps {
            let messages = step.values.filter { $0.name.hasSuffix(" message") }
            #expect(messages.count == 2, "\(step.id): a request and its response")
            for value in messages {
                let bytes = try Hex.decode(value.value)
                let message = try codec.decode(bytes)
                #expect(try codec.encode(message) == bytes, "\(step.id): \(value.name)")
                #expect(bytes.count + 2 <= 4096, "\(step.id): \(value.name) fits the default 4 KiB frame")
            }
        }
    }

    @Test("enrollment, sign-on and sign-off frames verify with the stated keys and carry the stated secrets")
    func networkMessagesVerify() throws {
        let t = try Self.transcript()
        let code = try EnrollmentCode(text: WorkedExample.enrollmentCode)
        let device = try SigningPrivateKey(unsafeRawRepresentation: Hex.decode(WorkedExample.deviceSigningScalar)).publicKey
        let host = try SigningPrivateKey(unsafeRawRepresentation: Hex.decode(WorkedExample.hostSigningScalar)).publicKey
        let hostSealing = try SealingPrivateKey(unsafeRawRepresentation: Hex.decode(WorkedExample.hostSealingScalar))
        let deviceSealing = try SealingPrivateKey(unsafeRawRepresentation: Hex.decode(WorkedExample.deviceSealingScalar))

        let enrollmentRequest = try bytes("enrollment", "0800 request message", in: t)
        let enrolled = try EnrollmentSecurity.verifyRequest(enrollmentRequest, codec: codec, code: code, terminalID: WorkedExample.terminalID)
        #expect(enrolled.signing == device)
        let pinned = try EnrollmentSecurity.verifyResponse(bytes("enrollment", "0810 response message", in: t), answering: enrollmentRequest, codec: codec, code: code,
                                                        terminalID: WorkedExample.terminalID)
        #expect(pinned.signing == host && pinned.sealing == hostSealing.publicKey)

        let operatorCredentials = try OperatorCredentials(number: "01", key: "111111")
        for (step, request, response) in [("101-104", "0800 request message", "0810 response message"), ("112", "0820 request message", "0830 response message")] {
            let authenticated = try MessageSignature.verify(bytes(step, request, in: t), codec: codec, signer: device)
            #expect(try SignOnSecurity.openCredentials(of: authenticated, with: hostSealing) == operatorCredentials, "\(step)")
            // Field 121: each response names the request it answers.
            _ = try MessageSignature.verifyResponse(bytes(step, response, in: t), answering: bytes(step, request, in: t), codec: codec, signer: host)
        }

        // Sign-on response: the TMK opens, matches the derivation, and unwraps the stated keys.
        let response = try MessageSignature.verify(bytes("101-104", "0810 response message", in: t), codec: codec, signer: host).message
        let keySet = try #require(KeySetIdentifier(field: text("101-104", "field 53 (key set)", in: t)))
        #expect(response.text(MPOSField.keySetIdentifier) == keySet.field)
        let masterKey = try SignOnSecurity.openMasterKey(response[MPOSField.sealedEnvelope]!, with: deviceSealing, terminalID: WorkedExample.terminalID, keySet: keySet)
        let derived = try AESKey<BaseDerivation>(unsafeRawBytes: Hex.decode(WorkedExample.baseMasterKey)).deriveTerminalMasterKey(terminalID: WorkedExample.terminalID, baseKeyVersion: 1, device: device)
        #expect(masterKey.copyOfMaterial() == derived.copyOfMaterial())
        #expect(try masterKey.checkValue().hex == text("101-104", "terminal master key check value (K1, derived)", in: t))
        #expect(response.text(MPOSField.keyBlocks) == (try text("101-104", "field 62 (key blocks and check values)", in: t)))
        let session = try SignOnSecurity.sessionKeys(fromKeyBlocksField: response.text(MPOSField.keyBlocks)!, under: masterKey, keySet: keySet)
        #expect(session.pinKey.copyOfMaterial() == (try Hex.decode(WorkedExample.pinKey)))
        #expect(session.macKey.copyOfMaterial() == (try Hex.decode(WorkedExample.macKey)))
        #expect(session.dataKey.copyOfMaterial() == (try Hex.decode(WorkedExample.dataKey)))
    }

    @Test("card opening and contract signing: MACs verify, field 61 and the PIN block recompute from the stated inputs")
    func businessMessagesVerify() throws {
        let t = try Self.transcript()
        let macKey = try AESKey<MessageAuthentication>(unsafeRawBytes: Hex.decode(WorkedExample.macKey))
        let dataKey = try AESKey<DataEncryption>(unsafeRawBytes: Hex.decode(WorkedExample.dataKey))
        let pinKey = try AESKey<PINEncryption>(unsafeRawBytes: Hex.decode(WorkedExample.pinKey))
        let pan = try PrimaryAccountNumber(WorkedExample.cardNumber), pin = try PIN("123456"), fill = try Hex.decode(WorkedExample.pinFill)

        #expect(PINBlockFormat4.pinField(pin, randomFill: fill) == (try bytes("105-108", "plain PIN field", in: t)))
        #expect(PINBlockFormat4.panField(pan) == (try bytes("105-108", "plain PAN field", in: t)))
        let pinBlock = try PINBlockFormat4.encipher(pin, pan: pan, using: pinKey, randomFill: fill).bytes
        #expect(pinBlock == (try bytes("105-108", "field 52 (PIN block)", in: t)))

        for step in ["105-108", "109-111"] {
            let request = try BusinessMessageSecurity.verify(bytes(step, "0200 request message", in: t), codec: codec, macKey: macKey)
            #expect(request.message[MPOSField.pinBlock] == pinBlock, "\(step)")
            #expect(try PINBlockFormat4.decipher(EncipheredPINBlock(bytes: request.message[MPOSField.pinBlock]!), pan: pan, using: pinKey) == pin)
            let sealed = request.message[MPOSField.confidentialData]!
            #expect(sealed == (try bytes(step, "field 61 (nonce ‖ ciphertext ‖ tag)", in: t)), "\(step)")
            let tlv = try bytes(step, "confidential data (TLV, before sealing)", in: t)
            #expect(try BusinessMessageSecurity.openConfidentialData(of: request, using: dataKey).encoded() == tlv, "\(step)")
            // GCM is deterministic given its nonce: re-seal with the stated one.
            let resealed = try AuthenticatedEncryption.seal(tlv, authenticating: BusinessMessageSecurity.associatedData(of: request.message),
                                                            using: dataKey, nonce: AES.GCM.Nonce(data: sealed.prefix(12)))
            #expect(resealed == sealed, "\(step)")
            let response = try BusinessMessageSecurity.verify(bytes(step, "0210 response message", in: t), codec: codec, macKey: macKey)
            #expect(response.message.text(MPOSField.responseCode) == "00")
        }
    }
}

extension WorkedExampleTests {
    struct PythonVerdict: Decodable { let checked: Int; let failures: [String] }

    @Test("the worked example re-verifies in Python (pyiso8583, pyca/cryptography, psec), without Swift")
    func pythonReverification() throws {
        let output = try PythonScript.run("worked_example_check.py", [Self.root.appendingPathComponent("docs/worked-example.json").path], input: Data())
        let verdict = try JSONDecoder().decode(PythonVerdict.self, from: output)
        #expect(verdict.checked >= 45)
        #expect(verdict.failures.isEmpty, "\(verdict.failures)")
    }
}
