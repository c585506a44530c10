// One frame of each mpos message, built with the real protection code (signatures, HPKE, GCM,
// CMAC, key blocks), so the codec benchmarks run on messages of their true size and shape.

@_spi(ClearPIN) import MPOSCrypto
import ISO8583
import MPOSProtocol

public enum SampleMessages {
    public static let codec = ISO8583Codec(specification: .mpos)

    /// (name, encoded frame) for every request and the sign-on response.
    public static func frames() throws -> [(name: String, bytes: [UInt8])] {
        let device = SigningPrivateKey(), deviceSealing = SealingPrivateKey()
        let host = SigningPrivateKey(), hostSealing = SealingPrivateKey()
        let code = EnrollmentCode()
        let credentials = try OperatorCredentials(number: "01", key: "111111")
        let keySet = KeySetIdentifier(baseKeyVersion: 1, session: 1)!
        let masterKey = try AESKey<BaseDerivation>(generating: .bits256).deriveTerminalMasterKey(terminalID: "00000001", baseKeyVersion: 1, device: device.publicKey)
        let keys = SessionKeys(pinKey: try AESKey(generating: .bits128), macKey: try AESKey(generating: .bits128),
                               dataKey: try AESKey(generating: .bits128), keySet: keySet)

        func header(_ kind: MessageKind) -> ISO8583Message {
            kind.request(transmissionTime: "1127074300", stan: "000001", terminalID: "00000001")
        }

        var enrollment = header(.enrollment)
        enrollment[MPOSField.publicKeys] = EnrollmentSecurity.publicKeysField(signing: device.publicKey, sealing: deviceSealing.publicKey)
        var signOn = header(.signOn)
        try SignOnSecurity.sealCredentials(credentials, into: &signOn, to: hostSealing.publicKey)
        var signOnResponse = MessageKind.signOn.response(to: signOn, code: .approved)
        signOnResponse.setText(MPOSField.keySetIdentifier, keySet.field)
        signOnResponse.setText(MPOSField.keyBlocks, try SignOnSecurity.keyBlocksField(pinKey: keys.pinKey, macKey: keys.macKey, dataKey: keys.dataKey, under: masterKey))
        signOnResponse[MPOSField.sealedEnvelope] = try SignOnSecurity.sealMasterKey(masterKey, to: deviceSealing.publicKey, terminalID: "00000001", keySet: keySet)
        var signOff = header(.signOff)
        try SignOnSecurity.sealCredentials(credentials, into: &signOff, to: hostSealing.publicKey)

        let pan = try PrimaryAccountNumber("4367123412341234126")
        var cardOpening = header(.cardOpening)
        cardOpening[MPOSField.pinBlock] = try PINBlockFormat4.encipher(PIN("123456"), pan: pan, using: keys.pinKey).bytes
        var opening = ConfidentialData()
        opening.set(.cardNumber, text: "4367123412341234126")
        opening.set(.identityDocumentType, text: "01")
        opening.set(.identityDocumentNumber, text: "410102196905185559")
        var contract = header(.contractSigning)
        contract[MPOSField.pinBlock] = cardOpening[MPOSField.pinBlock]
        var terms = ConfidentialData()
        terms.set(.cardNumber, text: "4367123412341234126")
        terms.set(.carrierCode, text: "1")
        terms.set(.phoneNumber, text: "12345678912")
        terms.set(.tariff, text: "monthly")

        return [
            ("enrollment 0800", try EnrollmentSecurity.protect(enrollment, signingKey: device, code: code, terminalID: "00000001", codec: codec)),
            ("sign-on 0800", try MessageSignature.sign(signOn, with: device, codec: codec)),
            ("sign-on response 0810", try MessageSignature.sign(signOnResponse, with: host, codec: codec)),
            ("echo 0800", try MessageSignature.sign(header(.echoTest), with: device, codec: codec)),
            ("card opening 0200", try BusinessMessageSecurity.protect(cardOpening, confidential: opening, keys: keys, codec: codec)),
            ("contract signing 0200", try BusinessMessageSecurity.protect(contract, confidential: terms, keys: keys, codec: codec)),
            ("sign-off 0820", try MessageSignature.sign(signOff, with: device, codec: codec)),
        ]
    }

    /// The field table, as [number, layout, max, content] rows (the form iso8583_crosscheck.py takes).
    public static var table: [[String]] { MessageSpecification.mpos.tableRows }
}
