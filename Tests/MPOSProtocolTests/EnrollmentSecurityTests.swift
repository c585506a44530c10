import Crypto
import Foundation
import ISO8583
import MPOSCrypto
import Testing
@testable import MPOSProtocol

@Suite("Enrollment: the code proves both sides, the signature proves the device key")
struct EnrollmentSecurityTests {
    let codec = ISO8583Codec(specification: .mpos)

    func request(code: EnrollmentCode, device: SigningPrivateKey, sealing: SealingPrivateKey) throws -> [UInt8] {
        var message = ISO8583Message(mti: MessageKind.enrollment.requestMTI)
        message.setText(MPOSField.transmissionDateTime, "1127074300")
        message.setText(MPOSField.systemTraceAuditNumber, "000001")
        message.setText(MPOSField.terminalID, "00000001")
        message.setText(MPOSField.networkManagementCode, NetworkManagementCode.enrollment.rawValue)
        message[MPOSField.publicKeys] = EnrollmentSecurity.publicKeysField(signing: device.publicKey, sealing: sealing.publicKey)
        return try EnrollmentSecurity.protectRequest(message, signingKey: device, code: code, terminalID: "00000001", codec: codec)
    }

    func response(code: EnrollmentCode, signing: SigningPrivateKey, sealing: SealingPrivateKey, to request: AuthenticatedMessage) throws -> [UInt8] {
        var response = ISO8583Message(mti: MessageKind.enrollment.responseMTI)
        for field in [MPOSField.transmissionDateTime, MPOSField.systemTraceAuditNumber, MPOSField.terminalID, MPOSField.networkManagementCode] {
            response[field] = request.message[field]
        }
        response.setText(MPOSField.responseCode, ResponseCode.approved.rawValue)
        response[MPOSField.publicKeys] = EnrollmentSecurity.publicKeysField(signing: signing.publicKey, sealing: sealing.publicKey)
        return try EnrollmentSecurity.protectResponse(response, answering: request.bytes, signingKey: signing, code: code, terminalID: "00000001", codec: codec)
    }

    @Test("the host accepts the device that knows the code and holds its key; the device pins the host that knows the code")
    func exchange() throws {
        let code = EnrollmentCode(), device = SigningPrivateKey(), sealing = SealingPrivateKey()
        let wire = try request(code: code, device: device, sealing: sealing)
        let (received, deviceSigning, deviceSealing) = try EnrollmentSecurity.verifyRequest(wire, codec: codec, code: code, terminalID: "00000001")
        #expect(MessageKind(request: received.message) == .enrollment)
        #expect(deviceSigning == device.publicKey && deviceSealing == sealing.publicKey)

        let hostSigning = SigningPrivateKey(), hostSealing = SealingPrivateKey()
        let answer = try response(code: code, signing: hostSigning, sealing: hostSealing, to: received)
        let (_, pinnedSigning, pinnedSealing) = try EnrollmentSecurity.verifyResponse(answer, answering: wire, codec: codec, code: code, terminalID: "00000001")
        #expect(pinnedSigning == hostSigning.publicKey && pinnedSealing == hostSealing.publicKey)
    }

    @Test("the response names the request it answers (field 121): an answer to another request of the same terminal is refused")
    func responseAnswersItsRequest() throws {
        let code = EnrollmentCode(), device = SigningPrivateKey(), sealing = SealingPrivateKey()
        let first = try request(code: code, device: device, sealing: sealing)
        let second = try request(code: code, device: device, sealing: sealing)  // same fields, a fresh signature
        let answer = try response(code: code, signing: SigningPrivateKey(), sealing: SealingPrivateKey(),
                                  to: EnrollmentSecurity.verifyRequest(first, codec: codec, code: code, terminalID: "00000001").message)
        #expect(try codec.decode(answer)[MPOSField.requestDigest] == Array(SHA256.hash(data: first)))
        _ = try EnrollmentSecurity.verifyResponse(answer, answering: first, codec: codec, code: code, terminalID: "00000001")
        #expect(throws: ProtocolError(.signatureInvalid, "")) {
            try EnrollmentSecurity.verifyResponse(answer, answering: second, codec: codec, code: code, terminalID: "00000001")
        }
    }

    @Test("a request cannot be checked as a response, nor a response as a request")
    func directions() throws {
        let code = EnrollmentCode(), device = SigningPrivateKey()
        let wire = try request(code: code, device: device, sealing: SealingPrivateKey())
        #expect(throws: ProtocolError(.signatureInvalid, "")) { try EnrollmentSecurity.verifyResponse(wire, answering: wire, codec: codec, code: code, terminalID: "00000001") }
        var message = try codec.decode(wire)
        message[MPOSField.signature] = nil
        message[MPOSField.secondaryMAC] = nil
        #expect(throws: ProtocolError.self) {
            try EnrollmentSecurity.protectResponse(message, answering: wire, signingKey: device, code: code, terminalID: "00000001", codec: codec)
        }
    }

    @Test("an impostor host with its own keys but without the code cannot get them pinned")
    func impostorHost() throws {
        let code = EnrollmentCode()
        let wire = try request(code: code, device: SigningPrivateKey(), sealing: SealingPrivateKey())
        let received = try EnrollmentSecurity.verifyRequest(wire, codec: codec, code: code, terminalID: "00000001").message
        // Signed by the impostor's own key, which its own field 120 names: only the code is missing.
        let impostor = try response(code: EnrollmentCode(), signing: SigningPrivateKey(), sealing: SealingPrivateKey(), to: received)
        #expect(throws: ProtocolError(.signatureInvalid, "")) { try EnrollmentSecurity.verifyResponse(impostor, answering: wire, codec: codec, code: code, terminalID: "00000001") }
    }

    @Test("a terminal's own request reflected back does not pass as the host's answer")
    func reflection() throws {
        let code = EnrollmentCode()
        let wire = try request(code: code, device: SigningPrivateKey(), sealing: SealingPrivateKey())
        var reflected = try codec.decode(wire)
        reflected.mti = MessageKind.enrollment.responseMTI
        let reflectedWire = try codec.encode(reflected)
        #expect(throws: ProtocolError(.signatureInvalid, "")) {
            try EnrollmentSecurity.verifyResponse(reflectedWire, answering: wire, codec: codec, code: code, terminalID: "00000001")
        }
    }

    @Test("a wrong code, another terminal ID, one key for both uses, or a changed byte is refused (63)")
    func refusals() throws {
        let code = EnrollmentCode(), device = SigningPrivateKey(), sealing = SealingPrivateKey()
        let wire = try request(code: code, device: device, sealing: sealing)
        #expect(throws: ProtocolError(.signatureInvalid, "")) { try EnrollmentSecurity.verifyRequest(wire, codec: codec, code: EnrollmentCode(), terminalID: "00000001") }
        #expect(throws: ProtocolError(.signatureInvalid, "")) { try EnrollmentSecurity.verifyRequest(wire, codec: codec, code: code, terminalID: "00000002") }
        for index in stride(from: 0, to: wire.count, by: 5) {
            var changed = wire
            changed[index] ^= 0x02
            #expect(throws: ProtocolError.self, "byte \(index)") { try EnrollmentSecurity.verifyRequest(changed, codec: codec, code: code, terminalID: "00000001") }
        }
        // Field 120 with the same point twice: one key would both sign and receive envelopes.
        var message = ISO8583Message(mti: MessageKind.enrollment.requestMTI)
        message.setText(MPOSField.transmissionDateTime, "1127074300")
        message.setText(MPOSField.systemTraceAuditNumber, "000001")
        message.setText(MPOSField.terminalID, "00000001")
        message.setText(MPOSField.networkManagementCode, NetworkManagementCode.enrollment.rawValue)
        message[MPOSField.publicKeys] = device.publicKey.x963 + device.publicKey.x963
        let sameKey = try EnrollmentSecurity.protectRequest(message, signingKey: device, code: code, terminalID: "00000001", codec: codec)
        #expect(throws: ProtocolError(.signatureInvalid, "")) { try EnrollmentSecurity.verifyRequest(sameKey, codec: codec, code: code, terminalID: "00000001") }
    }

    @Test("codes: 32 hex digits, shown in groups, typed with or without dashes, never printed or dumped")
    func codes() throws {
        let code = EnrollmentCode()
        let shown = code.unsafeDisplayText
        #expect(shown.count == 39 && shown.split(separator: "-").count == 8)
        let typed = try EnrollmentCode(text: shown.replacingOccurrences(of: "-", with: " ").lowercased())
        #expect(typed.bytes == code.bytes)
        #expect(code.description == "EnrollmentCode(redacted)")
        var dumped = ""
        dump(code, to: &dumped)
        #expect(dumped.split(whereSeparator: \.isNewline).count <= 1, "dump shows no bytes")
        #expect(throws: ProtocolError.self) { try EnrollmentCode(text: "1234") }
        #expect(EnrollmentCode().bytes != code.bytes)
    }
}
