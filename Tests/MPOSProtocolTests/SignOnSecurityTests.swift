import ISO8583
@testable import MPOSCrypto
import Testing
@testable import MPOSProtocol

typealias LowSForTests = LowS

@Suite("Sign-on security: signed requests, sealed credentials, delivered keys")
struct SignOnSecurityTests {
    let codec = ISO8583Codec(specification: .mpos)
    let hostSigning = SigningPrivateKey(), hostSealing = SealingPrivateKey()
    let deviceSigning = SigningPrivateKey(), deviceSealing = SealingPrivateKey()

    func signOnRequest(operator credentials: OperatorCredentials) throws -> [UInt8] {
        var message = ISO8583Message(mti: MessageKind.signOn.requestMTI)
        message.setText(MPOSField.transmissionDateTime, "1127074300")
        message.setText(MPOSField.systemTraceAuditNumber, "000001")
        message.setText(MPOSField.terminalID, "00000001")
        message.setText(MPOSField.networkManagementCode, NetworkManagementCode.signOn.rawValue)
        try SignOnSecurity.sealCredentials(credentials, into: &message, to: hostSealing.publicKey)
        return try MessageSignature.sign(message, with: deviceSigning, codec: codec)
    }

    @Test("the patent's step 101-104: operator 01/111111 signs on, the terminal gets its master key and fresh session keys")
    func fullExchange() throws {
        // Terminal: request.
        let wire = try signOnRequest(operator: OperatorCredentials(number: "01", key: "111111"))
        #expect(!String(decoding: wire, as: UTF8.self).contains("111111"), "the operator key never travels in clear")

        // Host: verify the device, open the credentials.
        let authenticated = try MessageSignature.verify(wire, codec: codec, signer: deviceSigning.publicKey)
        let request = authenticated.message
        #expect(MessageKind(request: request) == .signOn)
        #expect(try SignOnSecurity.openCredentials(of: authenticated, with: hostSealing) == OperatorCredentials(number: "01", key: "111111"))

        // Host: response with the terminal master key and fresh keys.
        let base = try AESKey<BaseDerivation>(generating: .bits256)
        let keySet = KeySetIdentifier(baseKeyVersion: 1, session: 1)!
        let masterKey = try base.deriveTerminalMasterKey(terminalID: "00000001", baseKeyVersion: 1, device: deviceSigning.publicKey)
        let pinKey = try AESKey<PINEncryption>(generating: .bits128), macKey = try AESKey<MessageAuthentication>(generating: .bits128)
        let dataKey = try AESKey<DataEncryption>(generating: .bits128)
        var response = ISO8583Message(mti: MessageKind.signOn.responseMTI)
        for field in [MPOSField.transmissionDateTime, MPOSField.systemTraceAuditNumber, MPOSField.terminalID, MPOSField.networkManagementCode] {
            response[field] = request[field]
        }
        response.setText(MPOSField.responseCode, ResponseCode.approved.rawValue)
        response.setText(MPOSField.keySetIdentifier, keySet.field)
        response.setText(MPOSField.keyBlocks, try SignOnSecurity.keyBlocksField(pinKey: pinKey, macKey: macKey, dataKey: dataKey, under: masterKey))
        response[MPOSField.sealedEnvelope] = try SignOnSecurity.sealMasterKey(masterKey, to: deviceSealing.publicKey, terminalID: "00000001", keySet: keySet)
        let responseWire = try MessageSignature.sign(response, with: hostSigning, codec: codec)
        #expect(responseWire.count + 2 <= 4096, "a sign-on response fits one frame")

        // Terminal: verify the host it pinned, open its master key, unwrap and check the keys.
        let received = try MessageSignature.verify(responseWire, codec: codec, signer: hostSigning.publicKey).message
        let receivedKeySet = try #require(KeySetIdentifier(field: received.text(MPOSField.keySetIdentifier) ?? ""))
        let terminalMasterKey = try SignOnSecurity.openMasterKey(received[MPOSField.sealedEnvelope]!, with: deviceSealing, terminalID: "00000001", keySet: receivedKeySet)
        #expect(try terminalMasterKey.checkValue() == masterKey.checkValue())
        #expect(terminalMasterKey.exportability == .nonExportable, "the terminal keeps its master key")
        let session = try SignOnSecurity.sessionKeys(fromKeyBlocksField: received.text(MPOSField.keyBlocks)!, under: terminalMasterKey, keySet: receivedKeySet)
        #expect(session.pinKey.modeOfUse == .encryptOnly, "the terminal's PIN key can only make PIN blocks")
        #expect(try session.pinKey.checkValue() == pinKey.checkValue())
        #expect(try session.macKey.checkValue() == macKey.checkValue())
        #expect(try session.dataKey.checkValue() == dataKey.checkValue())
        #expect(session.keySet == keySet)
    }

    @Test("an unknown device, a changed byte or a lifted envelope is refused (63)")
    func refusals() throws {
        let wire = try signOnRequest(operator: OperatorCredentials(number: "01", key: "111111"))
        let error = #expect(throws: ProtocolError.self) { try MessageSignature.verify(wire, codec: codec, signer: SigningPrivateKey().publicKey) }
        #expect(error?.responseCode == .securityViolation)
        for index in stride(from: 0, to: wire.count, by: 3) {
            var changed = wire
            changed[index] ^= 0x01
            guard (try? codec.decode(changed)) != nil else { continue }
            #expect(throws: ProtocolError(.signatureInvalid, ""), "byte \(index)") { try MessageSignature.verify(changed, codec: codec, signer: deviceSigning.publicKey) }
        }
        // The malleated twin (r, n − s) of a valid signature is refused: one encoding per message.
        let signature = Array(wire.suffix(64))
        let twin = Array(signature.prefix(32)) + LowSForTests.subtract(Array(signature.suffix(32)), from: LowSForTests.order)
        #expect(throws: ProtocolError(.signatureInvalid, "")) { try MessageSignature.verify(Array(wire.dropLast(64)) + twin, codec: codec, signer: deviceSigning.publicKey) }
        // The envelope is bound to its message: moved to another STAN, it does not open.
        let authenticated = try MessageSignature.verify(wire, codec: codec, signer: deviceSigning.publicKey)
        var moved = authenticated.message
        moved.setText(MPOSField.systemTraceAuditNumber, "000002")
        #expect(throws: ProtocolError(.envelopeInvalid, "")) { try SignOnSecurity.openCredentials(of: AuthenticatedMessage(message: moved, bytes: []), with: hostSealing) }
        #expect(throws: ProtocolError(.envelopeInvalid, "")) { try SignOnSecurity.openCredentials(of: authenticated, with: SealingPrivateKey()) }
    }

    @Test("key blocks under another master key, swapped blocks, or a wrong check value are refused")
    func keyDeliveryRefusals() throws {
        let masterKey = try AESKey<KeyBlockProtection>(generating: .bits128)
        let keySet = KeySetIdentifier(baseKeyVersion: 1, session: 7)!
        let pin = try AESKey<PINEncryption>(generating: .bits128), mac = try AESKey<MessageAuthentication>(generating: .bits128)
        let data = try AESKey<DataEncryption>(generating: .bits128)
        let field = try SignOnSecurity.keyBlocksField(pinKey: pin, macKey: mac, dataKey: data, under: masterKey)
        _ = try SignOnSecurity.sessionKeys(fromKeyBlocksField: field, under: masterKey, keySet: keySet)
        #expect(throws: ProtocolError(.keyDeliveryInvalid, "")) {
            try SignOnSecurity.sessionKeys(fromKeyBlocksField: field, under: AESKey<KeyBlockProtection>(generating: .bits128), keySet: keySet)
        }
        // The MAC key's block first: refused, as each position has one usage.
        let blocks = [field.prefix(150), field.dropFirst(150).prefix(150), field.dropFirst(300)]
        #expect(blocks.allSatisfy { $0.count == 150 })
        #expect(throws: ProtocolError(.keyDeliveryInvalid, "")) {
            try SignOnSecurity.sessionKeys(fromKeyBlocksField: String(blocks[1] + blocks[0] + blocks[2]), under: masterKey, keySet: keySet)
        }
        var wrongKCV = Array(field)
        wrongKCV[149] = wrongKCV[149] == "0" ? "1" : "0"
        #expect(throws: ProtocolError(.keyDeliveryInvalid, "")) { try SignOnSecurity.sessionKeys(fromKeyBlocksField: String(wrongKCV), under: masterKey, keySet: keySet) }
        #expect(throws: ProtocolError(.keyDeliveryInvalid, "")) { try SignOnSecurity.sessionKeys(fromKeyBlocksField: field + "X", under: masterKey, keySet: keySet) }
        #expect(throws: ProtocolError(.keyDeliveryInvalid, "")) { try SignOnSecurity.sessionKeys(fromKeyBlocksField: String(field.prefix(100)), under: masterKey, keySet: keySet) }
        for hostile in ["D-001P0AE00N0000", "D+144P0AE00N0000", "D0000", "D", ""] {
            #expect(throws: ProtocolError(.keyDeliveryInvalid, "")) { try SignOnSecurity.sessionKeys(fromKeyBlocksField: hostile, under: masterKey, keySet: keySet) }
        }
    }

    @Test("operator credentials: bounded, redacted in description and dump")
    func credentials() throws {
        let credentials = try OperatorCredentials(number: "01", key: "111111")
        #expect(credentials.description == "OperatorCredentials(01, key redacted)")
        var dumped = ""
        dump(credentials, to: &dumped)
        #expect(!dumped.contains("111111") && !dumped.contains("49\n"), "dump shows the number only")
        #expect(credentials != (try OperatorCredentials(number: "01", key: "111112")))
        #expect(throws: ProtocolError.self) { try OperatorCredentials(number: "", key: "111111") }
        #expect(throws: ProtocolError.self) { try OperatorCredentials(number: "0A", key: "111111") }
        #expect(throws: ProtocolError.self) { try OperatorCredentials(number: "01", key: "111") }
        #expect(try OperatorCredentials(decoding: credentials.encoded) == credentials)
        #expect(throws: ProtocolError.self) { try OperatorCredentials(decoding: credentials.encoded + [0]) }
        #expect(throws: ProtocolError.self) { try OperatorCredentials(decoding: [9, 0x30]) }
    }
}

@Suite("Sign-off security")
struct SignOffSecurityTests {
    @Test("step 112: 0820 with sealed credentials and the device signature; a signed 0830 confirms")
    func signOff() throws {
        let codec = ISO8583Codec(specification: .mpos)
        let device = SigningPrivateKey(), host = SigningPrivateKey(), hostSealing = SealingPrivateKey()
        var request = ISO8583Message(mti: MessageKind.signOff.requestMTI)
        request.setText(MPOSField.transmissionDateTime, "1127080000")
        request.setText(MPOSField.systemTraceAuditNumber, "000009")
        request.setText(MPOSField.terminalID, "00000001")
        request.setText(MPOSField.networkManagementCode, NetworkManagementCode.signOff.rawValue)
        try SignOnSecurity.sealCredentials(OperatorCredentials(number: "01", key: "111111"), into: &request, to: hostSealing.publicKey)
        let wire = try MessageSignature.sign(request, with: device, codec: codec)

        let authenticated = try MessageSignature.verify(wire, codec: codec, signer: device.publicKey)
        let received = authenticated.message
        #expect(MessageKind(request: received) == .signOff)
        #expect(try SignOnSecurity.openCredentials(of: authenticated, with: hostSealing) == OperatorCredentials(number: "01", key: "111111"))
        // A sign-off envelope cannot pass for a sign-on (nor the reverse): MTI and field 70 are in its info.
        var asSignOn = received
        asSignOn.mti = MessageKind.signOn.requestMTI
        asSignOn.setText(MPOSField.networkManagementCode, NetworkManagementCode.signOn.rawValue)
        #expect(throws: ProtocolError(.envelopeInvalid, "")) { try SignOnSecurity.openCredentials(of: AuthenticatedMessage(message: asSignOn, bytes: []), with: hostSealing) }

        var confirmation = ISO8583Message(mti: MessageKind.signOff.responseMTI)
        for field in [MPOSField.transmissionDateTime, MPOSField.systemTraceAuditNumber, MPOSField.terminalID, MPOSField.networkManagementCode] {
            confirmation[field] = received[field]
        }
        confirmation.setText(MPOSField.responseCode, ResponseCode.approved.rawValue)
        let confirmationWire = try MessageSignature.sign(confirmation, with: host, codec: codec)
        _ = try MessageSignature.verify(confirmationWire, codec: codec, signer: host.publicKey)
    }
}
