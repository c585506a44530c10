import Foundation
import Hummingbird
import MPOSHost

/// Signing in and out, and one's own API tokens.
enum SessionRoutes {
    struct LogIn: Decodable {
        let name: String
        let password: String
        /// The authenticator app's current code, for an account with a second factor.
        let oneTimeCode: String?
    }

    struct Code: Decodable {
        let code: String
    }

    struct BeginSecondFactor: Decodable {
        /// The factor in force's current code, when replacing a confirmed one.
        let currentCode: String?
    }

    struct SecondFactorView: Codable, Sendable {
        let secret: String
        let authenticatorUrl: String
    }

    struct NewToken: Decodable {
        let label: String
        /// Default: the policy's (90 days).
        let lifetimeDays: Int?
        /// The person's password again: a token outlives the session that asks for it.
        let password: String
    }

    struct NewPassword: Decodable {
        let currentPassword: String
        let newPassword: String
    }

    static func register(on table: AdminRouteTable) {
        // Signs in: a session cookie (HttpOnly, SameSite=Strict, Secure over HTTPS) and the
        // session's CSRF token.
        table.add(.post, "/api/v1/session", .anyone) { call in
            let body = try await call.body(LogIn.self)
            guard body.name.utf8.count <= 64, body.password.utf8.count <= 256, (body.oneTimeCode?.utf8.count ?? 0) <= 16 else {
                throw AdminProblem(.unauthorized, code: "host.auth.unauthenticated", "wrong user name, password or code, or the account is locked: try again, or ask an administrator")
            }
            let (identity, issued) = try await call.api.administration.acting(asActor: "api").logIn(
                name: body.name, password: body.password, oneTimeCode: body.oneTimeCode, hasher: call.api.hasher, policy: call.api.policy)
            var response = try json(view(identity, issued.record, csrf: AdminAuthentication.csrfToken(forSession: issued.token)), status: .created)
            response.setCookie(Cookie(name: AdminAuthentication.sessionCookie, value: issued.token, maxAge: Int(call.api.policy.sessionLifetime),
                                      path: "/", secure: call.api.secureCookies, httpOnly: true, sameSite: .strict))
            return response
        }
        table.add(.get, "/api/v1/session", .signedIn) { call in
            let (identity, credential) = try call.context.requireCredential()
            let csrf = credential.kind == .session ? call.request.cookies[AdminAuthentication.sessionCookie].map { AdminAuthentication.csrfToken(forSession: $0.value) } : nil
            return try json(view(identity, credential, csrf: csrf))
        }
        // Signs out: the session (or the token that sent this) ends now.
        table.add(.delete, "/api/v1/session", .signedIn) { call in
            let (identity, credential) = try call.context.requireCredential()
            try await call.administration.revokeCredential(id: credential.id, owner: identity.name)
            var response = noContent()
            response.setCookie(Cookie(name: AdminAuthentication.sessionCookie, value: "", maxAge: 0, path: "/", secure: call.api.secureCookies,
                                      httpOnly: true, sameSite: .strict))
            return response
        }
        // A second factor: begin (the secret shown once), then confirm with one code.
        table.add(.post, "/api/v1/session/second-factor", .signedIn) { call in
            let body = try await call.body(BeginSecondFactor.self)
            guard (body.currentCode?.utf8.count ?? 0) <= 16 else { throw AdminProblem(.unprocessableContent, code: "host.invalid", "a one-time code is 6 digits") }
            let enrollment = try await call.administration.beginSecondFactor(for: try call.context.requireIdentity(), currentCode: body.currentCode)
            return try json(SecondFactorView(secret: enrollment.secret, authenticatorUrl: enrollment.authenticatorURL), status: .created)
        }
        table.add(.post, "/api/v1/session/second-factor/confirm", .signedIn) { call in
            let body = try await call.body(Code.self)
            guard body.code.utf8.count <= 16 else { throw AdminProblem(.unprocessableContent, code: "host.invalid", "a one-time code is 6 digits") }
            try await call.administration.confirmSecondFactor(for: try call.context.requireIdentity(), code: body.code)
            return noContent()
        }
        // Anyone's own password, with the current one (their sessions and tokens then end).
        table.add(.put, "/api/v1/session/password", .signedIn) { call in
            let identity = try call.context.requireIdentity()
            let body = try await call.body(NewPassword.self)
            try await call.administration.confirmPassword(of: identity, body.currentPassword, hasher: call.api.hasher, policy: call.api.policy)
            try await call.administration.setUserPassword(identity.name, password: body.newPassword, hasher: call.api.hasher, policy: call.api.policy)
            return noContent()
        }
        table.add(.get, "/api/v1/tokens", .signedIn) { call in
            let identity = try call.context.requireIdentity()
            return try json(try call.page(try await call.administration.credentials(of: identity.name).map(CredentialView.init)))
        }
        // Only from a browser session, with the password again: a token cannot make tokens
        // (a stolen one would outlive its expiry), and a stolen session alone cannot either.
        table.add(.post, "/api/v1/tokens", .signedIn) { call in
            let (identity, credential) = try call.context.requireCredential()
            guard credential.kind == .session else {
                throw AdminProblem(.forbidden, code: "host.auth.forbidden", "a token is made from a signed-in session (mpos-host login), not from another token")
            }
            let body = try await call.body(NewToken.self)
            let lifetime = try body.lifetimeDays.map { days -> TimeInterval in
                guard (1...365).contains(days) else { throw AdminProblem(.unprocessableContent, code: "host.invalid", "lifetime_days is 1 to 365") }
                return TimeInterval(days) * 86_400
            }
            try await call.administration.confirmPassword(of: identity, body.password, hasher: call.api.hasher, policy: call.api.policy)
            let issued = try await call.administration.issueToken(for: identity, label: body.label, lifetime: lifetime, policy: call.api.policy)
            return try json(IssuedTokenView(token: issued.token, credential: CredentialView(issued.record)), status: .created)
        }
        table.add(.delete, "/api/v1/tokens/{id}", .signedIn) { call in
            let identity = try call.context.requireIdentity()
            try await call.administration.revokeCredential(id: try call.parameter("id"), owner: identity.name)
            return noContent()
        }
    }

    static func view(_ identity: AdminIdentity, _ credential: AdminCredentialRecord, csrf: String?) -> SessionView {
        SessionView(user: identity.name, role: identity.role, permissions: identity.role.permissions.map(\.rawValue).sorted(),
                    credential: CredentialView(credential), csrfToken: csrf)
    }
}
