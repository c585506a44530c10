import Foundation
import HTTPTypes
import Hummingbird
import MPOSHost
import MPOSProtocol
import NIOCore

/// The console's sections, each shown in the navigation only to a role that may read it.
enum ConsoleSection: String, CaseIterable, Sendable {
    case dashboard, terminals, operators, keys, cards, contracts, outbox, audit, people

    var title: String {
        switch self {
        case .dashboard: "Dashboard"
        case .terminals: "Terminals"
        case .operators: "Operators"
        case .keys: "Keys"
        case .cards: "Cards"
        case .contracts: "Contracts"
        case .outbox: "Outbox"
        case .audit: "Audit"
        case .people: "People"
        }
    }

    var path: String { self == .dashboard ? Console.root + "/" : Console.root + "/" + rawValue }

    var permission: AdminPermission {
        switch self {
        case .dashboard: .readFleet
        case .terminals: .readTerminals
        case .operators: .readOperators
        case .keys: .readKeys
        case .cards, .contracts: .readCards
        case .outbox: .readOutbox
        case .audit: .readAudit
        case .people: .readUsers
        }
    }
}

/// The page around every console page, and the small pieces pages share.
enum ConsoleLayout {
    /// A notice at the top of a page.
    enum Notice: Sendable {
        case ok(String), error(String), info(String)
    }

    static func page(_ console: ConsoleCall, title: String, section: ConsoleSection?, status: HTTPResponse.Status = .ok,
                     notice: Notice? = nil, refreshSeconds: Int? = nil, @HTMLBuilder _ content: () -> [HTML]) -> Response {
        let body = content()
        let document = el("html", ["lang": "en"]) {
            el("head") {
                el("meta", ["charset": "utf-8"])
                el("meta", ["name": "viewport", "content": "width=device-width, initial-scale=1"])
                el("title") { t("\(title) · mpos console") }
                el("link", ["rel": "stylesheet", "href": Console.root + "/assets/console.css"])
                el("script", ["src": Console.root + "/assets/console.js", "defer": ""])
            }
            el("body") {
                header(console, section: section)
                el("main", ["id": "main", "data-refresh": refreshSeconds.map(String.init),
                             "data-idle-seconds": refreshSeconds.map { _ in String(Int(console.api.policy.sessionIdleTimeout)) }]) {
                    if let notice { noticeBox(notice) }
                    el("h1") { t(title) }
                    body
                }
            }
        }
        return html(HTML.document(document), status: status)
    }

    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.contentSecurityPolicy] = Console.contentSecurityPolicy
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    private static func header(_ console: ConsoleCall, section: ConsoleSection?) -> HTML {
        el("header", ["class": "top"]) {
            el("a", ["class": "brand", "href": Console.root + "/"]) { t("mpos console") }
            if let identity = console.identity {
                el("nav", ["aria-label": "Sections"]) {
                    for item in ConsoleSection.allCases where identity.role.may(item.permission) {
                        el("a", ["href": item.path, "aria-current": item == section ? "page" : nil, "id": "nav-\(item.rawValue)"]) { t(item.title) }
                    }
                }
                el("div", ["class": "who"]) {
                    el("span", ["id": "signed-in-as"]) { t("\(identity.name) · \(identity.role.rawValue)") }
                    console.form(Console.root + "/sign-out") { el("button", ["type": "submit", "id": "sign-out"]) { t("Sign out") } }
                }
            }
        }
    }

    static func noticeBox(_ notice: Notice) -> HTML {
        switch notice {
        case .ok(let text): el("p", ["class": "notice ok", "role": "status"]) { t(text) }
        case .error(let text): el("p", ["class": "notice error", "role": "alert"]) { t(text) }
        case .info(let text): el("p", ["class": "notice info", "role": "status"]) { t(text) }
        }
    }

    /// An error as a page: its status, stable code and what to do.
    static func problem(_ problem: AdminProblem, _ console: ConsoleCall) -> Response {
        page(console, title: "\(problem.status.code) \(problem.status.reasonPhrase)", section: nil, status: problem.status) {
            el("p", ["class": "notice error", "role": "alert", "id": "problem"]) { t(problem.detail) }
            el("p", ["class": "muted"]) { t("Error code "); el("code", ["id": "problem-code"]) { t(problem.code) } }
            el("p") { el("a", ["href": Console.root + "/"]) { t("Back to the dashboard") } }
        }
    }

    /// A time, in UTC on the page; the script shows it in the viewer's zone.
    static func time(_ date: Date?) -> HTML {
        guard let date else { return el("span", ["class": "muted"]) { t("—") } }
        let iso = ISO8601DateFormatter().string(from: date)
        return el("time", ["datetime": iso]) { t(iso.replacingOccurrences(of: "T", with: " ").replacingOccurrences(of: "Z", with: " UTC")) }
    }

    /// How long ago, in words (for an age that matters, like the oldest outbox entry).
    static func age(since date: Date, now: Date = Date()) -> String {
        let seconds = max(0, Int(now.timeIntervalSince(date)))
        return switch seconds {
        case ..<120: "\(seconds) s"
        case ..<7200: "\(seconds / 60) min"
        case ..<172_800: "\(seconds / 3600) h"
        default: "\(seconds / 86_400) days"
        }
    }

    static func state(_ value: String) -> HTML {
        el("span", ["class": "state state-\(value)"]) { t(value) }
    }

    /// A response code with its meaning and the operator's action (docs/protocol.md §4.3).
    static func responseCode(_ code: String) -> HTML {
        guard let known = ResponseCode(rawValue: code) else { return el("code") { t(code) } }
        return el("span", ["class": "code"]) {
            el("code") { t(code) }
            t(" " + known.meaning)
        }
    }

    static func operatorAction(_ code: String) -> String {
        ResponseCode(rawValue: code)?.operatorAction ?? "—"
    }

    /// A table, or the empty state's words when there are no rows.
    static func table(id: String, headers: [String], rows: [[HTML]], empty: String) -> HTML {
        guard !rows.isEmpty else { return el("p", ["class": "empty", "id": "\(id)-empty"]) { t(empty) } }
        return el("div", ["class": "table-wrap"]) {
            el("table", ["id": id]) {
                el("thead") { el("tr") { for header in headers { el("th", ["scope": "col"]) { t(header) } } } }
                el("tbody") {
                    for row in rows { el("tr") { for cell in row { el("td") { cell } } } }
                }
            }
        }
    }

    /// Previous / next links over an offset-paged list.
    static func pager(path: String, query: [(String, String)], offset: Int, limit: Int, total: Int) -> HTML {
        guard total > limit else { return .empty }
        func link(_ offset: Int) -> String {
            var components = URLComponents()
            components.queryItems = (query + [("offset", String(offset))]).map { URLQueryItem(name: $0.0, value: $0.1) }
            return path + "?" + (components.percentEncodedQuery ?? "")
        }
        return el("p", ["class": "pager"]) {
            if offset > 0 { el("a", ["href": link(max(0, offset - limit)), "rel": "prev"]) { t("← Previous") } }
            el("span", ["class": "muted"]) { t("\(offset + 1)–\(min(total, offset + limit)) of \(total)") }
            if offset + limit < total { el("a", ["href": link(offset + limit), "rel": "next"]) { t("Next →") } }
        }
    }

    /// Facts as a definition list.
    static func facts(_ items: [(String, HTML)]) -> HTML {
        el("dl", ["class": "facts"]) {
            for (term, value) in items {
                el("dt") { t(term) }
                el("dd") { value }
            }
        }
    }
}
