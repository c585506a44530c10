public import ISO8583
public import MPOSCrypto

/// The fresh keys of one sign-on session, as the terminal holds them after unwrapping the
/// sign-on response's key blocks (and the host, under its LMK).
public struct SessionKeys: Sendable {
    public let pinKey: AESKey<PINEncryption>
    public let macKey: AESKey<MessageAuthentication>
    public let dataKey: AESKey<DataEncryption>
    /// Field 53: which base master key version and which sign-on these keys belong to.
    public let keySet: KeySetIdentifier

    public init(pinKey: AESKey<PINEncryption>, macKey: AESKey<MessageAuthentication>, dataKey: AESKey<DataEncryption>, keySet: KeySetIdentifier) {
        self.pinKey = pinKey
        self.macKey = macKey
        self.dataKey = dataKey
        self.keySet = keySet
    }
}

/// Field 53, n16: base master key version (4 digits) ‖ sign-on session number (12 digits).
public struct KeySetIdentifier: Sendable, Hashable, CustomStringConvertible {
    public let baseKeyVersion: Int
    public let session: Int

    public init?(baseKeyVersion: Int, session: Int) {
        guard (0...9999).contains(baseKeyVersion), (0...999_999_999_999).contains(session) else { return nil }
        self.baseKeyVersion = baseKeyVersion
        self.session = session
    }

    public init?(field: String) {
        let bytes = Array(field.utf8)
        guard bytes.count == 16, bytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let version = Int(String(field.prefix(4))), let session = Int(String(field.suffix(12)))
        else { return nil }
        self.init(baseKeyVersion: version, session: session)
    }

    public var field: String {
        let version = String(baseKeyVersion), number = String(session)
        return String(repeating: "0", count: 4 - version.count) + version + String(repeating: "0", count: 12 - number.count) + number
    }

    public var description: String { field }
}

/// How a business message (0200/0210) is protected, one key per job:
///
/// 1. the PIN, as an ISO 9564-1 format 4 block under the PIN key, in field 52;
/// 2. card number, identity and contract, as ``ConfidentialData`` sealed with AES-GCM under the
///    data key in field 61, with the header (MTI, fields 7, 11, 41, 53) as associated data;
/// 3. the whole encoded message — header, bitmap, every field, PIN block and ciphertext
///    included — authenticated by AES-CMAC under the MAC key in field 64, which is the last
///    field, so the MAC covers exactly the bytes before it.
///
/// The receiver verifies the MAC first (``verify(_:codec:macKey:)`` returns an
/// ``AuthenticatedMessage``), and only then opens anything: opening takes that type. Requests
/// and responses share the session's MAC and data keys; the MTI, which the MAC covers, tells
/// them apart, and the terminal matches a response to its request by fields 11 and 41.
public enum BusinessMessageSecurity {
    static let macLength = 16

    /// Seals `confidential` into field 61, sets field 53, and returns the encoded message with
    /// its MAC. The caller has set MTI and fields 3, 7, 11, 41 (and 52, if a PIN is carried).
    public static func protect(_ message: ISO8583Message, confidential: ConfidentialData?, keys: SessionKeys, codec: ISO8583Codec) throws -> [UInt8] {
        var message = message
        guard !message.presentFields.contains(where: { $0 > MPOSField.messageAuthenticationCode }) else {
            throw ProtocolError(.missingOrUnexpectedField, "a business message has no field after 64")
        }
        message.setText(MPOSField.keySetIdentifier, keys.keySet.field)
        let aad = try associatedData(of: message)  // also checks that 7, 11 and 41 are present
        if let confidential {
            message[MPOSField.confidentialData] = try AuthenticatedEncryption.seal(confidential.encoded(), authenticating: aad, using: keys.dataKey)
        }
        message[MPOSField.messageAuthenticationCode] = [UInt8](repeating: 0, count: macLength)
        var bytes = try codec.encode(message)
        let mac = try CMAC.authenticationCode(for: bytes.dropLast(macLength), using: keys.macKey)
        bytes.replaceSubrange((bytes.count - macLength)..., with: mac)
        return bytes
    }

    /// Decodes a received business message and verifies its MAC. Throws ``ProtocolError``
    /// (response `A0`) unless field 64 is present, last, and verifies under `macKey`.
    public static func verify(_ bytes: [UInt8], codec: ISO8583Codec, macKey: AESKey<MessageAuthentication>) throws -> AuthenticatedMessage {
        let message = try decode(bytes, codec: codec)
        guard message[MPOSField.messageAuthenticationCode] != nil,
              !message.presentFields.contains(where: { $0 > MPOSField.messageAuthenticationCode }),
              bytes.count > macLength
        else { throw ProtocolError(.macFailure, "field 64 must be present and last") }
        do {
            try CMAC.verify(bytes.suffix(macLength), for: bytes.dropLast(macLength), using: macKey)
        } catch {
            throw ProtocolError(.macFailure, "the message authentication code does not verify")
        }
        return AuthenticatedMessage(message: message, bytes: bytes)
    }

    /// Opens field 61 of a message whose MAC has verified.
    public static func openConfidentialData(of authenticated: AuthenticatedMessage, using dataKey: AESKey<DataEncryption>) throws -> ConfidentialData {
        let message = authenticated.message
        guard let sealed = message[MPOSField.confidentialData] else {
            throw ProtocolError(.missingOrUnexpectedField, "field 61 is missing")
        }
        let aad = try associatedData(of: message)
        let plaintext: [UInt8]
        do {
            plaintext = try AuthenticatedEncryption.open(sealed, authenticating: aad, using: dataKey)
        } catch {
            throw ProtocolError(.confidentialDataInvalid, "field 61 does not open under the session's data key")
        }
        return try ConfidentialData(decoding: plaintext)
    }

    /// MTI ‖ field 7 ‖ field 11 ‖ field 41 ‖ field 53, as sent; all required (fixed lengths, so
    /// the concatenation is unambiguous).
    static func associatedData(of message: ISO8583Message) throws(ProtocolError) -> [UInt8] {
        Array(message.mti.rawValue.utf8) + (try requiredFields(
            [MPOSField.transmissionDateTime, MPOSField.systemTraceAuditNumber, MPOSField.terminalID, MPOSField.keySetIdentifier], of: message))
    }
}
