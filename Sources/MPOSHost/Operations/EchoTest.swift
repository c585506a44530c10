import MPOSProtocol

/// Echo test (0800/301): proves both ends and the path, signed in or out; changes nothing but
/// the terminal's last-seen time.
struct EchoTest: NetworkOperation {
    func prepare(_ request: AuthenticatedMessage, keys: HostKeys) -> Result<Void, Refusal> { .success(()) }

    func apply(_ prepared: Void, _ c: inout RequestContext, host: HostEngine) async throws -> NetworkResponse {
        NetworkResponse(message: c.kind.response(to: c.message, code: .approved), session: c.terminal.currentSession ?? 0)
    }
}
