import ISO8583
import MPOSCrypto
import MPOSProtocol

/// What the host does with one kind of signed network request (sign-on, sign-off, echo):
/// after the checks every such request passes (``HostEngine/networkRequest(_:_:)``).
protocol NetworkOperation: Sendable {
    associatedtype Prepared: Sendable

    /// No store: what the authenticated request carries, opened with the host's own keys.
    func prepare(_ request: AuthenticatedMessage, keys: HostKeys) -> Result<Prepared, Refusal>

    /// In the request's transaction: the operation's own checks and effects. Returns the
    /// response to sign, and the session whose retransmission cache keeps it.
    func apply(_ prepared: Prepared, _ c: inout RequestContext, host: HostEngine) async throws -> NetworkResponse
}

struct NetworkResponse {
    let message: ISO8583Message
    let session: Int64
}

extension HostEngine {
    /// The checks of a signed network request, in order (docs/protocol.md §4.4): enrolled
    /// (`03`), not blocked (`58`), the device's signature (`63`), the STAN (the exact request
    /// again gets its response again; other content under a STAN of this session `94`), time
    /// and order (`A4`); then the operation.
    func networkRequest<Operation: NetworkOperation>(_ operation: Operation, _ c: inout RequestContext) async throws -> Outcome {
        guard c.terminal.enrollment == .enrolled, let signingKey = c.terminal.deviceSigningKey else {
            return try signedResponse(c, .invalidTerminal)
        }
        guard !c.terminal.isBlocked else {
            c.recordUnprovenRefusal(.terminalBlocked, "terminal blocked")
            return try signedResponse(c, .terminalBlocked)
        }
        let authenticated: AuthenticatedMessage
        do {
            authenticated = try MessageSignature.verify(c.request.frame, codec: codec, signer: SigningPublicKey(x963: signingKey))
        } catch {
            c.recordUnprovenRefusal(.securityViolation, "device signature does not verify")
            return try signedResponse(c, .securityViolation)
        }
        c.authenticated = true
        let session = c.terminal.currentSession ?? 0
        switch try await c.checkMessageLog(session: session) {
        case .retransmission(let response): return .retransmission(response, codec: codec)
        case .conflict: return try signedResponse(c, .duplicateTransmission)
        case .new: break
        }
        guard c.isFresh(skew: configuration.permittedClockSkew), c.acceptOrder() else {
            c.recordRefusal(.staleMessage, "transmission time outside the skew, or not after the last request")
            return try await finish(NetworkResponse(message: c.kind.response(to: c.message, code: .staleMessage), session: session), &c)
        }
        c.terminal.lastSeenAt = c.now
        switch operation.prepare(authenticated, keys: keys) {
        case .failure(let refusal):
            c.recordRefusal(refusal.code, subject: refusal.subject, refusal.details)
            return try await finish(NetworkResponse(message: c.kind.response(to: c.message, code: refusal.code), session: session), &c)
        case .success(let prepared):
            return try await finish(operation.apply(prepared, &c, host: self), &c)
        }
    }

    /// Saves the terminal, signs the response and keeps it for retransmissions.
    private func finish(_ response: NetworkResponse, _ c: inout RequestContext) async throws -> Outcome {
        try await c.tx.updateTerminal(c.terminal)
        let bytes = try MessageSignature.signResponse(response.message, answering: c.request.frame, with: keys.signing, codec: codec)
        try await c.logResponse(bytes, session: response.session, host: self)
        let code = response.message.text(MPOSField.responseCode).flatMap(ResponseCode.init(rawValue:)) ?? .approved
        return Outcome(response: bytes, code: code)
    }
}
