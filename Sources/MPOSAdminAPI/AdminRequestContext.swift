public import Hummingbird
public import MPOSHost

/// A request to the administration API, with who sent it once the authentication middleware
/// has checked their session or token.
public struct AdminRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The signed-in person, if any.
    public var identity: AdminIdentity?
    /// Their session or token.
    public var credential: AdminCredentialRecord?
    /// The browser session's token, for the console's CSRF check.
    var sessionToken: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }

    /// Bodies are small JSON objects: anything larger is refused before it is read.
    public var maxUploadSize: Int { 64 * 1024 }

    /// The signed-in person, or a 401.
    func requireIdentity() throws -> AdminIdentity { try requireCredential().identity }

    /// The signed-in person and the session or token that proved it, or a 401.
    func requireCredential() throws -> (identity: AdminIdentity, credential: AdminCredentialRecord) {
        guard let identity, let credential else {
            throw AdminProblem(.unauthorized, code: "host.auth.unauthenticated", "sign in first: a session or an API token")
        }
        return (identity, credential)
    }

    /// The signed-in person, if their role has `permission`; a 401 or 403 otherwise.
    func require(_ permission: AdminPermission) throws -> AdminIdentity {
        let identity = try requireIdentity()
        guard identity.role.may(permission) else {
            throw AdminProblem(.forbidden, code: "host.auth.forbidden",
                               "the \(identity.role.rawValue) role may not do this (\(permission.rawValue)): it needs a role that has that permission")
        }
        return identity
    }
}
