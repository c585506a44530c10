import Foundation
import ISO8583
import MPOSCrypto
import MPOSProtocol

// Enrollment, sign-on, sign-off and echo: the signed network management requests.
extension HostEngine {
    // MARK: Enrollment (0800/810)

    func enroll(_ c: inout RequestContext) async throws -> [UInt8] {
        guard !c.terminal.isBlocked else { return try signedResponse(c, .terminalBlocked) }
        guard c.terminal.enrollment == .awaitingEnrollment else {
            // Enrolled already: the exact enrollment frame again gets its response again.
            if case .retransmission(let response) = try await checkMessageLog(c, session: 0) { return response }
            return try signedResponse(c, .invalidTransaction)
        }
        guard let codeBlock = c.terminal.enrollmentCodeBlock, c.now < (c.terminal.enrollmentCodeExpiresAt ?? .distantFuture) else {
            audit(AuditEvent("terminal.enrollment.failed", actor: c.actor, subject: c.subject, outcome: "63",
                                       details: c.terminal.enrollmentCodeBlock == nil ? "no enrollment code outstanding" : "the enrollment code has expired"), c)
            return try signedResponse(c, .securityViolation)
        }
        let code = try EnrollmentCode(baseDerivationKey: lmk.load(codeBlock, as: BaseDerivation.self))
        let verified: (message: AuthenticatedMessage, signing: SigningPublicKey, sealing: SealingPublicKey)
        do {
            verified = try EnrollmentSecurity.verifyRequest(c.frame, codec: codec, code: code, terminalID: c.terminal.id)
        } catch {
            // Counted for administrators, never a lockout: a 128-bit code cannot be guessed, and
            // a lockout would let anyone who knows a terminal ID void its code.
            c.terminal.enrollmentFailures += 1
            try await c.tx.updateTerminal(c.terminal)
            audit(AuditEvent("terminal.enrollment.failed", actor: c.actor, subject: c.subject, outcome: "63",
                                       details: "enrollment code proof or device signature does not verify (\(c.terminal.enrollmentFailures) so far)"), c)
            return try signedResponse(c, .securityViolation)
        }
        guard isFresh(c), acceptOrder(&c) else {
            return try enrollmentResponse(c, .staleMessage, code: code)
        }
        c.terminal.enrollment = .enrolled
        c.terminal.enrollmentCodeBlock = nil
        c.terminal.deviceSigningKey = verified.signing.x963
        c.terminal.deviceSealingKey = verified.sealing.x963
        c.terminal.lastSeenAt = c.now
        try await c.tx.updateTerminal(c.terminal)
        audit(AuditEvent("terminal.enrolled", actor: c.actor, subject: c.subject,
                                   details: "device signing key \(verified.signing.fingerprint), sealing key \(verified.sealing.fingerprint)"), c)
        let response = try enrollmentResponse(c, .approved, code: code)
        try await logResponse(response, for: c, session: 0)
        return response
    }

    /// Enrollment responses carry the host's keys and are MACed under the code's key, so the
    /// terminal can tell they come from the host the administrator set it up with.
    private func enrollmentResponse(_ c: RequestContext, _ code: ResponseCode, code enrollmentCode: EnrollmentCode) throws -> [UInt8] {
        var response = c.kind.response(to: c.request, code: code)
        response[MPOSField.publicKeys] = EnrollmentSecurity.publicKeysField(signing: keys.signing.publicKey, sealing: keys.sealing.publicKey)
        return try EnrollmentSecurity.protectResponse(response, answering: c.frame, signingKey: keys.signing, code: enrollmentCode, terminalID: c.terminal.id, codec: codec)
    }

    // MARK: Sign-on, sign-off, echo (0800/001, 0820/002, 0800/301)

    func networkRequest(_ c: inout RequestContext) async throws -> [UInt8] {
        guard c.terminal.enrollment == .enrolled, let signingKey = c.terminal.deviceSigningKey else {
            return try signedResponse(c, .invalidTerminal)
        }
        guard !c.terminal.isBlocked else {
            audit(AuditEvent("\(c.kind.auditName).refused", actor: c.actor, subject: c.subject, outcome: "58", details: "terminal blocked"), c)
            return try signedResponse(c, .terminalBlocked)
        }
        let authenticated: AuthenticatedMessage
        do {
            authenticated = try MessageSignature.verify(c.frame, codec: codec, signer: SigningPublicKey(x963: signingKey))
        } catch {
            audit(AuditEvent("\(c.kind.auditName).refused", actor: c.actor, subject: c.subject, outcome: "63", details: "device signature does not verify"), c)
            return try signedResponse(c, .securityViolation)
        }
        let session = c.terminal.currentSession ?? 0
        switch try await checkMessageLog(c, session: session) {
        case .retransmission(let response): return response
        case .conflict: return try signedResponse(c, .duplicateTransmission)
        case .new: break
        }
        guard isFresh(c), acceptOrder(&c) else {
            audit(AuditEvent("\(c.kind.auditName).refused", actor: c.actor, subject: c.subject, outcome: "A4", details: "transmission time outside the skew, or not after the last request"), c)
            return try await finishNetworkRequest(&c, c.kind.response(to: c.request, code: .staleMessage), session: session)
        }
        c.terminal.lastSeenAt = c.now
        switch c.kind {
        case .signOn: return try await signOn(&c, authenticated)
        case .signOff: return try await signOff(&c, authenticated)
        default: return try await finishNetworkRequest(&c, c.kind.response(to: c.request, code: .approved), session: session)
        }
    }

    /// Saves the terminal, signs the response and keeps it for retransmissions.
    private func finishNetworkRequest(_ c: inout RequestContext, _ response: ISO8583Message, session: Int64) async throws -> [UInt8] {
        try await c.tx.updateTerminal(c.terminal)
        let bytes = try MessageSignature.signResponse(response, answering: c.frame, with: keys.signing, codec: codec)
        try await logResponse(bytes, for: c, session: session)
        return bytes
    }

    /// Signed requests must come in order, per terminal and across sessions: (field 7, STAN)
    /// strictly increasing, so a captured sign-off cannot be replayed into a later session.
    func acceptOrder(_ c: inout RequestContext) -> Bool {
        guard let time = c.request.text(MPOSField.transmissionDateTime).flatMap(TransmissionDateTime.init(field:))?.date(closestTo: c.now) else { return false }
        var order = NetworkRequestOrder(lastTime: c.terminal.lastNetworkRequestAt, lastSTAN: c.terminal.lastNetworkRequestSTAN)
        guard (try? order.accept(time: time, stan: c.stan)) != nil else { return false }
        c.terminal.lastNetworkRequestAt = order.lastTime
        c.terminal.lastNetworkRequestSTAN = order.lastSTAN
        return true
    }

    private func signOn(_ c: inout RequestContext, _ authenticated: AuthenticatedMessage) async throws -> [UInt8] {
        let previousSession = c.terminal.currentSession ?? 0
        let credentials: OperatorCredentials
        switch try await authenticateOperator(authenticated, &c) {
        case .success(let operatorCredentials): credentials = operatorCredentials
        case .failure(let refusal): return try await finishNetworkRequest(&c, c.kind.response(to: c.request, code: refusal.code), session: previousSession)
        }

        // Keys: the terminal's master key under the active base key version, and fresh session keys.
        let (version, baseKey) = try await KeyManagement.activeBaseMasterKey(lmk: lmk, in: c.tx)
        let masterKey = try KeyManagement.terminalMasterKey(base: baseKey, terminal: c.terminal, version: version)
        if let previous = c.terminal.currentSession {
            try await endSession(previous, reason: .superseded, c)
        }
        let number = try await c.tx.nextSequenceValue("session")
        guard let keySet = KeySetIdentifier(baseKeyVersion: version, session: Int(number)) else {
            throw HostError(.invalidRequest, "session numbers are exhausted")
        }
        let pinKey = try AESKey<PINEncryption>(generating: .bits128)
        let macKey = try AESKey<MessageAuthentication>(generating: .bits128)
        let dataKey = try AESKey<DataEncryption>(generating: .bits128)

        var response = c.kind.response(to: c.request, code: .approved)
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
                                                   pinKeyBlock: try lmk.store(pinKey), macKeyBlock: try lmk.store(macKey),
                                                   dataKeyBlock: try lmk.store(dataKey), startedAt: c.now))
        c.terminal.currentSession = number
        c.terminal.masterKeyVersion = version
        c.terminal.signOnRequested = false
        let bytes = try await finishNetworkRequest(&c, response, session: number)
        var details = "operator \(credentials.number), key set \(keySet.field)"
        if previousVersion != version { details += ", terminal master key of base key version \(version) issued" }
        audit(AuditEvent("sign-on.succeeded", actor: "\(c.actor)/operator:\(credentials.number)", subject: c.subject, details: details), c)
        if let previousVersion, previousVersion != version {
            for retired in try await KeyManagement.retireUnusedBaseMasterKeys(in: c.tx, now: c.now) {
                audit(AuditEvent("key.bmk.retired", actor: "host", subject: "key:bmk/\(retired)", details: "no terminal holds it any more; its key block is erased"), c)
            }
        }
        return bytes
    }

    private func signOff(_ c: inout RequestContext, _ authenticated: AuthenticatedMessage) async throws -> [UInt8] {
        let session = c.terminal.currentSession ?? 0
        let credentials: OperatorCredentials
        switch try await authenticateOperator(authenticated, &c) {
        case .success(let operatorCredentials): credentials = operatorCredentials
        case .failure(let refusal): return try await finishNetworkRequest(&c, c.kind.response(to: c.request, code: refusal.code), session: session)
        }
        guard let current = c.terminal.currentSession else {
            audit(AuditEvent("sign-off.refused", actor: c.actor, subject: c.subject, outcome: "12", details: "not signed in"), c)
            return try await finishNetworkRequest(&c, c.kind.response(to: c.request, code: .invalidTransaction), session: session)
        }
        try await endSession(current, reason: .signedOff, c)
        c.terminal.currentSession = nil
        audit(AuditEvent("sign-off", actor: "\(c.actor)/operator:\(credentials.number)", subject: c.subject,
                                   details: "session \(current) ended; its keys are erased"), c)
        return try await finishNetworkRequest(&c, c.kind.response(to: c.request, code: .approved), session: session)
    }

    struct OperatorRefusal: Error { let code: ResponseCode }

    /// Opens the sealed operator credentials (`63` if they do not open) and checks them.
    private func authenticateOperator(_ authenticated: AuthenticatedMessage, _ c: inout RequestContext) async throws -> Result<OperatorCredentials, OperatorRefusal> {
        let credentials: OperatorCredentials
        do { credentials = try SignOnSecurity.openCredentials(of: authenticated, with: keys.sealing) } catch {
            audit(AuditEvent("\(c.kind.auditName).refused", actor: c.actor, subject: c.subject, outcome: "63", details: "operator credentials do not open"), c)
            return .failure(OperatorRefusal(code: .securityViolation))
        }
        if let refusal = try await checkOperator(credentials, &c) { return .failure(OperatorRefusal(code: refusal)) }
        return .success(credentials)
    }

    /// Checks the operator number and key against the operator table; nil when they match.
    /// The key is checked first, so a locked or disabled operator is revealed (`A3`) only to
    /// someone who knows its key. Wrong keys count towards the operator's lock, and every
    /// failure — whichever operator it named, known or not — towards the terminal's: too
    /// many in a row block the terminal. Every attempt is audited, never with the key.
    private func checkOperator(_ credentials: OperatorCredentials, _ c: inout RequestContext) async throws -> ResponseCode? {
        let event = "\(c.kind.auditName).refused"
        let presented = try OperatorVerificationValue.compute(number: credentials.number, keyBytes: credentials.unsafeKeyBytes, using: keys.operatorVerification)
        let record = try await c.tx.operatorRecord(number: credentials.number)
        guard var record, KeyedValue(bytes: record.verificationValue) == presented else {
            if var known = record, !known.isLocked, !known.isDisabled {
                known.consecutiveFailures += 1
                if known.consecutiveFailures >= configuration.operatorLockoutThreshold {
                    known.isLocked = true
                    audit(AuditEvent("operator.locked", actor: "host", subject: "operator:\(known.number)", outcome: "A3",
                                               details: "\(known.consecutiveFailures) wrong keys in a row; an administrator must unlock it"), c)
                }
                try await c.tx.updateOperator(known)
            }
            audit(AuditEvent(event, actor: c.actor, subject: "operator:\(credentials.number)", outcome: "A2",
                                       details: "wrong operator number or key"), c)
            c.terminal.consecutiveOperatorFailures += 1
            if c.terminal.consecutiveOperatorFailures >= configuration.terminalOperatorFailureLimit {
                c.terminal.isBlocked = true
                if let session = c.terminal.currentSession {
                    try await endSession(session, reason: .forced, c)
                    c.terminal.currentSession = nil
                }
                audit(AuditEvent("terminal.blocked", actor: "host", subject: c.subject, outcome: "58",
                                           details: "\(c.terminal.consecutiveOperatorFailures) wrong operator numbers or keys in a row; an administrator must unblock it"), c)
            }
            return .invalidOperator
        }
        guard !record.isDisabled, !record.isLocked else {
            audit(AuditEvent(event, actor: c.actor, subject: "operator:\(record.number)", outcome: "A3",
                                       details: record.isDisabled ? "operator disabled" : "operator locked"), c)
            return .operatorLocked
        }
        c.terminal.consecutiveOperatorFailures = 0
        if record.consecutiveFailures != 0 || c.kind == .signOn {
            record.consecutiveFailures = 0
            if c.kind == .signOn { record.lastSignOnAt = c.now }
            try await c.tx.updateOperator(record)
        }
        return nil
    }

    func endSession(_ number: Int64, reason: SessionRecord.EndReason, _ c: RequestContext) async throws {
        sessionKeyCache.remove(session: number)
        try await KeyManagement.endSession(number, reason: reason, in: c.tx, now: c.now)
    }
}
