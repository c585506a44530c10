import MPOSCrypto
import MPOSProtocol

/// Sign-on and sign-off: network operations whose request carries an operator's credentials.
protocol OperatorOperation: NetworkOperation where Prepared == OperatorCredentials {}

extension OperatorOperation {
    /// Field 63 opened with the host's sealing key (`63` if it does not open or holds
    /// malformed credentials).
    func prepare(_ request: AuthenticatedMessage, keys: HostKeys) -> Result<OperatorCredentials, Refusal> {
        OperatorCredentials.opened(from: request, keys: keys)
    }
}

extension OperatorCredentials {
    /// Sign-on's and sign-off's preparation: field 63 opened with the host's sealing key (`63`
    /// if it does not open or holds malformed credentials).
    static func opened(from request: AuthenticatedMessage, keys: HostKeys) -> Result<OperatorCredentials, Refusal> {
        do {
            return .success(try SignOnSecurity.openCredentials(of: request, with: keys.sealing))
        } catch {
            return .failure(Refusal(.securityViolation, "operator credentials do not open"))
        }
    }

    /// Checks the number and key against the operator table; nil when they match.
    ///
    /// The key is checked first, so a locked or disabled operator is revealed (`A3`) only to
    /// someone who knows its key. Wrong keys count towards the operator's lock, and every
    /// failure — whichever operator it named, known or not — towards the terminal's: too many
    /// in a row block the terminal. Every attempt is audited, never with the key.
    func check(_ c: inout RequestContext, host: HostEngine) async throws -> ResponseCode? {
        let presented = try OperatorVerificationValue.compute(number: number, keyBytes: unsafeKeyBytes, using: host.keys.operatorVerification)
        let record = try await c.tx.operatorRecord(number: number)
        guard var record, KeyedValue(bytes: record.verificationValue) == presented else {
            if var known = record, !known.isLocked, !known.isDisabled {
                known.consecutiveFailures += 1
                if known.consecutiveFailures >= host.configuration.operatorLockoutThreshold {
                    known.isLocked = true
                    c.record(AuditEvent("operator.locked", actor: "host", subject: "operator:\(known.number)", outcome: ResponseCode.operatorLocked.rawValue,
                                        details: "\(known.consecutiveFailures) wrong keys in a row; an administrator must unlock it"))
                }
                try await c.tx.updateOperator(known)
            }
            c.recordRefusal(.invalidOperator, subject: "operator:\(number)", "wrong operator number or key")
            c.terminal.consecutiveOperatorFailures += 1
            if c.terminal.consecutiveOperatorFailures >= host.configuration.terminalOperatorFailureLimit {
                c.terminal.isBlocked = true
                if let session = c.terminal.currentSession {
                    try await host.endSession(session, reason: .forced, c)
                    c.terminal.currentSession = nil
                }
                c.record(AuditEvent("terminal.blocked", actor: "host", subject: c.subject, outcome: ResponseCode.terminalBlocked.rawValue,
                                    details: "\(c.terminal.consecutiveOperatorFailures) wrong operator numbers or keys in a row; an administrator must unblock it"))
            }
            return .invalidOperator
        }
        guard !record.isDisabled, !record.isLocked else {
            c.recordRefusal(.operatorLocked, subject: "operator:\(record.number)", record.isDisabled ? "operator disabled" : "operator locked")
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
}
