import Crypto
import Foundation
import Hummingbird
import MPOSHost

/// Signing in (with the one-time code when the account has a second factor) and out.
enum SignInPages {
    static func register(on table: AdminRouteTable) {
        table.consolePage("/console/sign-in", .anyone) { console in
            if console.identity != nil { return Console.seeOther(Console.root + "/") }
            let notice: ConsoleLayout.Notice? = try console.query("ended") != nil ? .info("Your session has ended: sign in again.") : nil
            return signInPage(console, notice: notice, name: "", askCode: false)
        }
        table.consoleAction("/console/sign-in", .anyone) { console, form in
            let name = try form.optional("name", limit: 64) ?? ""
            let password = try form.optional("password", limit: 256) ?? ""
            let code = try form.optional("one_time_code", limit: 16)
            do {
                let (_, issued) = try await console.api.administration.acting(asActor: "console").logIn(
                    name: name, password: password, oneTimeCode: code, hasher: console.api.hasher, policy: console.api.policy)
                var response = Console.seeOther(Console.root + "/")
                response.setCookie(Cookie(name: AdminAuthentication.sessionCookie, value: issued.token, maxAge: Int(console.api.policy.sessionLifetime),
                                          path: "/", secure: console.api.secureCookies, httpOnly: true, sameSite: .strict))
                response.setCookie(Cookie(name: Console.signInCookie, value: "", maxAge: 0, path: Console.root, secure: console.api.secureCookies,
                                          httpOnly: true, sameSite: .strict))
                return response
            } catch let error as HostError where error.code == .secondFactorRequired {
                return signInPage(console, notice: .info("This account has a second factor: enter the code your authenticator app shows now."),
                                  name: AdminNames.isPrintable(name, limit: 64) ? name : "", askCode: true, status: .unauthorized)
            } catch let error as HostError where error.code == .unauthenticated {
                // The API's words: the same whichever part was wrong, or if the account is locked.
                return signInPage(console, notice: .error("Wrong user name, password or code, or the account is locked: try again, or ask an administrator."),
                                  name: AdminNames.isPrintable(name, limit: 64) ? name : "", askCode: code != nil, status: .unauthorized)
            }
        }
        table.consoleAction("/console/sign-out", .signedIn) { console, _ in
            let (identity, credential) = try console.call.context.requireCredential()
            try await console.administration.revokeCredential(id: credential.id, owner: identity.name)
            var response = Console.seeOther(Console.root + "/sign-in")
            response.setCookie(Cookie(name: AdminAuthentication.sessionCookie, value: "", maxAge: 0, path: "/", secure: console.api.secureCookies,
                                      httpOnly: true, sameSite: .strict))
            return response
        }
    }

    /// The form, with a fresh sign-in cookie whose MAC the form carries: a page of another
    /// site cannot sign a browser in to an account of its choosing.
    static func signInPage(_ console: ConsoleCall, notice: ConsoleLayout.Notice?, name: String, askCode: Bool,
                           status: HTTPResponse.Status = .ok) -> Response {
        let nonce = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).map { String(format: "%02x", $0) }.joined() }
        var response = ConsoleLayout.page(console, title: "Sign in", section: nil, status: status, notice: notice) {
            el("div", ["class": "card signin"]) {
                el("form", ["method": "post", "action": Console.root + "/sign-in", "class": "stack", "id": "sign-in"]) {
                    el("input", ["type": "hidden", "name": ConsoleForm.csrfField, "value": AdminAuthentication.csrfToken(forSession: nonce)])
                    el("label") {
                        t("User name")
                        el("input", ["name": "name", "id": "name", "autocomplete": "username", "required": "", "maxlength": "64", "value": name,
                                     "autofocus": askCode ? nil : "", "autocapitalize": "none"])
                    }
                    el("label") {
                        t("Password")
                        el("input", ["type": "password", "name": "password", "id": "password", "autocomplete": "current-password", "required": "",
                                     "maxlength": "256"])
                    }
                    el("label") {
                        t(askCode ? "One-time code" : "One-time code (if your account has a second factor)")
                        el("input", ["name": "one_time_code", "id": "one_time_code", "inputmode": "numeric", "autocomplete": "one-time-code",
                                     "maxlength": "16", "pattern": "[0-9 ]*", "autofocus": askCode ? "" : nil])
                    }
                    el("button", ["type": "submit", "id": "sign-in-button"]) { t("Sign in") }
                }
                el("p", ["class": "muted"]) { t("No account? An administrator adds you: mpos-host user add NAME --role ROLE.") }
            }
        }
        response.setCookie(Cookie(name: Console.signInCookie, value: nonce, maxAge: 3600, path: Console.root, secure: console.api.secureCookies,
                                  httpOnly: true, sameSite: .strict))
        return response
    }
}
