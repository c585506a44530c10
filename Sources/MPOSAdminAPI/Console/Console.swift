import Foundation
import HTTPTypes
import Hummingbird
import MPOSHost
import NIOCore

/// The web console at `/console/`: server-rendered pages over the same administration, roles,
/// sessions and audit trail as the API, for the people who run the fleet in a browser.
/// Every page is complete without JavaScript; the one script only shows times in the viewer's
/// zone, copies a code and refreshes the dashboard.
enum Console {
    static let root = "/console"

    /// Nothing but this host's own script and style sheet, no framing, forms to this host only.
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    /// The cookie that ties the sign-in form to the browser that loaded it (login CSRF).
    static let signInCookie = "mpos_sign_in"

    static func register(on table: AdminRouteTable) {
        table.consolePage("/console/assets/console.css", .anyone) { _ in asset(ConsoleAssets.styleSheet, type: "text/css; charset=utf-8") }
        table.consolePage("/console/assets/console.js", .anyone) { _ in asset(ConsoleAssets.script, type: "text/javascript; charset=utf-8") }
        SignInPages.register(on: table)
        DashboardPage.register(on: table)
        TerminalPages.register(on: table)
        OperatorPages.register(on: table)
        KeyPages.register(on: table)
        RecordPages.register(on: table)
        AuditPage.register(on: table)
        PeoplePages.register(on: table)
    }

    private static func asset(_ text: String, type: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "private, max-age=300"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// Whether a request's path is the console's: `/console/…` with no dot segment (which
    /// could name an API path) and no percent sign.
    static func isConsolePath(_ path: String) -> Bool {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        return segments.count >= 2 && segments[0].isEmpty && segments[1] == "console" && !path.lowercased().contains("%2e")
            && !segments.contains { $0 == "." || $0 == ".." }
    }

    /// 303 See Other: after a form, the browser loads the page anew with GET.
    static func seeOther(_ location: String) -> Response {
        Response(status: .seeOther, headers: [.location: location, .cacheControl: "no-store"])
    }

    /// `/console/terminals/T%2F1`: a path segment made from a value, percent-encoded.
    static func path(_ parts: String...) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return root + "/" + parts.map { $0.addingPercentEncoding(withAllowedCharacters: allowed) ?? "" }.joined(separator: "/")
    }
}

/// One console request: the API call underneath (its request, caller and host) and what a
/// page needs to show only what the caller's role may do.
struct ConsoleCall: Sendable {
    let call: AdminCall

    var identity: AdminIdentity? { call.identity }
    var api: AdminAPI { call.api }
    var request: Request { call.request }

    /// The administration acting for the signed-in person.
    var administration: HostAdministration { get throws { try call.administration } }

    func may(_ permission: AdminPermission) -> Bool { identity?.role.may(permission) ?? false }

    /// The token every form of this session carries.
    var csrfToken: String? { call.context.sessionToken.map(AdminAuthentication.csrfToken(forSession:)) }

    /// A form that posts to `action` with the session's CSRF token; `fields` go inside.
    func form(_ action: String, class cssClass: String = "inline", @HTMLBuilder _ fields: () -> [HTML]) -> HTML {
        el("form", ["method": "post", "action": action, "class": cssClass]) {
            el("input", ["type": "hidden", "name": ConsoleForm.csrfField, "value": csrfToken ?? ""])
            fields()
        }
    }

    /// A form with one button.
    func button(_ label: String, to action: String, style: String? = nil, id: String? = nil) -> HTML {
        form(action) { el("button", ["type": "submit", "class": style, "id": id]) { t(label) } }
    }

    /// A query value as a browser's GET form sends it (`+` for a space, empty when left
    /// blank), at most 64 printable characters; nil when absent.
    func query(_ name: String) throws -> String? {
        guard let raw = request.uri.query else { return nil }
        for pair in raw.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts[0] == name[...] else { continue }
            guard raw.utf8.count <= 4096, let value = (parts.count > 1 ? parts[1] : "").replacingOccurrences(of: "+", with: " ").removingPercentEncoding,
                  value.isEmpty || AdminNames.isPrintable(value, limit: 64) else {
                throw AdminProblem(.badRequest, code: "api.bad-request", "the query's \(name) is at most 64 printable characters")
            }
            return value
        }
        return nil
    }
}

extension AdminRouteTable {
    /// A console page (GET, and HEAD): signed-out visitors are sent to the sign-in page.
    func consolePage(_ path: String, _ access: AdminAccess, _ handler: @escaping @Sendable (ConsoleCall) async throws -> Response) {
        addConsole(.get, path, access) { call in try await handler(call) }
    }

    /// A console form's target (POST): its CSRF token is checked before the handler sees it.
    func consoleAction(_ path: String, _ access: AdminAccess, _ handler: @escaping @Sendable (ConsoleCall, ConsoleForm) async throws -> Response) {
        addConsole(.post, path, access) { call in
            let expected = access == .anyone
                ? call.request.cookies[Console.signInCookie].map { AdminAuthentication.csrfToken(forSession: $0.value) }
                : call.csrfToken
            return try await handler(call, try await ConsoleForm.verified(call.call, expected: expected))
        }
    }

    private func addConsole(_ method: HTTPRequest.Method, _ path: String, _ access: AdminAccess,
                            _ handler: @escaping @Sendable (ConsoleCall) async throws -> Response) {
        consoleDescriptions.append(AdminRouteDescription(method: method, path: path, access: access))
        on(method, path) { [api] request, context in
            let call = ConsoleCall(call: AdminCall(request: request, context: context, api: api))
            do {
                switch access {
                case .anyone: break
                case .signedIn, .permission:
                    guard let identity = context.identity else {
                        // A cookie that no longer signs anyone in: the session ended.
                        let ended = request.cookies[AdminAuthentication.sessionCookie] != nil
                        return Console.seeOther(Console.root + "/sign-in" + (ended ? "?ended=1" : ""))
                    }
                    if case .permission(let permission) = access, !identity.role.may(permission) {
                        throw AdminProblem(.forbidden, code: "host.auth.forbidden",
                                           "the \(identity.role.rawValue) role may not do this (\(permission.rawValue)): ask an administrator if you need it")
                    }
                }
                return try await handler(call)
            } catch {
                let problem = AdminProblem.from(error, logger: context.logger)
                if problem.status == .unauthorized, access != .anyone { return Console.seeOther(Console.root + "/sign-in?ended=1") }
                return ConsoleLayout.problem(problem, call)
            }
        }
    }
}
