import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import MPOSAdminAPI
import MPOSHost
import Testing

@Suite("Admin API: sign-in, sessions, tokens, CSRF", .timeLimit(.minutes(3)))
struct AuthenticationTests {
    static func logIn(_ client: any TestClientProtocol, _ name: String, _ password: String = AdminHarness.password) async throws -> Answer {
        try await client.call(.post, "/api/v1/session", json: #"{"name": "\#(name)", "password": "\#(password)"}"#)
    }

    /// The session token from a sign-in's Set-Cookie.
    static func cookie(_ answer: Answer) -> String? {
        answer.headers[.setCookie]?.split(separator: ";").first?.split(separator: "=", maxSplits: 1).last.map(String.init)
    }

    @Test("signing in sets an HttpOnly, SameSite=Strict session cookie and gives its CSRF token; the password is in no answer")
    func signIn() async throws {
        let harness = try await AdminHarness.make()
        _ = try await harness.token(.administrator, name: "alice")
        try await harness.test { client in
            let answer = try await Self.logIn(client, "alice")
            #expect(answer.status == .created)
            let setCookie = try #require(answer.headers[.setCookie])
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && setCookie.contains("Path=/"))
            let session = try answer.decode(SessionView.self)
            #expect(session.user == "alice" && session.role == .administrator)
            #expect(session.csrfToken?.count == 64)
            #expect(!answer.body.contains(AdminHarness.password))
            let cookie = try #require(Self.cookie(answer))
            #expect(!answer.body.contains(cookie), "the session token is in the cookie only")
            let me = try await client.call(.get, "/api/v1/session", cookie: cookie)
            #expect(me.status == .ok)
        }
        try await harness.close()
    }

    @Test("a change sent with the session cookie needs the session's CSRF token; a bearer token needs none")
    func csrf() async throws {
        let harness = try await AdminHarness.make()
        let token = try await harness.token(.administrator, name: "alice")
        try await harness.test { client in
            let login = try await Self.logIn(client, "alice")
            let cookie = try #require(Self.cookie(login))
            let csrf = try #require(try login.decode(SessionView.self).csrfToken)
            let body = #"{"label": "Counter 1"}"#
            let forged = try await client.call(.post, "/api/v1/terminals", cookie: cookie, json: body)
            #expect(forged.status == .forbidden && forged.code == "api.csrf")
            let wrong = try await client.call(.post, "/api/v1/terminals", cookie: cookie, csrf: String(repeating: "0", count: 64), json: body)
            #expect(wrong.status == .forbidden && wrong.code == "api.csrf")
            #expect(try await client.call(.post, "/api/v1/terminals", cookie: cookie, csrf: csrf, json: body).status == .created)
            #expect(try await client.call(.post, "/api/v1/terminals", token: token, json: body).status == .created)
            // Reading needs no CSRF token.
            #expect(try await client.call(.get, "/api/v1/terminals", cookie: cookie).status == .ok)
        }
        #expect(try await harness.administration.terminals().count == 2)
        try await harness.close()
    }

    @Test("five wrong passwords lock the account; then even the right one is refused until an administrator unlocks it")
    func lockout() async throws {
        let harness = try await AdminHarness.make()
        let admin = try await harness.token(.administrator, name: "root")
        _ = try await harness.token(.helpDesk, name: "bob")
        try await harness.test { client in
            for attempt in 1...5 {
                let answer = try await Self.logIn(client, "bob", "wrong password \(attempt)")
                #expect(answer.status == .unauthorized && answer.code == "host.auth.unauthenticated")
            }
            // An unknown user is refused with the same words.
            let unknown = try await Self.logIn(client, "nobody")
            let wrong = try await Self.logIn(client, "bob", "still wrong!!")
            #expect(unknown.body == wrong.body)
            let locked = try await Self.logIn(client, "bob")
            #expect(locked.status == .forbidden && locked.code == "host.auth.locked")
            let user = try await client.call(.get, "/api/v1/users/bob", token: admin).decode(UserView.self)
            #expect(user.locked && user.failedLogins >= 5)
            #expect(try await client.call(.post, "/api/v1/users/bob/unlock", token: admin, json: "{}").status == .ok)
            #expect(try await Self.logIn(client, "bob").status == .created)
        }
        let events = try await harness.administration.auditTail(100).map(\.event)
        #expect(events.filter { $0 == "admin.login" }.count == 9)
        #expect(events.contains("admin.user.unlock"))
        try await harness.close()
    }

    @Test("a token revoked mid-session stops working at once; a disabled person's tokens too")
    func revocation() async throws {
        let harness = try await AdminHarness.make()
        let admin = try await harness.token(.administrator, name: "root")
        let carol = try await harness.token(.viewer, name: "carol")
        try await harness.test { client in
            #expect(try await client.call(.get, "/api/v1/fleet", token: carol).status == .ok)
            let tokens = try await client.call(.get, "/api/v1/tokens", token: carol).decode(Page<CredentialView>.self)
            let id = try #require(tokens.items.first?.id)
            #expect(try await client.call(.delete, "/api/v1/tokens/\(id)", token: carol).status == .noContent)
            let after = try await client.call(.get, "/api/v1/fleet", token: carol)
            #expect(after.status == .unauthorized)

            let second = try await harness.token(.viewer, name: "carol")
            #expect(try await client.call(.get, "/api/v1/fleet", token: second).status == .ok)
            #expect(try await client.call(.patch, "/api/v1/users/carol", token: admin, json: #"{"disabled": true}"#).status == .ok)
            #expect(try await client.call(.get, "/api/v1/fleet", token: second).status == .unauthorized)
            // An administrator cannot disable themselves.
            #expect(try await client.call(.patch, "/api/v1/users/root", token: admin, json: #"{"disabled": true}"#).status == .conflict)
        }
        try await harness.close()
    }

    @Test("a browser session ends after 15 minutes without a request, and signing out ends it at once")
    func sessionIdle() async throws {
        let clock = ManualClock()
        let harness = try await AdminHarness.make(clock: clock)
        _ = try await harness.token(.viewer, name: "dave")
        try await harness.test { client in
            let cookie = try #require(Self.cookie(try await Self.logIn(client, "dave")))
            clock.advance(14 * 60)
            #expect(try await client.call(.get, "/api/v1/fleet", cookie: cookie).status == .ok)
            clock.advance(14 * 60)
            #expect(try await client.call(.get, "/api/v1/fleet", cookie: cookie).status == .ok, "each request restarts the idle time")
            clock.advance(16 * 60)
            #expect(try await client.call(.get, "/api/v1/fleet", cookie: cookie).status == .unauthorized)

            let login = try await Self.logIn(client, "dave")
            let fresh = try #require(Self.cookie(login))
            let csrf = try #require(try login.decode(SessionView.self).csrfToken)
            #expect(try await client.call(.delete, "/api/v1/session", cookie: fresh, csrf: csrf).status == .noContent)
            #expect(try await client.call(.get, "/api/v1/fleet", cookie: fresh).status == .unauthorized)
        }
        try await harness.close()
    }

    @Test("passwords: too short, too long for bcrypt, or with control characters are refused; names are checked")
    func rules() async throws {
        let harness = try await AdminHarness.make()
        let admin = try await harness.token(.administrator, name: "root")
        try await harness.test { client in
            for body in [#"{"name": "eve", "role": "viewer", "password": "short"}"#,
                         #"{"name": "eve", "role": "viewer", "password": "\#(String(repeating: "x", count: 73))"}"#,
                         #"{"name": "eve", "role": "viewer", "password": "twelve chars\nwith newline"}"#,
                         #"{"name": "Eve Smith", "role": "viewer", "password": "correct horse battery"}"#,
                         #"{"name": "\u001b[31m", "role": "viewer", "password": "correct horse battery"}"#] {
                let answer = try await client.call(.post, "/api/v1/users", token: admin, json: body)
                #expect(answer.status == .unprocessableContent && answer.code == "host.invalid", "\(body): \(answer.body)")
            }
            let badRole = try await client.call(.post, "/api/v1/users", token: admin, json: #"{"name": "eve", "role": "root", "password": "correct horse battery"}"#)
            #expect(badRole.status == .badRequest)
            #expect(try await client.call(.post, "/api/v1/users", token: admin, json: "{not json").status == .badRequest)
        }
        try await harness.close()
    }
}
