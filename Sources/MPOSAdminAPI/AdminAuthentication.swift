import Crypto
import HTTPTypes
import HummingbirdBcrypt
import NIOPosix
import Foundation
import Hummingbird
public import MPOSHost

/// Who sent a request: an API token (`Authorization: Bearer mpos_…`, for scripts and the CLI)
/// or a browser session (the `mpos_session` cookie). A request with a session cookie that
/// changes anything must also carry the session's CSRF token (`X-CSRF-Token`), which a page of
/// another site cannot read: that is what stops cross-site request forgery. A token in a
/// header needs none (a browser never sends one by itself).
struct AdminAuthentication: RouterMiddleware {
    typealias Context = AdminRequestContext
    static let sessionCookie = "mpos_session"
    static let csrfHeader = HTTPField.Name("X-CSRF-Token")!

    let administration: HostAdministration
    let policy: AdminPolicy

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let authorization = request.headers[.authorization] {
            // The scheme is case-insensitive (RFC 9110 §11.1).
            guard authorization.count > 7, authorization.prefix(7).lowercased() == "bearer " else {
                throw AdminProblem(.unauthorized, code: "host.auth.unauthenticated", "send an API token as `Authorization: Bearer mpos_…`")
            }
            let (identity, credential) = try await administration.authenticate(token: String(authorization.dropFirst(7)), policy: policy)
            context.identity = identity
            context.credential = credential
        } else if let session = request.cookies[Self.sessionCookie]?.value {
            // A stale cookie on a public page (sign-in) is no reason to refuse it.
            if let (identity, credential) = try? await administration.authenticate(token: session, policy: policy) {
                // The console's forms carry the token as a field, checked by the console
                // before it reads anything else (ConsoleForm).
                if request.method.isUnsafe, !Console.isConsolePath(request.uri.path) {
                    guard let sent = request.headers[Self.csrfHeader], Self.constantTimeEqual(sent, Self.csrfToken(forSession: session)) else {
                        throw AdminProblem(.forbidden, code: "api.csrf", "this change needs the session's CSRF token (X-CSRF-Token): reload the page")
                    }
                }
                context.identity = identity
                context.credential = credential
                context.sessionToken = session
            }
        }
        return try await next(request, context)
    }

    /// HMAC-SHA256 of a fixed label under the session token: only whoever holds the cookie's
    /// value can compute it, and the host need not store it.
    static func csrfToken(forSession token: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array("mpos-csrf".utf8), using: SymmetricKey(data: Array(token.utf8)))
        return mac.map { String(format: "%02x", $0) }.joined()
    }

    static func constantTimeEqual(_ lhs: String, _ rhs: String) -> Bool {
        let a = Array(lhs.utf8), b = Array(rhs.utf8)
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

extension HTTPRequest.Method {
    var isUnsafe: Bool { ![.get, .head, .options].contains(self) }
}

/// bcrypt (hummingbird-auth's), cost 12 by default, run on NIO's blocking thread pool: a hash
/// takes about a quarter of a second by design and must not hold a cooperative thread.
public struct BcryptPasswordHasher: PasswordHasher {
    public let cost: UInt8

    public init(cost: UInt8 = 12) { self.cost = cost }

    public func hash(_ password: String) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    public func verify(_ password: String, against hash: String) async -> Bool {
        (try? await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }) ?? false
    }
}
