import ISO8583
import Testing
@_spi(ClearPIN) import MPOSCrypto
@testable import MPOSProtocol

@Suite("Business message security: PIN key, data key, MAC key, one job each")
struct BusinessMessageSecurityTests {
    let codec = ISO8583Codec(specification: .mpos)

    static func sessionKeys() throws -> SessionKeys {
        try SessionKeys(
            pinKey: AESKey(generating: .bits128), macKey: AESKey(generating: .bits128), dataKey: AESKey(generating: .bits128),
            keySet: KeySetIdentifier(baseKeyVersion: 1, session: 42)!)
    }

    /// The patent's card opening (step 106), with the valid neighbours of its sample numbers.
    static func cardOpening(keys: SessionKeys) throws -> (ISO8583Message, ConfidentialData) {
        var message = ISO8583Message(mti: MessageKind.cardOpening.requestMTI)
        message.setText(MPOSField.processingCode, ProcessingCode.cardOpening.rawValue)
        message.setText(MPOSField.transmissionDateTime, "1127074300")
        message.setText(MPOSField.systemTraceAuditNumber, "000001")
        message.setText(MPOSField.terminalID, "00000001")
        let pan = try PrimaryAccountNumber("4367123412341234126")
        message[MPOSField.pinBlock] = try PINBlockFormat4.encipher(PIN("123456"), pan: pan, using: keys.pinKey).bytes
        var confidential = ConfidentialData()
        confidential.set(.cardNumber, text: "4367123412341234126")
        confidential.set(.identityDocumentType, text: "01")
        confidential.set(.identityDocumentNumber, text: "410102196905185559")
        return (message, confidential)
    }

    @Test("the host verifies, opens and deciphers what the terminal protected")
    func roundTrip() throws {
        let keys = try Self.sessionKeys()
        let (message, confidential) = try Self.cardOpening(keys: keys)
        let wire = try BusinessMessageSecurity.protect(message, confidential: confidential, keys: keys, codec: codec)

        let authenticated = try BusinessMessageSecurity.verify(wire, codec: codec, macKey: keys.macKey)
        let received = authenticated.message
        #expect(received.text(MPOSField.keySetIdentifier) == "0001000000000042")
        let opened = try BusinessMessageSecurity.openConfidentialData(of: authenticated, using: keys.dataKey)
        #expect(opened == confidential)
        let pan = try PrimaryAccountNumber(String(decoding: opened[.cardNumber]!, as: UTF8.self))
        let pin = try PINBlockFormat4.decipher(EncipheredPINBlock(bytes: received[MPOSField.pinBlock]!), pan: pan, using: keys.pinKey)
        #expect(pin == (try PIN("123456")))
        // Nothing confidential is in clear on the wire.
        #expect(!String(decoding: wire, as: UTF8.self).contains("4367123412341234126"))
        #expect(!String(decoding: wire, as: UTF8.self).contains("410102196905185559"))
    }

    @Test("any changed byte of the message is caught: by the decoder or by the MAC")
    func everyByteChanged() throws {
        let keys = try Self.sessionKeys()
        let (message, confidential) = try Self.cardOpening(keys: keys)
        let wire = try BusinessMessageSecurity.protect(message, confidential: confidential, keys: keys, codec: codec)
        for index in wire.indices {
            var changed = wire
            changed[index] ^= 0x01
            let error = #expect(throws: ProtocolError.self, "byte \(index)") { try BusinessMessageSecurity.verify(changed, codec: codec, macKey: keys.macKey) }
            // The codec refuses some changes (30); the MAC catches every other one (A0).
            #expect(error?.code == .macFailure || error?.code == .missingOrUnexpectedField)
            if (try? codec.decode(changed)) != nil { #expect(error?.code == .macFailure, "byte \(index)") }
        }
    }

    @Test("another session's MAC key, or a missing or misplaced MAC, is response A0")
    func macRefusals() throws {
        let keys = try Self.sessionKeys(), other = try Self.sessionKeys()
        let (message, confidential) = try Self.cardOpening(keys: keys)
        let wire = try BusinessMessageSecurity.protect(message, confidential: confidential, keys: keys, codec: codec)
        let decoded = try codec.decode(wire)
        let error = #expect(throws: ProtocolError.self) { try BusinessMessageSecurity.verify(wire, codec: codec, macKey: other.macKey) }
        #expect(error?.responseCode == .macFailure)
        var unsigned = decoded
        unsigned[MPOSField.messageAuthenticationCode] = nil
        #expect(throws: ProtocolError(.macFailure, "")) { try BusinessMessageSecurity.verify(codec.encode(unsigned), codec: codec, macKey: keys.macKey) }
        // A field after 64: the MAC would not cover it, so the message is refused (A0).
        var misplaced = decoded
        misplaced.setText(MPOSField.networkManagementCode, "001")
        #expect(throws: ProtocolError(.macFailure, "")) { try BusinessMessageSecurity.verify(codec.encode(misplaced), codec: codec, macKey: keys.macKey) }
        var trailing = decoded
        trailing.setText(MPOSField.networkManagementCode, "001")
        #expect(throws: ProtocolError(.missingOrUnexpectedField, "")) { try BusinessMessageSecurity.protect(trailing, confidential: nil, keys: keys, codec: codec) }
    }

    @Test("field 61 is bound to its message header and opens only under the session's data key")
    func confidentialBinding() throws {
        let keys = try Self.sessionKeys()
        let (message, confidential) = try Self.cardOpening(keys: keys)
        let authenticated = try BusinessMessageSecurity.verify(
            BusinessMessageSecurity.protect(message, confidential: confidential, keys: keys, codec: codec), codec: codec, macKey: keys.macKey)
        // Field 61 moved into another header (built with the internal initializer: the public
        // API hands out only verified messages) does not open: every header field is bound.
        for (field, value) in [(MPOSField.systemTraceAuditNumber, "000002"), (MPOSField.transmissionDateTime, "1127074301"),
                               (MPOSField.terminalID, "00000002"), (MPOSField.keySetIdentifier, "0001000000000043")] {
            var moved = authenticated.message
            moved.setText(field, value)
            #expect(throws: ProtocolError(.confidentialDataInvalid, ""), "field \(field)") {
                try BusinessMessageSecurity.openConfidentialData(of: AuthenticatedMessage(message: moved, bytes: []), using: keys.dataKey)
            }
        }
        var otherMTI = authenticated.message
        otherMTI.mti = MessageKind.cardOpening.responseMTI
        #expect(throws: ProtocolError(.confidentialDataInvalid, "")) {
            try BusinessMessageSecurity.openConfidentialData(of: AuthenticatedMessage(message: otherMTI, bytes: []), using: keys.dataKey)
        }
        var missing = authenticated.message
        missing[MPOSField.keySetIdentifier] = nil
        #expect(throws: ProtocolError(.missingOrUnexpectedField, "")) {
            try BusinessMessageSecurity.openConfidentialData(of: AuthenticatedMessage(message: missing, bytes: []), using: keys.dataKey)
        }
        #expect(throws: ProtocolError(.confidentialDataInvalid, "")) { try BusinessMessageSecurity.openConfidentialData(of: authenticated, using: Self.sessionKeys().dataKey) }
    }

    @Test("confidential data decoding is strict", arguments: [
        [0x09, 0x00, 0x01, 0x41],           // unknown tag
        [0x01, 0x00, 0x05, 0x41],           // runs past the end
        [0x01, 0x00],                       // truncated header
        [0x01, 0x00, 0x01, 0x31, 0x01, 0x00, 0x01, 0x32],  // repeated tag
    ] as [[UInt8]])
    func confidentialStrictness(bytes: [UInt8]) {
        #expect(throws: ProtocolError(.confidentialDataInvalid, "")) { try ConfidentialData(decoding: bytes) }
    }

    @Test("confidential data prints tags only; key set identifiers round-trip")
    func descriptions() throws {
        var data = ConfidentialData()
        data.set(.cardNumber, text: "4367123412341234126")
        #expect(data.description == "ConfidentialData(tags 1)")
        var dumpedData = ""
        dump(data, to: &dumpedData)
        #expect(!dumpedData.contains("4367") && !dumpedData.contains("52\n"), "dump shows tags, not the card number")
        var message = ISO8583Message(mti: MessageKind.cardOpening.requestMTI)
        message[MPOSField.pinBlock] = [UInt8](repeating: 0xEE, count: 16)
        var dumpedMessage = ""
        dump(message, to: &dumpedMessage)
        #expect(!dumpedMessage.contains("238"), "dump shows field numbers, not the PIN block's bytes")
        #expect(KeySetIdentifier(field: "0001000000000042") == KeySetIdentifier(baseKeyVersion: 1, session: 42))
        #expect(KeySetIdentifier(field: "000100000000004") == nil)
        #expect(KeySetIdentifier(field: "00010000000000 2") == nil)
        #expect(KeySetIdentifier(baseKeyVersion: 10_000, session: 1) == nil)
    }
}
