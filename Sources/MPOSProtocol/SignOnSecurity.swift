public import ISO8583
public import MPOSCrypto

/// An operator's number and key (the patent's operator table), as typed at the terminal. The
/// key prints redacted and compares in constant time; both travel only inside an HPKE envelope.
public struct OperatorCredentials: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public let number: String
    let key: [UInt8]

    /// Operator number: 1–8 digits. Operator key: 4–16 printable ASCII characters.
    public init(number: String, key: String) throws(ProtocolError) {
        let numberBytes = Array(number.utf8), keyBytes = Array(key.utf8)
        guard (1...8).contains(numberBytes.count), numberBytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              (4...16).contains(keyBytes.count), keyBytes.allSatisfy({ $0 >= 0x20 && $0 <= 0x7E })
        else { throw ProtocolError(.envelopeInvalid, "an operator number is 1-8 digits and an operator key 4-16 printable characters") }
        self.number = number
        self.key = keyBytes
    }

    /// The key, for the host's keyed verification inside the mpos package only.
    package var unsafeKeyBytes: [UInt8] { key }

    /// Envelope plaintext: number length (1) ‖ number ‖ key length (1) ‖ key.
    var encoded: [UInt8] {
        [UInt8(number.utf8.count)] + Array(number.utf8) + [UInt8(key.count)] + key
    }

    init(decoding bytes: [UInt8]) throws(ProtocolError) {
        let malformed = ProtocolError(.envelopeInvalid, "the credentials are malformed")
        guard let numberLength = bytes.first.map(Int.init), bytes.count >= 2 + numberLength else { throw malformed }
        let keyLength = Int(bytes[1 + numberLength])
        guard bytes.count == 2 + numberLength + keyLength else { throw malformed }
        try self.init(number: String(decoding: bytes[1..<(1 + numberLength)], as: UTF8.self),
                      key: String(decoding: bytes[(2 + numberLength)...], as: UTF8.self))
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.number == rhs.number && lhs.key.count == rhs.key.count && zip(lhs.key, rhs.key).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }

    public var description: String { "OperatorCredentials(\(number), key redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["number": number], displayStyle: .struct) }
}

/// The sign-on's cryptography, both sides (docs/protocol.md, section 5).
public enum SignOnSecurity {
    /// HPKE `info` for operator credentials: a label, then the request's MTI, 7, 11, 41 and 70
    /// (all required, fixed lengths), so an envelope cannot be lifted into another message.
    static func credentialsInfo(for message: ISO8583Message) throws(ProtocolError) -> [UInt8] {
        Array("mpos v1 operator credentials".utf8) + [0x00] + Array(message.mti.rawValue.utf8)
            + (try requiredFields([MPOSField.transmissionDateTime, MPOSField.systemTraceAuditNumber, MPOSField.terminalID, MPOSField.networkManagementCode], of: message))
    }

    /// HPKE `info` for a terminal master key: a label, the terminal ID and the key set.
    static func masterKeyInfo(terminalID: String, keySet: KeySetIdentifier) -> [UInt8] {
        Array("mpos v1 terminal master key".utf8) + [0x00] + Array(terminalID.utf8) + Array(keySet.field.utf8)
    }

    // MARK: Terminal → host: operator credentials

    /// Puts the credentials, sealed to the host, into field 63 of a request whose MTI and
    /// fields 7, 11, 41 and 70 are already set.
    public static func sealCredentials(_ credentials: OperatorCredentials, into message: inout ISO8583Message, to host: SealingPublicKey) throws {
        message[MPOSField.sealedEnvelope] = try host.seal(credentials.encoded, info: credentialsInfo(for: message))
    }

    /// The host opens field 63 of a request whose device signature has verified.
    public static func openCredentials(of authenticated: AuthenticatedMessage, with host: SealingPrivateKey) throws -> OperatorCredentials {
        let message = authenticated.message
        guard let envelope = message[MPOSField.sealedEnvelope] else {
            throw ProtocolError(.missingOrUnexpectedField, "field 63 is missing")
        }
        let info = try credentialsInfo(for: message)
        do {
            return try OperatorCredentials(decoding: host.open(envelope, info: info))
        } catch let error as ProtocolError {
            throw error
        } catch {
            throw ProtocolError(.envelopeInvalid, "field 63 does not open with the host's key")
        }
    }

    // MARK: Host → terminal: keys

    /// Field 62: the PIN key (encrypt-only for the terminal), MAC key and data key as TR-31
    /// version D blocks under the terminal master key, non-exportable, each followed by its
    /// 6-hex-digit CMAC check value, in that order.
    public static func keyBlocksField(pinKey: AESKey<PINEncryption>, macKey: AESKey<MessageAuthentication>, dataKey: AESKey<DataEncryption>,
                                      under masterKey: AESKey<KeyBlockProtection>) throws -> String {
        try TR31.wrap(pinKey.restricted(to: .encryptOnly), under: masterKey, exportability: .nonExportable) + pinKey.checkValue().hex
            + TR31.wrap(macKey.restricted(to: .generateAndVerify), under: masterKey, exportability: .nonExportable) + macKey.checkValue().hex
            + TR31.wrap(dataKey.restricted(to: .encryptAndDecrypt), under: masterKey, exportability: .nonExportable) + dataKey.checkValue().hex
    }

    /// The terminal unwraps field 62 — each block as the usage its position says, or not at
    /// all — and checks each key's check value.
    public static func sessionKeys(fromKeyBlocksField field: String, under masterKey: AESKey<KeyBlockProtection>, keySet: KeySetIdentifier) throws -> SessionKeys {
        var rest = Substring(field)
        func next<U: KeyUsage>(_ usage: U.Type) throws -> AESKey<U> {
            let lengthDigits = rest.dropFirst().prefix(4)
            // Digits only: Int() would also take "+123" or "-001".
            guard lengthDigits.count == 4, lengthDigits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                  let length = Int(lengthDigits), length >= 16, rest.count >= length + 6 else {
                throw ProtocolError(.keyDeliveryInvalid, "field 62 is malformed")
            }
            let key: AESKey<U>
            do { key = try TR31.unwrap(String(rest.prefix(length)), as: U.self, under: masterKey).key } catch {
                throw ProtocolError(.keyDeliveryInvalid, "a \(U.code) key block does not unwrap under the terminal master key")
            }
            guard try key.checkValue().hex == String(rest.dropFirst(length).prefix(6)) else {
                throw ProtocolError(.keyDeliveryInvalid, "the \(U.code) key's check value differs")
            }
            rest = rest.dropFirst(length + 6)
            return key
        }
        let pinKey = try next(PINEncryption.self), macKey = try next(MessageAuthentication.self), dataKey = try next(DataEncryption.self)
        guard rest.isEmpty else { throw ProtocolError(.keyDeliveryInvalid, "field 62 has trailing characters") }
        return SessionKeys(pinKey: pinKey, macKey: macKey, dataKey: dataKey, keySet: keySet)
    }

    /// Field 63 of a sign-on response: the terminal's master key sealed to its device key.
    public static func sealMasterKey(_ masterKey: AESKey<KeyBlockProtection>, to device: SealingPublicKey, terminalID: String, keySet: KeySetIdentifier) throws -> [UInt8] {
        try device.seal(masterKey, info: masterKeyInfo(terminalID: terminalID, keySet: keySet))
    }

    public static func openMasterKey(_ envelope: [UInt8], with device: SealingPrivateKey, terminalID: String, keySet: KeySetIdentifier) throws -> AESKey<KeyBlockProtection> {
        do {
            return try device.openKey(envelope, as: KeyBlockProtection.self, info: masterKeyInfo(terminalID: terminalID, keySet: keySet))
        } catch {
            throw ProtocolError(.envelopeInvalid, "the terminal master key does not open with this device's key")
        }
    }
}
