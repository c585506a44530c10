import Foundation
import ISO8583
import Testing
@_spi(ClearPIN) import MPOSCrypto
@testable import MPOSProtocol

/// A minimal host built from the host-side protocol functions, enough to drive the terminal.
struct ScriptedHost {
    let codec = ISO8583Codec(specification: .mpos)
    let signing = SigningPrivateKey(), sealing = SealingPrivateKey()
    let code = EnrollmentCode()
    let base = try! AESKey<BaseDerivation>(generating: .bits256)
    var deviceSigning: SigningPublicKey?, deviceSealing: SealingPublicKey?
    var keys: SessionKeys?
    var session = 0

    func reply(to request: ISO8583Message, _ code: ResponseCode = .approved) -> ISO8583Message {
        MessageKind(request: request)!.response(to: request, code: code)
    }

    mutating func handle(_ frame: [UInt8], answer: ResponseCode = .approved) throws -> [UInt8] {
        let request = try codec.decode(frame)
        switch MessageKind(request: request)! {
        case .enrollment:
            let verified = try EnrollmentSecurity.verifyRequest(frame, codec: codec, code: code, terminalID: "00000001")
            (deviceSigning, deviceSealing) = (verified.signing, verified.sealing)
            var response = reply(to: request, answer)
            response[MPOSField.publicKeys] = EnrollmentSecurity.publicKeysField(signing: signing.publicKey, sealing: sealing.publicKey)
            return try EnrollmentSecurity.protectResponse(response, answering: frame, signingKey: signing, code: code, terminalID: "00000001", codec: codec)
        case .signOn:
            let authenticated = try MessageSignature.verify(frame, codec: codec, signer: deviceSigning!)
            #expect(try SignOnSecurity.openCredentials(of: authenticated, with: sealing) == OperatorCredentials(number: "01", key: "111111"))
            session += 1
            let keySet = KeySetIdentifier(baseKeyVersion: 1, session: session)!
            keys = SessionKeys(pinKey: try AESKey(generating: .bits128), macKey: try AESKey(generating: .bits128), dataKey: try AESKey(generating: .bits128), keySet: keySet)
            let masterKey = try base.deriveTerminalMasterKey(terminalID: "00000001", baseKeyVersion: 1, device: deviceSigning!)
            var response = reply(to: request, answer)
            response.setText(MPOSField.keySetIdentifier, keySet.field)
            response.setText(MPOSField.keyBlocks, try SignOnSecurity.keyBlocksField(pinKey: keys!.pinKey, macKey: keys!.macKey, dataKey: keys!.dataKey, under: masterKey))
            response[MPOSField.sealedEnvelope] = try SignOnSecurity.sealMasterKey(masterKey, to: deviceSealing!, terminalID: "00000001", keySet: keySet)
            return try MessageSignature.signResponse(response, answering: frame, with: signing, codec: codec)
        case .signOff, .echoTest:
            _ = try MessageSignature.verify(frame, codec: codec, signer: deviceSigning!)
            if answer == .approved { keys = nil }
            return try MessageSignature.signResponse(reply(to: request, answer), answering: frame, with: signing, codec: codec)
        case .cardOpening, .contractSigning:
            let authenticated = try BusinessMessageSecurity.verify(frame, codec: codec, macKey: keys!.macKey)
            let data = try BusinessMessageSecurity.openConfidentialData(of: authenticated, using: keys!.dataKey)
            let pan = try PrimaryAccountNumber(String(decoding: data[.cardNumber]!, as: UTF8.self))
            #expect(try PINBlockFormat4.decipher(EncipheredPINBlock(bytes: request[MPOSField.pinBlock]!), pan: pan, using: keys!.pinKey) == PIN("123456"))
            var response = reply(to: request, answer)
            response.setText(MPOSField.retrievalReferenceNumber, "000000000042")
            return try BusinessMessageSecurity.protect(response, confidential: nil, keys: keys!, codec: codec)
        }
    }
}

@Suite("Terminal state machine, against a scripted host")
struct TerminalStateMachineTests {
    let now = Date(timeIntervalSince1970: 1_795_000_000)
    let operatorCredentials = try! OperatorCredentials(number: "01", key: "111111")

    func openingData() -> ConfidentialData {
        var data = ConfidentialData()
        data.set(.cardNumber, text: "4367123412341234126")
        data.set(.identityDocumentType, text: "01")
        data.set(.identityDocumentNumber, text: "410102196905185559")
        return data
    }

    @Test("the patent's flow: enroll, sign on (101-104), open a card (105-108), sign a contract (109-111), sign off (112)")
    func patentFlow() throws {
        var host = ScriptedHost()
        var terminal = TerminalStateMachine(credentials: .init(terminalID: "00000001"))
        #expect(terminal.state == .unenrolled)

        #expect(try terminal.receive(host.handle(terminal.enroll(code: host.code, at: now))) == .enrolled)
        #expect(terminal.state == .enrolled && terminal.credentials.isEnrolled)

        let signedIn = try terminal.receive(host.handle(terminal.signOn(operator: operatorCredentials, at: now)))
        #expect(signedIn == .signedIn(KeySetIdentifier(baseKeyVersion: 1, session: 1)!))
        #expect(terminal.state == .signedIn && terminal.isSignedIn)

        let pan = try PrimaryAccountNumber("4367123412341234126")
        let opened = try terminal.receive(host.handle(terminal.businessRequest(.cardOpening, pin: PIN("123456"), cardNumber: pan, confidential: openingData(), at: now)))
        #expect(opened == .answered(.approved, retrievalReference: "000000000042"))

        var terms = ConfidentialData()
        terms.set(.cardNumber, text: "4367123412341234126")
        terms.set(.carrierCode, text: "1")
        terms.set(.phoneNumber, text: "13912345678")
        terms.set(.tariff, text: "monthly")
        #expect(try terminal.receive(host.handle(terminal.businessRequest(.contractSigning, pin: PIN("123456"), cardNumber: pan, confidential: terms, at: now)))
                == .answered(.approved, retrievalReference: "000000000042"))

        #expect(try terminal.receive(host.handle(terminal.signOff(operator: operatorCredentials, at: now))) == .signedOff)
        #expect(terminal.state == .enrolled && !terminal.isSignedIn, "session keys erased")
        #expect(throws: TerminalStateMachine.Failure.self) {
            try terminal.businessRequest(.cardOpening, pin: PIN("123456"), cardNumber: pan, confidential: openingData(), at: now)
        }
    }

    @Test("A1 (keys outdated) erases the session; signing on again brings fresh keys")
    func keysOutdated() throws {
        var host = ScriptedHost()
        var terminal = TerminalStateMachine(credentials: .init(terminalID: "00000001"))
        _ = try terminal.receive(host.handle(terminal.enroll(code: host.code, at: now)))
        _ = try terminal.receive(host.handle(terminal.signOn(operator: operatorCredentials, at: now)))
        let pan = try PrimaryAccountNumber("4367123412341234126")
        let refused = try terminal.receive(host.handle(terminal.businessRequest(.cardOpening, pin: PIN("123456"), cardNumber: pan, confidential: openingData(), at: now), answer: .keysOutdated))
        #expect(refused == .refused(.keysOutdated))
        #expect(terminal.state == .enrolled && !terminal.isSignedIn)
        #expect(try terminal.receive(host.handle(terminal.signOn(operator: operatorCredentials, at: now))) == .signedIn(KeySetIdentifier(baseKeyVersion: 1, session: 2)!))
    }

    @Test("a refused sign-on leaves the terminal signed out; a wrong or forged response changes nothing")
    func refusalsAndForgeries() throws {
        var host = ScriptedHost()
        var terminal = TerminalStateMachine(credentials: .init(terminalID: "00000001"))
        _ = try terminal.receive(host.handle(terminal.enroll(code: host.code, at: now)))
        #expect(try terminal.receive(host.handle(terminal.signOn(operator: operatorCredentials, at: now), answer: .invalidOperator)) == .refused(.invalidOperator))
        #expect(terminal.state == .enrolled)

        let request = try terminal.signOn(operator: operatorCredentials, at: now)
        // A response signed by someone else, or answering another STAN, is refused; the request stays outstanding.
        let forged = try MessageSignature.sign(host.reply(to: ISO8583Codec(specification: .mpos).decode(request)), with: SigningPrivateKey(), codec: host.codec)
        #expect(throws: TerminalStateMachine.Failure.self) { try terminal.receive(forged) }
        var otherSTAN = host.reply(to: try host.codec.decode(request))
        otherSTAN.setText(MPOSField.systemTraceAuditNumber, "999999")
        #expect(throws: TerminalStateMachine.Failure(code: .notTheResponse, message: "")) {
            try terminal.receive(MessageSignature.signResponse(otherSTAN, answering: request, with: host.signing, codec: host.codec))
        }
        // The host's own signature on a refusal of another request with this STAN (one anybody
        // could have asked the host for) does not pass: field 121 names the other request.
        var sameSTAN = host.reply(to: try host.codec.decode(request), .securityViolation)
        sameSTAN.setText(MPOSField.systemTraceAuditNumber, try host.codec.decode(request).text(MPOSField.systemTraceAuditNumber)!)
        let collected = try MessageSignature.signResponse(sameSTAN, answering: Array(request.dropLast()) + [request.last! ^ 1], with: host.signing, codec: host.codec)
        #expect(throws: TerminalStateMachine.Failure(code: .invalidResponse, message: "")) { try terminal.receive(collected) }
        #expect(throws: TerminalStateMachine.Failure.self) { try terminal.receive([0x30, 0x38, 0x31, 0x30]) }
        #expect(terminal.state == .signingOn)
        // The genuine answer still completes the sign-on (the scripted host's second session).
        #expect(try terminal.receive(host.handle(request)) == .signedIn(KeySetIdentifier(baseKeyVersion: 1, session: 2)!))
    }

    @Test("requests out of state are refused; STANs increase and wrap after 999999")
    func stateAndSTAN() throws {
        var terminal = TerminalStateMachine(credentials: .init(terminalID: "00000001"), lastSTAN: 999_999)
        #expect(throws: TerminalStateMachine.Failure(code: .wrongState, message: "")) { try terminal.signOn(operator: operatorCredentials, at: now) }
        let frame = try terminal.enroll(code: EnrollmentCode(), at: now)
        #expect(try ISO8583Codec(specification: .mpos).decode(frame).text(MPOSField.systemTraceAuditNumber) == "000001")
        #expect(throws: TerminalStateMachine.Failure(code: .wrongState, message: "")) { try terminal.enroll(code: EnrollmentCode(), at: now) }
    }
}
