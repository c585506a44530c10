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

        let received = try codec.decode(wire)
        try BusinessMessageSecurity.verifyMAC(of: wire, decoded: received, using: keys.macKey)
        #expect(received.text(MPOSField.keySetIdentifier) == "0001000000000042")
        let opened = try BusinessMessageSecurity.openConfidentialData(of: received, using: keys.dataKey)
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
            do {
                let decoded = try codec.decode(changed)
                #expect(throws: ProtocolError(.macFailure, ""), "byte \(index)") {
                    try BusinessMessageSecurity.verifyMAC(of: changed, decoded: decoded, using: keys.macKey)
                }
            } catch {
                // A change the codec itself refuses (typed: always an ISO8583Error; response 30).
                #expect(!error.code.rawValue.isEmpty)
            }
        }
    }

    @Test("another session's MAC key, or a missing or misplaced MAC, is response A0")
    func macRefusals() throws {
        let keys = try Self.sessionKeys(), other = try Self.sessionKeys()
        let (message, confidential) = try Self.cardOpening(keys: keys)
        let wire = try BusinessMessageSecurity.protect(message, confidential: confidential, keys: keys, codec: codec)
        let decoded = try codec.decode(wire)
        let error = #expect(throws: ProtocolError.self) { try BusinessMessageSecurity.verifyMAC(of: wire, decoded: decoded, using: other.macKey) }
        #expect(error?.responseCode == .macFailure)
        var unsigned = decoded
        unsigned[MPOSField.messageAuthenticationCode] = nil
        let unsignedWire = try codec.encode(unsigned)
        #expect(throws: ProtocolError(.macFailure, "")) { try BusinessMessageSecurity.verifyMAC(of: unsignedWire, decoded: unsigned, using: keys.macKey) }
        var trailing = decoded
        trailing.setText(MPOSField.networkManagementCode, "001")
        #expect(throws: ProtocolError(.missingOrUnexpectedField, "")) { try BusinessMessageSecurity.protect(trailing, confidential: nil, keys: keys, codec: codec) }
    }

    @Test("field 61 is bound to its message header and opens only under the session's data key")
    func confidentialBinding() throws {
        let keys = try Self.sessionKeys()
        let (message, confidential) = try Self.cardOpening(keys: keys)
        let decoded = try codec.decode(BusinessMessageSecurity.protect(message, confidential: confidential, keys: keys, codec: codec))
        var moved = decoded
        moved.setText(MPOSField.systemTraceAuditNumber, "000002")
        #expect(throws: ProtocolError(.confidentialDataInvalid, "")) { try BusinessMessageSecurity.openConfidentialData(of: moved, using: keys.dataKey) }
        #expect(throws: ProtocolError(.confidentialDataInvalid, "")) { try BusinessMessageSecurity.openConfidentialData(of: decoded, using: Self.sessionKeys().dataKey) }
    }

    @Test("confidential data decoding is strict and prints no value", arguments: [
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
        #expect(KeySetIdentifier(field: "0001000000000042") == KeySetIdentifier(baseKeyVersion: 1, session: 42))
        #expect(KeySetIdentifier(field: "000100000000004") == nil)
        #expect(KeySetIdentifier(field: "00010000000000 2") == nil)
        #expect(KeySetIdentifier(baseKeyVersion: 10_000, session: 1) == nil)
    }
}
