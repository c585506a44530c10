import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import MPOSAdminAPI
@testable import MPOSHost
import NIOCore
import Testing

/// The console's pages and forms in process: what each role sees, CSRF on every form, the
/// Content-Security-Policy, markup that no value can inject. The browser suite
/// (EndToEndTests/ConsoleBrowserTests) runs the same pages in Chromium.
@Suite("Web console: roles, CSRF, escaping", .timeLimit(.minutes(3)))
struct ConsoleTests {
    @Test("text and attribute values are escaped; tag and attribute names are literals")
    func escaping() {
        let html = el("a", ["href": "x\" onclick=\"alert(1)", "title": "<b>"]) { t("<script>alert('1')</script> & more") }
        #expect(html.rendered == #"<a href="x&quot; onclick=&quot;alert(1)" title="&lt;b&gt;">&lt;script&gt;alert(&#39;1&#39;)&lt;/script&gt; &amp; more</a>"#)
        #expect(el("input", ["value": nil, "required": ""]).rendered == "<input required>")
    }

    @Test("a console path is /console/… without dot segments, plain or encoded")
    func consolePaths() {
        #expect(Console.isConsolePath("/console/terminals/00000001/block"))
        #expect(!Console.isConsolePath("/console/../api/v1/terminals/00000001/block"))
        #expect(!Console.isConsolePath("/console/%2e%2E/api/v1/terminals/00000001/block"))
        #expect(!Console.isConsolePath("/api/v1/console/x"))
        #expect(!Console.isConsolePath("/consoles/x"))
    }

    @Test("a form with a repeated field, a control character or bad percent-encoding is refused")
    func formParsing() throws {
        #expect(try ConsoleForm.parse("a=1&b=x+y%21") == ["a": "1", "b": "x y!"])
        #expect(throws: AdminProblem.self) { try ConsoleForm.parse("a=1&a=2") }
        #expect(throws: AdminProblem.self) { try ConsoleForm.parse("a=%0A") }
        #expect(throws: AdminProblem.self) { try ConsoleForm.parse("a=%zz") }
    }

    @Test("pages: signed out → sign-in; CSP on every page; each role sees only its buttons; forms need the session's CSRF token")
    func rolesAndForms() async throws {
        let harness = try await AdminHarness.make()
        for (name, role) in [("root", AdminRole.administrator), ("helen", .helpDesk), ("vera", .viewer)] {
            _ = try await harness.administration.addUser(name: name, role: role, password: AdminHarness.password, hasher: AdminHarness.hasher,
                                                         policy: harness.api.policy)
        }
        let (terminal, _) = try await harness.administration.addTerminal(label: "<script>alert(1)</script>")
        try await harness.test { client in
            func session(_ name: String) async throws -> String {
                let answer = try await AuthenticationTests.logIn(client, name)
                guard let cookie = AuthenticationTests.cookie(answer) else { throw AdminProblem(.unauthorized, code: "test", "\(name) did not sign in") }
                return cookie
            }
            func page(_ path: String, _ cookie: String?) async throws -> Answer { try await client.call(.get, path, cookie: cookie) }
            func post(_ path: String, _ cookie: String, csrf: String?) async throws -> Answer {
                var headers = HTTPFields()
                headers[.cookie] = "mpos_session=\(cookie)"
                headers[.contentType] = "application/x-www-form-urlencoded"
                return try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: csrf.map { "csrf=\($0)" } ?? "")) {
                    Answer(status: $0.status, headers: $0.headers, body: String(buffer: $0.body))
                }
            }
            let signedOut = try await page("/console/terminals", nil)
            #expect(signedOut.status == .seeOther && signedOut.headers[.location] == "/console/sign-in")

            let helen = try await session("helen"), vera = try await session("vera")
            let detail = try await page("/console/terminals/\(terminal.id)", helen)
            #expect(detail.status == .ok)
            #expect(detail.headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true)
            #expect(detail.body.contains(#"id="block""#) && !detail.body.contains(#"id="unblock""#) && !detail.body.contains(#"id="reset""#))
            #expect(detail.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !detail.body.contains("<script>alert"))
            #expect(!detail.body.contains("style="), "no inline style: the CSP would refuse it")

            let viewerPage = try await page("/console/terminals/\(terminal.id)", vera)
            #expect(viewerPage.status == .forbidden && !viewerPage.body.contains(#"id="block""#))
            let dashboard = try await page("/console/", vera)
            #expect(dashboard.status == .ok && !dashboard.body.contains("/console/terminals\""))

            let path = "/console/terminals/\(terminal.id)/block"
            #expect(try await post(path, vera, csrf: AdminAuthentication.csrfToken(forSession: vera)).status == .forbidden)
            #expect(try await post(path, helen, csrf: nil).status == .forbidden)
            #expect(try await post(path, helen, csrf: AdminAuthentication.csrfToken(forSession: vera)).status == .forbidden)
            // An API path reached through the console's prefix still needs the header.
            #expect(try await post("/console/../api/v1/terminals/\(terminal.id)/block", helen, csrf: nil).status != .ok)
            #expect(try await harness.administration.terminal(terminal.id).displayState == .awaitingEnrollment)

            let blocked = try await post(path, helen, csrf: AdminAuthentication.csrfToken(forSession: helen))
            #expect(blocked.status == .seeOther)
            #expect(try await harness.administration.terminal(terminal.id).displayState == .blocked)
        }
        let tail = try await harness.administration.auditTail(5).map(\.actor)
        #expect(tail.contains("user:helen (help-desk)"), "the console's change is audited under the person and role")
        try await harness.close()
    }

    @Test("sign-in through the form: its own CSRF cookie, the one-time code asked for when the account has a second factor")
    func signInWithSecondFactor() async throws {
        let clock = ManualClock()
        let harness = try await AdminHarness.make(clock: clock)
        let identity = AdminIdentity(name: "fay", role: .viewer)
        _ = try await harness.administration.addUser(name: "fay", role: .viewer, password: AdminHarness.password, hasher: AdminHarness.hasher,
                                                     policy: harness.api.policy)
        let enrollment = try await harness.administration.beginSecondFactor(for: identity, currentCode: nil)
        let secret = try #require(OneTimeCode.bytes(base32: enrollment.secret))
        try await harness.administration.confirmSecondFactor(for: identity, code: OneTimeCode.code(secret: secret, step: OneTimeCode.step(at: clock.now)))
        clock.advance(30)
        try await harness.test { client in
            let form = try await client.execute(uri: "/console/sign-in", method: .get) { Answer(status: $0.status, headers: $0.headers, body: String(buffer: $0.body)) }
            let nonce = try #require(form.headers[.setCookie]?.split(separator: ";").first?.split(separator: "=").last.map(String.init))
            func submit(_ fields: String, cookie: String?) async throws -> Answer {
                var headers = HTTPFields()
                if let cookie { headers[.cookie] = "\(Console.signInCookie)=\(cookie)" }
                headers[.contentType] = "application/x-www-form-urlencoded"
                return try await client.execute(uri: "/console/sign-in", method: .post, headers: headers, body: ByteBuffer(string: fields)) {
                    Answer(status: $0.status, headers: $0.headers, body: String(buffer: $0.body))
                }
            }
            let csrf = AdminAuthentication.csrfToken(forSession: nonce)
            let password = AdminHarness.password.replacingOccurrences(of: " ", with: "+")
            // Without the form's cookie (a page of another site posting): refused before the password is looked at.
            #expect(try await submit("csrf=\(csrf)&name=fay&password=\(password)", cookie: nil).status == .forbidden)
            let asked = try await submit("csrf=\(csrf)&name=fay&password=\(password)", cookie: nonce)
            #expect(asked.status == .unauthorized && asked.body.contains("second factor") && asked.headers[.setCookie]?.contains("mpos_session") != true)
            let code = OneTimeCode.code(secret: secret, step: OneTimeCode.step(at: clock.now))
            let signedIn = try await submit("csrf=\(csrf)&name=fay&password=\(password)&one_time_code=\(code)", cookie: nonce)
            #expect(signedIn.status == .seeOther && signedIn.headers[.location] == "/console/")
            #expect(signedIn.headers[values: .setCookie].contains { $0.hasPrefix("mpos_session=") && $0.contains("HttpOnly") && $0.contains("SameSite=Strict") })
        }
        try await harness.close()
    }
}
