package import MPOSCrypto

extension TerminalStateMachine.Credentials {
    /// The credentials as the parts a terminal key store keeps: private keys as raw P-256
    /// scalars, the TMK as raw bytes with its mode and exportability, public keys as X9.62,
    /// the key set as field 53. Inside the mpos package only: these are the terminal's secrets,
    /// and the key stores (`MPOSTerminal`) are the one place that may hold them as bytes — to
    /// encrypt them at once.
    package struct StoredParts: Sendable {
        package var terminalID: String
        package var deviceSigningKey: [UInt8]
        package var deviceSealingKey: [UInt8]
        package var hostSigningKey: [UInt8]?
        package var hostSealingKey: [UInt8]?
        package var masterKey: [UInt8]?
        package var masterKeyModeOfUse: ModeOfUse?
        package var masterKeyExportability: Exportability?
        package var masterKeySet: String?

        package init(terminalID: String, deviceSigningKey: [UInt8], deviceSealingKey: [UInt8], hostSigningKey: [UInt8]? = nil,
                     hostSealingKey: [UInt8]? = nil, masterKey: [UInt8]? = nil, masterKeyModeOfUse: ModeOfUse? = nil,
                     masterKeyExportability: Exportability? = nil, masterKeySet: String? = nil) {
            self.terminalID = terminalID
            self.deviceSigningKey = deviceSigningKey
            self.deviceSealingKey = deviceSealingKey
            self.hostSigningKey = hostSigningKey
            self.hostSealingKey = hostSealingKey
            self.masterKey = masterKey
            self.masterKeyModeOfUse = masterKeyModeOfUse
            self.masterKeyExportability = masterKeyExportability
            self.masterKeySet = masterKeySet
        }
    }

    package var storedParts: StoredParts {
        StoredParts(terminalID: terminalID, deviceSigningKey: deviceSigning.unsafeRawRepresentation,
                    deviceSealingKey: deviceSealing.unsafeRawRepresentation, hostSigningKey: hostSigning?.x963,
                    hostSealingKey: hostSealing?.x963, masterKey: masterKey?.unsafeRawBytes(), masterKeyModeOfUse: masterKey?.modeOfUse,
                    masterKeyExportability: masterKey?.exportability, masterKeySet: masterKeySet?.field)
    }

    /// Rebuilds credentials from stored parts; throws if any part is not a valid key. The host
    /// keys come together or not at all, and so do the TMK and its key set.
    package init(storedParts parts: StoredParts) throws {
        self.init(terminalID: parts.terminalID,
                  deviceSigning: try SigningPrivateKey(unsafeRawRepresentation: parts.deviceSigningKey),
                  deviceSealing: try SealingPrivateKey(unsafeRawRepresentation: parts.deviceSealingKey))
        switch (parts.hostSigningKey, parts.hostSealingKey) {
        case (let signing?, let sealing?):
            hostSigning = try SigningPublicKey(x963: signing)
            hostSealing = try SealingPublicKey(x963: sealing)
        case (nil, nil): break
        default: throw ProtocolError(.missingOrUnexpectedField, "stored credentials have one host key without the other")
        }
        switch (parts.masterKey, parts.masterKeySet) {
        case (let key?, let field?):
            guard let keySet = KeySetIdentifier(field: field) else {
                throw ProtocolError(.missingOrUnexpectedField, "stored credentials have an invalid key set identifier")
            }
            masterKey = try AESKey(unsafeRawBytes: key, modeOfUse: parts.masterKeyModeOfUse ?? KeyBlockProtection.defaultMode,
                                   exportability: parts.masterKeyExportability ?? .nonExportable)
            masterKeySet = keySet
        case (nil, nil): break
        default: throw ProtocolError(.missingOrUnexpectedField, "stored credentials have a master key without its key set, or the reverse")
        }
    }
}
