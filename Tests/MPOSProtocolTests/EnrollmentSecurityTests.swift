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
        return try EnrollmentSecurity.protect(message, signingKey: device, code: code, terminalID: "00000001", codec: codec)
    }

    @Test("the host accepts the device that knows the code and holds its key; the device pins the host that knows the code")
    func exchange() throws {
        let code = EnrollmentCode(), device = SigningPrivateKey(), sealing = SealingPrivateKey()
        let wire = try request(code: code, device: device, sealing: sealing)
        let received = try codec.decode(wire)
        #expect(MessageKind(request: received) == .enrollment)
        let keys = try EnrollmentSecurity.publicKeys(of: received)
        #expect(keys.signing == device.publicKey && keys.sealing == sealing.publicKey)
        try EnrollmentSecurity.verify(wire, decoded: received, signer: keys.signing, code: code, terminalID: "00000001")

        let hostSigning = SigningPrivateKey(), hostSealing = SealingPrivateKey()
        var response = ISO8583Message(mti: MessageKind.enrollment.responseMTI)
        for field in [MPOSField.transmissionDateTime, MPOSField.systemTraceAuditNumber, MPOSField.terminalID, MPOSField.networkManagementCode] {
            response[field] = received[field]
        }
        response.setText(MPOSField.responseCode, ResponseCode.approved.rawValue)
        response[MPOSField.publicKeys] = EnrollmentSecurity.publicKeysField(signing: hostSigning.publicKey, sealing: hostSealing.publicKey)
        let responseWire = try EnrollmentSecurity.protect(response, signingKey: hostSigning, code: code, terminalID: "00000001", codec: codec)
        let answer = try codec.decode(responseWire)
        let hostKeys = try EnrollmentSecurity.publicKeys(of: answer)
        try EnrollmentSecurity.verify(responseWire, decoded: answer, signer: hostKeys.signing, code: code, terminalID: "00000001")
        #expect(hostKeys.signing == hostSigning.publicKey)

        // An impostor host without the code cannot get its keys pinned.
        let impostor = try EnrollmentSecurity.protect(response, signingKey: SigningPrivateKey(), code: EnrollmentCode(), terminalID: "00000001", codec: codec)
        #expect(throws: ProtocolError(.signatureInvalid, "")) {
            try EnrollmentSecurity.verify(impostor, decoded: codec.decode(impostor), signer: hostKeys.signing, code: code, terminalID: "00000001")
        }
    }

    @Test("a wrong code, another terminal ID, another device's signature or a changed byte is refused (63)")
    func refusals() throws {
        let code = EnrollmentCode(), device = SigningPrivateKey(), sealing = SealingPrivateKey()
        let wire = try request(code: code, device: device, sealing: sealing)
        let received = try codec.decode(wire)
        #expect(throws: ProtocolError(.signatureInvalid, "")) { try EnrollmentSecurity.verify(wire, decoded: received, signer: device.publicKey, code: EnrollmentCode(), terminalID: "00000001") }
        #expect(throws: ProtocolError(.signatureInvalid, "")) { try EnrollmentSecurity.verify(wire, decoded: received, signer: device.publicKey, code: code, terminalID: "00000002") }
        #expect(throws: ProtocolError(.signatureInvalid, "")) { try EnrollmentSecurity.verify(wire, decoded: received, signer: SigningPrivateKey().publicKey, code: code, terminalID: "00000001") }
        for index in stride(from: 0, to: wire.count, by: 5) {
            var changed = wire
            changed[index] ^= 0x02
            guard let decoded = try? codec.decode(changed) else { continue }
            #expect(throws: ProtocolError.self, "byte \(index)") { try EnrollmentSecurity.verify(changed, decoded: decoded, signer: device.publicKey, code: code, terminalID: "00000001") }
        }
    }

    @Test("codes: 32 hex digits, shown in groups, typed with or without dashes, never printed")
    func codes() throws {
        let code = EnrollmentCode()
        let shown = code.unsafeDisplayText
        #expect(shown.count == 39 && shown.split(separator: "-").count == 8)
        let typed = try EnrollmentCode(text: shown.replacingOccurrences(of: "-", with: " ").lowercased())
        #expect(typed.bytes == code.bytes)
        #expect(code.description == "EnrollmentCode(redacted)")
        #expect(throws: ProtocolError.self) { try EnrollmentCode(text: "1234") }
        #expect(EnrollmentCode().bytes != code.bytes)
    }
}
