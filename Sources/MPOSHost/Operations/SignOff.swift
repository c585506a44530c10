import MPOSProtocol

/// Sign-off (0820/002): the operator checked again, the session ended, its keys erased.
struct SignOff: OperatorOperation {
    func apply(_ credentials: OperatorCredentials, _ c: inout RequestContext, host: HostEngine) async throws -> NetworkResponse {
        let session = c.terminal.currentSession ?? 0
        if let refusal = try await credentials.check(&c, host: host) {
            return NetworkResponse(message: c.kind.response(to: c.message, code: refusal), session: session)
        }
        guard let current = c.terminal.currentSession else {
            c.recordRefusal(.invalidTransaction, "not signed in")
            return NetworkResponse(message: c.kind.response(to: c.message, code: .invalidTransaction), session: session)
        }
        try await host.endSession(current, reason: .signedOff, c)
        c.terminal.currentSession = nil
        c.record(AuditEvent("sign-off", actor: "\(c.actor)/operator:\(credentials.number)", subject: c.subject,
                            details: "session \(current) ended; its keys are erased"))
        return NetworkResponse(message: c.kind.response(to: c.message, code: .approved), session: session)
    }
}
