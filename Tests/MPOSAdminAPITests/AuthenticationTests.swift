import Foundation
import Hummingbird
import NIOCore
import NIOConcurrencyHelpers
import HTTPTypes
import HummingbirdTesting
@testable import MPOSAdminAPI
@testable import MPOSHost
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

    @Test("five wrong passwords lock the account; then even the right one is refused, in the same words, until an administrator unlocks it")
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
            #expect(locked.status == .unauthorized && locked.body == wrong.body, "a locked account does not say the password was right")
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

extension AuthenticationTests {
    @Test("guesses sent at once are all counted: twenty in parallel check at most five passwords")
    func parallelGuesses() async throws {
        let harness = try await AdminHarness.make()
        _ = try await harness.token(.viewer, name: "erin")
        let counter = CountingHasher(inner: AdminHarness.hasher)
        let api = AdminAPI(administration: harness.administration, configuration: harness.api.configuration, hasher: counter, readiness: harness.api.readiness)
        let app = Application(router: api.router().router)
        try await app.test(.router) { client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for guess in 0..<20 {
                    group.addTask { _ = try await Self.logIn(client, "erin", "wrong guess \(guess)!") }
                }
                try await group.waitForAll()
            }
        }
        #expect(counter.realChecks == 5, "only the first five attempts reached the real hash")
        #expect(try await harness.administration.adminUser("erin").isLocked)
        try await harness.close()
    }
}

/// Counts the checks made against a real hash (not the stand-in for refused attempts).
final class CountingHasher: PasswordHasher {
    let inner: BcryptPasswordHasher
    private let count = NIOLockedValueBox(0)
    init(inner: BcryptPasswordHasher) { self.inner = inner }
    var realChecks: Int { count.withLockedValue { $0 } }
    func hash(_ password: String) async throws -> String { try await inner.hash(password) }
    func verify(_ password: String, against hash: String) async -> Bool {
        if hash != HostAdministration.unmatchableHash { count.withLockedValue { $0 += 1 } }
        return await inner.verify(password, against: hash)
    }
}

extension AuthenticationTests {
    @Test("a token is made only from a session, with the password again; a token cannot make one; twenty live at most")
    func tokensFromSessions() async throws {
        let harness = try await AdminHarness.make()
        let token = try await harness.token(.viewer, name: "gus")
        try await harness.test { client in
            let fromToken = try await client.call(.post, "/api/v1/tokens", token: token, json: #"{"label": "x", "password": "\#(AdminHarness.password)"}"#)
            #expect(fromToken.status == .forbidden)
            let login = try await Self.logIn(client, "gus")
            let cookie = try #require(Self.cookie(login)), csrf = try #require(try login.decode(SessionView.self).csrfToken)
            let wrong = try await client.call(.post, "/api/v1/tokens", cookie: cookie, csrf: csrf, json: #"{"label": "x", "password": "not my password"}"#)
            #expect(wrong.status == .unauthorized)
            let made = try await client.call(.post, "/api/v1/tokens", cookie: cookie, csrf: csrf,
                                             json: #"{"label": "ci", "lifetime_days": 7, "password": "\#(AdminHarness.password)"}"#)
            #expect(made.status == .created)
            let issued = try made.decode(IssuedTokenView.self)
            #expect(issued.token.hasPrefix("mpos_") && issued.credential.expiresAt.timeIntervalSince(issued.credential.createdAt) == 7 * 86_400)
            #expect(try await client.call(.get, "/api/v1/fleet", token: issued.token).status == .ok)
            // The listing shows ids, never tokens.
            #expect(!(try await client.call(.get, "/api/v1/tokens", token: issued.token).body.contains(issued.token)))
            let tooLong = try await client.call(.post, "/api/v1/tokens", cookie: cookie, csrf: csrf,
                                                json: #"{"label": "ci", "lifetime_days": 366, "password": "\#(AdminHarness.password)"}"#)
            #expect(tooLong.status == .unprocessableContent)
        }
        // gus has 2 live tokens; 18 more fit, the 21st does not.
        for _ in 0..<18 { _ = try await harness.token(.viewer, name: "gus") }
        await #expect(throws: HostError(.wrongState, "")) { _ = try await harness.token(.viewer, name: "gus") }
        try await harness.close()
    }

    @Test("anyone changes their own password with the current one; their other sessions and tokens end")
    func ownPassword() async throws {
        let harness = try await AdminHarness.make()
        let token = try await harness.token(.helpDesk, name: "hal")
        try await harness.test { client in
            let wrong = try await client.call(.put, "/api/v1/session/password", token: token,
                                              json: #"{"current_password": "not it at all", "new_password": "a much better passphrase"}"#)
            #expect(wrong.status == .unauthorized)
            let changed = try await client.call(.put, "/api/v1/session/password", token: token,
                                                json: #"{"current_password": "\#(AdminHarness.password)", "new_password": "a much better passphrase"}"#)
            #expect(changed.status == .noContent)
            #expect(try await client.call(.get, "/api/v1/fleet", token: token).status == .unauthorized)
            #expect(try await Self.logIn(client, "hal", "a much better passphrase").status == .created)
        }
        try await harness.close()
    }
}

extension AuthenticationTests {
    @Test("the last enabled administrator cannot be demoted or disabled, even by two administrators at once")
    func lastAdministrator() async throws {
        let harness = try await AdminHarness.make()
        let ann = try await harness.token(.administrator, name: "ann")
        let ben = try await harness.token(.administrator, name: "ben")
        try await harness.test { client in
            async let first = client.call(.patch, "/api/v1/users/ben", token: ann, json: #"{"role": "viewer"}"#)
            async let second = client.call(.patch, "/api/v1/users/ann", token: ben, json: #"{"role": "viewer"}"#)
            let statuses = [try await first.status, try await second.status]
            #expect(statuses.filter { $0 == .ok }.count <= 1, "\(statuses)")
        }
        let administrators = try await harness.administration.adminUsers().filter { $0.role == .administrator && !$0.isDisabled }
        #expect(administrators.count == 1)
        try await harness.close()
    }

    @Test("a body must be application/json (a cross-site form is refused, 415); other methods on a path get 405 with Allow")
    func mediaTypeAndMethods() async throws {
        let harness = try await AdminHarness.make()
        let admin = try await harness.token(.administrator, name: "root")
        try await harness.test { client in
            let form = try await client.execute(uri: "/api/v1/session", method: .post, headers: [.contentType: "text/plain"],
                                                body: ByteBuffer(string: #"{"name": "root", "password": "\#(AdminHarness.password)"}"#)) { $0.status }
            #expect(form == .unsupportedMediaType)
            let put = try await client.call(.put, "/api/v1/terminals", token: admin, json: "{}")
            #expect(put.status == .methodNotAllowed && put.headers[.allow]?.contains("GET") == true && put.headers[.allow]?.contains("POST") == true)
            #expect(put.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff", "error answers carry the security headers too")
        }
        try await harness.close()
    }

    @Test("a lockout stops password sign-in only: the person's tokens go on working")
    func lockoutKeepsTokens() async throws {
        let harness = try await AdminHarness.make()
        let token = try await harness.token(.viewer, name: "ivy")
        try await harness.test { client in
            for attempt in 1...6 { _ = try await Self.logIn(client, "ivy", "wrong guess \(attempt)!") }
            #expect(try await client.call(.get, "/api/v1/fleet", token: token).status == .ok)
        }
        #expect(try await harness.administration.adminUser("ivy").isLocked)
        try await harness.close()
    }
}
