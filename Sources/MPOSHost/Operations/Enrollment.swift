import MPOSCrypto
import MPOSProtocol

/// Enrollment (0800/810): a device that knows its terminal's one-time code registers its two
/// public keys, and pins the host's.
///
/// It has no `prepare`: what authenticates the request — the code — is in the terminal's row,
/// so nothing can be checked before the store is read. Its checks, in order (docs/protocol.md
/// §4.4): blocked (`58`); enrolled already (the exact enrollment frame gets its response
/// again, anything else `12`); a code outstanding and unexpired (`63`); the code's MAC and the
/// device's signature (`63`, counted but never voiding the code); time and order (`A4`).
struct Enrollment {
    func apply(_ c: inout RequestContext, host: HostEngine) async throws -> Outcome {
        guard !c.terminal.isBlocked else { return try host.signedResponse(c, .terminalBlocked) }
        guard c.terminal.enrollment == .awaitingEnrollment else {
            if case .retransmission(let response) = try await c.checkMessageLog(session: 0) { return .retransmission(response, codec: host.codec) }
            return try host.signedResponse(c, .invalidTransaction)
        }
        guard let codeBlock = c.terminal.enrollmentCodeBlock, c.now < (c.terminal.enrollmentCodeExpiresAt ?? .distantFuture) else {
            c.record(AuditEvent("terminal.enrollment.failed", actor: c.actor, subject: c.subject, outcome: ResponseCode.securityViolation.rawValue,
                                details: c.terminal.enrollmentCodeBlock == nil ? "no enrollment code outstanding" : "the enrollment code has expired"))
            return try host.signedResponse(c, .securityViolation)
        }
        let code = try EnrollmentCode(baseDerivationKey: host.lmk.load(codeBlock, as: BaseDerivation.self))
        let verified: (message: AuthenticatedMessage, signing: SigningPublicKey, sealing: SealingPublicKey)
        do {
            verified = try EnrollmentSecurity.verifyRequest(c.request.frame, codec: host.codec, code: code, terminalID: c.terminal.id)
        } catch {
            // Counted for administrators, never a lockout: a 128-bit code cannot be guessed, and
            // a lockout would let anyone who knows a terminal ID void its code.
            c.terminal.enrollmentFailures += 1
            try await c.tx.updateTerminal(c.terminal)
            c.record(AuditEvent("terminal.enrollment.failed", actor: c.actor, subject: c.subject, outcome: ResponseCode.securityViolation.rawValue,
                                details: "enrollment code proof or device signature does not verify (\(c.terminal.enrollmentFailures) so far)"))
            return try host.signedResponse(c, .securityViolation)
        }
        c.authenticated = true
        guard c.isFresh(skew: host.configuration.permittedClockSkew), c.acceptOrder() else {
            return Outcome(response: try response(c, .staleMessage, code: code, host: host), code: .staleMessage)
        }
        c.terminal.enrollment = .enrolled
        c.terminal.enrollmentCodeBlock = nil
        c.terminal.deviceSigningKey = verified.signing.x963
        c.terminal.deviceSealingKey = verified.sealing.x963
        c.terminal.lastSeenAt = c.now
        try await c.tx.updateTerminal(c.terminal)
        c.record(AuditEvent("terminal.enrolled", actor: c.actor, subject: c.subject,
                            details: "device signing key \(verified.signing.fingerprint), sealing key \(verified.sealing.fingerprint)"))
        let bytes = try response(c, .approved, code: code, host: host)
        try await c.logResponse(bytes, session: 0, host: host)
        return Outcome(response: bytes, code: .approved)
    }

    /// Enrollment responses carry the host's keys and are MACed under the code's key, so the
    /// terminal can tell they come from the host the administrator set it up with.
    private func response(_ c: RequestContext, _ code: ResponseCode, code enrollmentCode: EnrollmentCode, host: HostEngine) throws -> [UInt8] {
        var response = c.kind.response(to: c.message, code: code)
        response[MPOSField.publicKeys] = EnrollmentSecurity.publicKeysField(signing: host.keys.signing.publicKey, sealing: host.keys.sealing.publicKey)
        return try EnrollmentSecurity.protectResponse(response, answering: c.request.frame, signingKey: host.keys.signing, code: enrollmentCode,
                                                      terminalID: c.terminal.id, codec: host.codec)
    }
}
