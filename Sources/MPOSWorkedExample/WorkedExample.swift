import Foundation
import ISO8583
import MPOSCrypto
import MPOSProtocol

/// The patent's embodiment run through the real protocol code, every input fixed and every
/// frame and intermediate value recorded: docs/protocol.md section 7 is rendered from it, and
/// `docs/worked-example.json` holds it for tools (the Python re-verification reads that file).
///
/// Signatures and HPKE envelopes take fresh randomness that swift-crypto does not let a caller
/// fix, so a transcript is generated once and then *verified*, not regenerated: the drift test
/// checks that the page is the rendering of the file and that every value in the file is what
/// the code computes or accepts.
public struct WorkedExampleTranscript: Codable, Sendable, Equatable {
    public struct Value: Codable, Sendable, Equatable {
        public let name: String
        /// Upper-case hex, or text for values that are text (marked `text: true`).
        public let value: String
        public let text: Bool

        init(_ name: String, hex bytes: some Collection<UInt8>) {
            self.name = name
            self.value = Hex.encode(bytes)
            self.text = false
        }

        init(_ name: String, text: String) {
            self.name = name
            self.value = text
            self.text = true
        }
    }

    public struct Step: Codable, Sendable, Equatable {
        public let id: String
        public let title: String
        public let values: [Value]

        public func value(_ name: String) -> Value? { values.first { $0.name == name } }
    }

    /// The ISO 8583 field table as `[number, layout, maximum, content]` rows, so a reader can
    /// decode the frames without Swift (the Python re-verification does).
    public let fieldTable: [[String]]
    public let inputs: [Value]
    public let steps: [Step]

    public func input(_ name: String) -> Value? { inputs.first { $0.name == name } }
    public func step(_ id: String) -> Step? { steps.first { $0.id == id } }
}

/// Fixed inputs of the worked example. Test keys only: never use them anywhere else.
public enum WorkedExample {
    public static let terminalID = "00000001"  // the patent's terminal 1#
    public static let baseKeyVersion = 1
    public static let session = 1
    /// The patent's sample card and identity numbers fail their check digits (Luhn, GB 11643);
    /// these are their valid neighbours.
    public static let cardNumber = "4367123412341234126"
    public static let identityNumber = "410102196905185559"

    static let baseMasterKey = "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F"
    static let hostSigningScalar = "0101010101010101010101010101010101010101010101010101010101010101"
    static let hostSealingScalar = "0202020202020202020202020202020202020202020202020202020202020202"
    static let deviceSigningScalar = "0303030303030303030303030303030303030303030303030303030303030303"
    static let deviceSealingScalar = "0404040404040404040404040404040404040404040404040404040404040404"
    static let enrollmentCode = "0011-2233-4455-6677-8899-AABB-CCDD-EEFF"
    static let pinKey = "11111111111111111111111111111111"
    static let macKey = "22222222222222222222222222222222"
    static let dataKey = "33333333333333333333333333333333"
    static let pinFill = "A1B2C3D4E5F60718"

    /// Runs the embodiment and records it.
    public static func generate() throws -> WorkedExampleTranscript {
        let codec = ISO8583Codec(specification: .mpos)
        let hostSigning = try SigningPrivateKey(unsafeRawRepresentation: Hex.decode(hostSigningScalar))
        let hostSealing = try SealingPrivateKey(unsafeRawRepresentation: Hex.decode(hostSealingScalar))
        let deviceSigning = try SigningPrivateKey(unsafeRawRepresentation: Hex.decode(deviceSigningScalar))
        let deviceSealing = try SealingPrivateKey(unsafeRawRepresentation: Hex.decode(deviceSealingScalar))
        let code = try EnrollmentCode(text: enrollmentCode)
        let base = try AESKey<BaseDerivation>(unsafeRawBytes: Hex.decode(baseMasterKey))
        let keySet = KeySetIdentifier(baseKeyVersion: baseKeyVersion, session: session)!
        let masterKey = try base.deriveTerminalMasterKey(terminalID: terminalID, baseKeyVersion: UInt32(baseKeyVersion), device: deviceSigning.publicKey)
        let keys = SessionKeys(
            pinKey: try AESKey(unsafeRawBytes: Hex.decode(pinKey)), macKey: try AESKey(unsafeRawBytes: Hex.decode(macKey)),
            dataKey: try AESKey(unsafeRawBytes: Hex.decode(dataKey)), keySet: keySet)
        let credentials = try OperatorCredentials(number: "01", key: "111111")

        func header(_ kind: MessageKind, stan: String, time: String) -> ISO8583Message {
            kind.request(transmissionTime: time, stan: stan, terminalID: terminalID)
        }
        func respond(to request: ISO8583Message, _ kind: MessageKind) -> ISO8583Message {
            kind.response(to: request, code: .approved)
        }

        // Enrollment.
        var enrollment = header(.enrollment, stan: "000001", time: "1127090000")
        enrollment[MPOSField.publicKeys] = EnrollmentSecurity.publicKeysField(signing: deviceSigning.publicKey, sealing: deviceSealing.publicKey)
        let enrollmentRequest = try EnrollmentSecurity.protectRequest(enrollment, signingKey: deviceSigning, code: code, terminalID: terminalID, codec: codec)
        var enrolled = respond(to: enrollment, .enrollment)
        enrolled[MPOSField.publicKeys] = EnrollmentSecurity.publicKeysField(signing: hostSigning.publicKey, sealing: hostSealing.publicKey)
        let enrollmentResponse = try EnrollmentSecurity.protectResponse(enrolled, answering: enrollmentRequest, signingKey: hostSigning, code: code, terminalID: terminalID, codec: codec)

        // Steps 101-104: sign-on.
        var signOn = header(.signOn, stan: "000002", time: "1127090100")
        try SignOnSecurity.sealCredentials(credentials, into: &signOn, to: hostSealing.publicKey)
        let signOnRequest = try MessageSignature.sign(signOn, with: deviceSigning, codec: codec)
        var signedOn = respond(to: signOn, .signOn)
        signedOn.setText(MPOSField.keySetIdentifier, keySet.field)
        let keyBlocks = try SignOnSecurity.keyBlocksField(pinKey: keys.pinKey, macKey: keys.macKey, dataKey: keys.dataKey, under: masterKey)
        signedOn.setText(MPOSField.keyBlocks, keyBlocks)
        signedOn[MPOSField.sealedEnvelope] = try SignOnSecurity.sealMasterKey(masterKey, to: deviceSealing.publicKey, terminalID: terminalID, keySet: keySet)
        let signOnResponse = try MessageSignature.signResponse(signedOn, answering: signOnRequest, with: hostSigning, codec: codec)

        // Steps 105-108: card opening.
        let pan = try PrimaryAccountNumber(cardNumber), pin = try PIN("123456"), fill = try Hex.decode(pinFill)
        var opening = header(.cardOpening, stan: "000003", time: "1127090200")
        let openingBlock = try PINBlockFormat4.encipher(pin, pan: pan, using: keys.pinKey, randomFill: fill)
        opening[MPOSField.pinBlock] = openingBlock.bytes
        var openingData = ConfidentialData()
        openingData.set(.cardNumber, text: cardNumber)
        openingData.set(.identityDocumentType, text: "01")
        openingData.set(.identityDocumentNumber, text: identityNumber)
        let openingRequest = try BusinessMessageSecurity.protect(opening, confidential: openingData, keys: keys, codec: codec)
        var opened = respond(to: opening, .cardOpening)
        opened.setText(MPOSField.retrievalReferenceNumber, "000000000001")
        let openingResponse = try BusinessMessageSecurity.protect(opened, confidential: nil, keys: keys, codec: codec)

        // Steps 109-111: contract signing.
        var contract = header(.contractSigning, stan: "000004", time: "1127090300")
        contract[MPOSField.pinBlock] = try PINBlockFormat4.encipher(pin, pan: pan, using: keys.pinKey, randomFill: fill).bytes
        var terms = ConfidentialData()
        terms.set(.cardNumber, text: cardNumber)
        terms.set(.carrierCode, text: "1")
        terms.set(.phoneNumber, text: "13912345678")
        terms.set(.tariff, text: "monthly")
        let contractRequest = try BusinessMessageSecurity.protect(contract, confidential: terms, keys: keys, codec: codec)
        var signed = respond(to: contract, .contractSigning)
        signed.setText(MPOSField.retrievalReferenceNumber, "000000000002")
        let contractResponse = try BusinessMessageSecurity.protect(signed, confidential: nil, keys: keys, codec: codec)

        // Step 112: sign-off.
        var signOff = header(.signOff, stan: "000005", time: "1127090400")
        try SignOnSecurity.sealCredentials(credentials, into: &signOff, to: hostSealing.publicKey)
        let signOffRequest = try MessageSignature.sign(signOff, with: deviceSigning, codec: codec)
        let signOffResponse = try MessageSignature.signResponse(respond(to: signOff, .signOff), answering: signOffRequest, with: hostSigning, codec: codec)

        typealias V = WorkedExampleTranscript.Value
        let sealedOpening = try codec.decode(openingRequest)[MPOSField.confidentialData]!
        let sealedTerms = try codec.decode(contractRequest)[MPOSField.confidentialData]!
        return WorkedExampleTranscript(
            fieldTable: MessageSpecification.mpos.tableRows,
            inputs: [
                V("terminal ID (field 41)", text: terminalID),
                V("base master key (B0), version 1", hex: try Hex.decode(baseMasterKey)),
                V("host signing key (P-256 scalar)", hex: try Hex.decode(hostSigningScalar)),
                V("host signing public key", hex: hostSigning.publicKey.x963),
                V("host sealing key (P-256 scalar)", hex: try Hex.decode(hostSealingScalar)),
                V("host sealing public key", hex: hostSealing.publicKey.x963),
                V("device signing key (P-256 scalar)", hex: try Hex.decode(deviceSigningScalar)),
                V("device signing public key", hex: deviceSigning.publicKey.x963),
                V("device sealing key (P-256 scalar)", hex: try Hex.decode(deviceSealingScalar)),
                V("device sealing public key", hex: deviceSealing.publicKey.x963),
                V("enrollment code", text: enrollmentCode),
                V("operator number / key", text: "01 / 111111"),
                V("PIN key (P0)", hex: try Hex.decode(pinKey)),
                V("MAC key (M6)", hex: try Hex.decode(macKey)),
                V("data key (D0)", hex: try Hex.decode(dataKey)),
                V("card number", text: cardNumber),
                V("identity document type / number", text: "01 / " + identityNumber),
                V("PIN", text: "123456"),
                V("PIN field random fill", hex: fill),
            ],
            steps: [
                .init(id: "enrollment", title: "Enrollment of terminal 1#", values: [
                    V("K_EC (request) check value", text: try code.proofKey(terminalID: terminalID, response: false).checkValue().hex),
                    V("K_EC (response) check value", text: try code.proofKey(terminalID: terminalID, response: true).checkValue().hex),
                    V("0800 request message", hex: enrollmentRequest),
                    V("0810 response message", hex: enrollmentResponse),
                ]),
                .init(id: "101-104", title: "Steps 101-104: operator 01 signs on; keys issued and checked", values: [
                    // The TMK itself is not printed: SP 800-108(BMK, "K1/MPOS TMK", terminal ID ‖ 00 ‖ 00000001 ‖ SHA-256(device signing public key))
                    // recomputes it, and its check value confirms the result.
                    V("terminal master key check value (K1, derived)", text: try masterKey.checkValue().hex),
                    V("PIN key check value", text: try keys.pinKey.checkValue().hex),
                    V("MAC key check value", text: try keys.macKey.checkValue().hex),
                    V("data key check value", text: try keys.dataKey.checkValue().hex),
                    V("field 53 (key set)", text: keySet.field),
                    V("field 62 (key blocks and check values)", text: keyBlocks),
                    V("0800 request message", hex: signOnRequest),
                    V("0810 response message", hex: signOnResponse),
                ]),
                .init(id: "105-108", title: "Steps 105-108: card opening", values: [
                    V("plain PIN field", hex: PINBlockFormat4.pinField(pin, randomFill: fill)),
                    V("plain PAN field", hex: PINBlockFormat4.panField(pan)),
                    V("field 52 (PIN block)", hex: openingBlock.bytes),
                    V("confidential data (TLV, before sealing)", hex: try openingData.encoded()),
                    V("field 61 (nonce ‖ ciphertext ‖ tag)", hex: sealedOpening),
                    V("0200 request message", hex: openingRequest),
                    V("0210 response message", hex: openingResponse),
                ]),
                .init(id: "109-111", title: "Steps 109-111: contract signing (carrier 1, phone 13912345678, monthly)", values: [
                    V("confidential data (TLV, before sealing)", hex: try terms.encoded()),
                    V("field 61 (nonce ‖ ciphertext ‖ tag)", hex: sealedTerms),
                    V("0200 request message", hex: contractRequest),
                    V("0210 response message", hex: contractResponse),
                ]),
                .init(id: "112", title: "Step 112: sign-off; the terminal erases its session keys", values: [
                    V("0820 request message", hex: signOffRequest),
                    V("0830 response message", hex: signOffResponse),
                ]),
            ])
    }

    /// Markdown for docs/protocol.md section 7 (between its markers).
    public static func markdown(_ transcript: WorkedExampleTranscript) -> String {
        func render(_ value: WorkedExampleTranscript.Value) -> String {
            if value.text { return "- \(value.name): `\(value.value)`\n" }
            let lines = stride(from: 0, to: value.value.count, by: 64).map { offset -> String in
                let start = value.value.index(value.value.startIndex, offsetBy: offset)
                let end = value.value.index(start, offsetBy: min(64, value.value.count - offset))
                return String(value.value[start..<end])
            }
            return "- \(value.name) (\(value.value.count / 2) bytes):\n\n  ```\n" + lines.map { "  \($0)\n" }.joined() + "  ```\n"
        }
        var out = "Inputs (test values only):\n\n" + transcript.inputs.map(render).joined()
        for step in transcript.steps {
            out += "\n### \(step.title)\n\n" + step.values.map(render).joined()
        }
        return out
    }
}

extension WorkedExample {
    public static let beginMarker = "<!-- worked-example:begin (generated by `swift run mpos-worked-example`; do not edit) -->"
    public static let endMarker = "<!-- worked-example:end -->"

    /// The transcript as stable, pretty JSON (what docs/worked-example.json holds).
    public static func encoded(_ transcript: WorkedExampleTranscript) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(transcript)) + [0x0A]
    }

    public static func decoded(_ bytes: [UInt8]) throws -> WorkedExampleTranscript {
        try JSONDecoder().decode(WorkedExampleTranscript.self, from: Data(bytes))
    }

    /// The text between the markers of a page, or nil without them.
    public static func section(in page: String) -> String? {
        guard let begin = page.range(of: beginMarker), let end = page.range(of: endMarker, range: begin.upperBound..<page.endIndex) else { return nil }
        return String(page[begin.upperBound..<end.lowerBound]).trimmingCharacters(in: .newlines)
    }

    public static func replacingSection(in page: String, with markdown: String) -> String? {
        guard let begin = page.range(of: beginMarker), let end = page.range(of: endMarker, range: begin.upperBound..<page.endIndex) else { return nil }
        return page.replacingCharacters(in: begin.upperBound..<end.lowerBound, with: "\n" + markdown.trimmingCharacters(in: .newlines) + "\n")
    }
}
