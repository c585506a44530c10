import MPOSCrypto
import MPOSProtocol

/// Sign-on (0800/001): the operator checked against the operator table, then a new session
/// with fresh PIN, MAC and data keys under the terminal's master key, which comes along sealed
/// to the device. A session the terminal held before ends.
struct SignOn: OperatorOperation {
    func apply(_ credentials: OperatorCredentials, _ c: inout RequestContext, host: HostEngine) async throws -> NetworkResponse {
        let previousSession = c.terminal.currentSession ?? 0
        if let refusal = try await credentials.check(&c, host: host) {
            return NetworkResponse(message: c.kind.response(to: c.message, code: refusal), session: previousSession)
        }

        // Keys: the terminal's master key under the active base key version, and fresh session keys.
        let (version, baseKey) = try await KeyManagement.activeBaseMasterKey(lmk: host.lmk, in: c.tx)
        let masterKey = try KeyManagement.terminalMasterKey(base: baseKey, terminal: c.terminal, version: version)
        if let previous = c.terminal.currentSession {
            try await host.endSession(previous, reason: .superseded, c)
        }
        let number = try await c.tx.nextSequenceValue("session")
        guard let keySet = KeySetIdentifier(baseKeyVersion: version, session: Int(number)) else {
            throw HostError(.invalidRequest, "session numbers are exhausted")
        }
        let pinKey = try AESKey<PINEncryption>(generating: .bits128)
        let macKey = try AESKey<MessageAuthentication>(generating: .bits128)
        let dataKey = try AESKey<DataEncryption>(generating: .bits128)

        var response = c.kind.response(to: c.message, code: .approved)
        response.setText(MPOSField.keySetIdentifier, keySet.field)
        response.setText(MPOSField.keyBlocks, try SignOnSecurity.keyBlocksField(pinKey: pinKey, macKey: macKey, dataKey: dataKey, under: masterKey))
        // The TMK goes with every sign-on response, sealed to the device: a terminal that lost
        // one response (and so its key) must not be locked out until the next rotation.
        let previousVersion = c.terminal.masterKeyVersion
        if let sealingKey = c.terminal.deviceSealingKey {
            response[MPOSField.sealedEnvelope] = try SignOnSecurity.sealMasterKey(masterKey, to: SealingPublicKey(x963: sealingKey),
                                                                                 terminalID: c.terminal.id, keySet: keySet)
        }
        try await c.tx.insertSession(SessionRecord(number: number, terminalID: c.terminal.id, operatorNumber: credentials.number, baseKeyVersion: version,
                                                   pinKeyBlock: try host.lmk.store(pinKey), macKeyBlock: try host.lmk.store(macKey),
                                                   dataKeyBlock: try host.lmk.store(dataKey), startedAt: c.now))
        c.terminal.currentSession = number
        c.terminal.masterKeyVersion = version
        c.terminal.signOnRequested = false
        var details = "operator \(credentials.number), key set \(keySet.field)"
        if previousVersion != version { details += ", terminal master key of base key version \(version) issued" }
        c.record(AuditEvent("sign-on.succeeded", actor: "\(c.actor)/operator:\(credentials.number)", subject: c.subject, details: details))
        if let previousVersion, previousVersion != version {
            // The old version retires once no terminal holds it: this one counts as moved on
            // only once its row says so.
            try await c.tx.updateTerminal(c.terminal)
            for retired in try await KeyManagement.retireUnusedBaseMasterKeys(in: c.tx, now: c.now) {
                c.record(AuditEvent("key.bmk.retired", actor: "host", subject: "key:bmk/\(retired)", details: "no terminal holds it any more; its key block is erased"))
            }
        }
        return NetworkResponse(message: response, session: number)
    }
}
