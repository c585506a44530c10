import Foundation
import Hummingbird
import MPOSHost

/// Terminals: search and filter, one terminal's detail and recent activity, add (the one-time
/// code shown once), block and unblock, forced sign-off, a new code.
enum TerminalPages {
    static let pageSize = 50

    static func register(on table: AdminRouteTable) {
        table.consolePage("/console/terminals", .permission(.readTerminals)) { console in
            var filter = TerminalFilter()
            var query: [(String, String)] = []
            if let state = try console.query("state"), !state.isEmpty {
                guard let value = TerminalRecord.DisplayState(rawValue: state) else {
                    throw AdminProblem(.badRequest, code: "api.bad-request", "state is awaiting-enrollment, signed-out, signed-in or blocked")
                }
                filter.state = value
                query.append(("state", state))
            }
            if let label = try console.query("label"), !label.isEmpty { filter.labelContains = label; query.append(("label", label)) }
            let seen = try console.query("seen").flatMap { Int($0) }.flatMap { seenChoices.map(\.seconds).contains($0) ? $0 : nil }
            if let seen { filter.seenSince = Date().addingTimeInterval(-TimeInterval(seen)); query.append(("seen", String(seen))) }
            let offset = try console.call.integerQuery("offset", default: 0, range: 0...10_000_000)
            let page = try await console.administration.terminalPage(filter, offset: offset, limit: pageSize)
            return ConsoleLayout.page(console, title: "Terminals", section: .terminals, notice: try notice(console)) {
                if console.may(.manageTerminals) { addForm(console) }
                filters(filter, seen: seen)
                ConsoleLayout.table(id: "terminals", headers: ["Terminal", "Label", "State", "Key version", "Last seen"], rows: page.rows.map { record in
                    [el("a", ["href": Console.path("terminals", record.id), "class": "mono"]) { t(record.id) }, t(record.label),
                     ConsoleLayout.state(record.displayState.rawValue), t(record.masterKeyVersion.map { "v\($0)" } ?? "—"), ConsoleLayout.time(record.lastSeenAt)]
                }, empty: query.isEmpty
                    ? (console.may(.manageTerminals) ? "No terminals yet: add one above and enroll it with the code it shows." : "No terminals yet: an administrator adds them.")
                    : "No terminal matches these filters: clear them to see all.")
                ConsoleLayout.pager(path: Console.root + "/terminals", query: query, offset: offset, limit: pageSize, total: page.total)
            }
        }
        table.consoleAction("/console/terminals", .permission(.manageTerminals)) { console, form in
            let label = try form.required("label", limit: 64)
            guard AdminNames.isPrintable(label, limit: 64) else {
                throw AdminProblem(.unprocessableContent, code: "host.invalid", "a terminal's label is 1-64 printable characters")
            }
            let id = try form.optional("id", limit: 8)
            let (record, code) = try await console.administration.addTerminal(id: id, label: label, codeLifetime: console.api.enrollmentCodeLifetime)
            return codePage(console, record, code: code, title: "Terminal \(record.id) added")
        }
        table.consolePage("/console/terminals/{id}", .permission(.readTerminals)) { console in
            let administration = try console.administration
            let record = try await administration.terminal(try console.call.parameter("id"))
            let census = try await administration.census()
            let activity = try await administration.auditTail(2000).reversed().filter {
                $0.subject == "terminal:\(record.id)" || $0.actor.hasPrefix("terminal:\(record.id)/") || $0.actor == "terminal:\(record.id)"
            }.prefix(25)
            return ConsoleLayout.page(console, title: "Terminal \(record.id)", section: .terminals, notice: try notice(console)) {
                detail(console, record, activeVersion: census.activeKeyVersion)
                actions(console, record)
                el("h2") { t("Recent activity") }
                ConsoleLayout.table(id: "activity", headers: ["When", "Event", "Response", "What the operator does"], rows: activity.map { entry in
                    [ConsoleLayout.time(entry.recordedAt), el("code") { t(entry.event) },
                     entry.outcome.isEmpty ? t("—") : ConsoleLayout.responseCode(entry.outcome), t(entry.outcome.isEmpty ? "—" : ConsoleLayout.operatorAction(entry.outcome))]
                }, empty: "Nothing recorded for this terminal among the newest 2,000 audit entries: enroll it and sign on.")
            }
        }
        for (action, permission) in [("block", AdminPermission.blockTerminals), ("unblock", .manageTerminals), ("sign-off", .manageTerminals),
                                     ("request-sign-on", .manageTerminals)] {
            table.consoleAction("/console/terminals/{id}/\(action)", .permission(permission)) { console, _ in
                let id = try console.call.parameter("id")
                let administration = try console.administration
                switch action {
                case "block": try await administration.blockTerminal(id)
                case "unblock": try await administration.unblockTerminal(id)
                case "sign-off": try await administration.forceSignOff(id)
                default: try await administration.requestSignOn(terminal: id)
                }
                return Console.seeOther(Console.path("terminals", id) + "?done=\(action)")
            }
        }
        for action in ["reissue-code", "reset"] {
            table.consoleAction("/console/terminals/{id}/\(action)", .permission(.manageTerminals)) { console, _ in
                let id = try console.call.parameter("id")
                let administration = try console.administration
                let code = action == "reset"
                    ? try await administration.resetTerminal(id, codeLifetime: console.api.enrollmentCodeLifetime)
                    : try await administration.reissueEnrollmentCode(id, codeLifetime: console.api.enrollmentCodeLifetime)
                return codePage(console, try await administration.terminal(id), code: code, title: "A new enrollment code for \(id)")
            }
        }
    }

    static let seenChoices: [(label: String, seconds: Int)] = [("in the last hour", 3600), ("in the last day", 86_400), ("in the last week", 604_800)]

    /// The outcome of a change, by a fixed word in the query (never text from the request).
    static func notice(_ console: ConsoleCall) throws -> ConsoleLayout.Notice? {
        switch try console.query("done") {
        case "block": .ok("Blocked: its next request is refused with 58 and its session has ended.")
        case "unblock": .ok("Unblocked: it can sign on again.")
        case "sign-off": .ok("Signed off: its session keys are erased; the operator signs on again.")
        case "request-sign-on": .ok("The terminal is asked to sign on again at its next request.")
        default: nil
        }
    }

    static func addForm(_ console: ConsoleCall) -> HTML {
        el("details", ["class": "card", "id": "add-terminal"]) {
            el("summary") { t("Add a terminal") }
            console.form(Console.root + "/terminals", class: "stack") {
                el("label") { t("Label (where it is: a counter, a shop)"); el("input", ["name": "label", "id": "new-label", "required": "", "maxlength": "64"]) }
                el("label") { t("Terminal ID (8 characters; empty: the next free number)"); el("input", ["name": "id", "id": "new-id", "maxlength": "8"]) }
                el("button", ["type": "submit", "id": "add-terminal-button"]) { t("Add and show its enrollment code") }
            }
        }
    }

    static func filters(_ filter: TerminalFilter, seen: Int?) -> HTML {
        el("form", ["method": "get", "action": Console.root + "/terminals", "class": "filters", "id": "terminal-filters"]) {
            el("label") { t("Label contains"); el("input", ["name": "label", "id": "filter-label", "value": filter.labelContains ?? "", "maxlength": "64"]) }
            el("label") {
                t("State")
                el("select", ["name": "state", "id": "filter-state"]) {
                    el("option", ["value": ""]) { t("any") }
                    for state in [TerminalRecord.DisplayState.awaitingEnrollment, .signedOut, .signedIn, .blocked] {
                        el("option", ["value": state.rawValue, "selected": filter.state == state ? "" : nil]) { t(state.rawValue) }
                    }
                }
            }
            el("label") {
                t("Last seen")
                el("select", ["name": "seen", "id": "filter-seen"]) {
                    el("option", ["value": ""]) { t("any time") }
                    for choice in seenChoices { el("option", ["value": String(choice.seconds), "selected": seen == choice.seconds ? "" : nil]) { t(choice.label) } }
                }
            }
            el("button", ["type": "submit", "class": "secondary"]) { t("Filter") }
        }
    }

    static func detail(_ console: ConsoleCall, _ record: TerminalRecord, activeVersion: Int?) -> HTML {
        let view = TerminalView(record)
        let version: String = switch (view.masterKeyVersion, activeVersion) {
        case (nil, _): "— (not enrolled)"
        case (let mine?, let active?) where mine < active: "v\(mine) — older than v\(active) in force: it moves at its next sign-on"
        case (let mine?, _): "v\(mine)"
        }
        return el("div", ["class": "card", "id": "terminal-detail"]) {
            ConsoleLayout.facts([
                ("State", el("span", ["id": "terminal-state"]) { ConsoleLayout.state(view.state) }),
                ("Label", t(view.label)),
                ("Session", t(view.session.map { "number \($0)" + (record.displayState == .signedIn ? " (signed in)" : " (ended)") } ?? "none")),
                ("Key version", t(version)),
                ("Sign-on requested", t(view.signOnRequested ? "yes: at its next request" : "no")),
                ("Last seen", ConsoleLayout.time(view.lastSeenAt)),
                ("Enrollment code", view.enrollmentCodeOutstanding ? el("span") { t("outstanding, until "); ConsoleLayout.time(view.enrollmentCodeExpiresAt) } : t("none outstanding")),
                ("Wrong enrollment codes", t(String(view.enrollmentFailures))),
                ("Wrong operator keys in a row", t(String(view.wrongOperatorKeysInARow))),
                ("Device keys", el("span", ["class": "mono"]) {
                    t(view.deviceSigningKeyFingerprint.map { "signing \($0), sealing \(view.deviceSealingKeyFingerprint ?? "?")" } ?? "none yet")
                }),
                ("Added", ConsoleLayout.time(view.createdAt)),
            ])
        }
    }

    /// Only the buttons the role may press, and only those that fit the terminal's state.
    static func actions(_ console: ConsoleCall, _ record: TerminalRecord) -> HTML {
        let path = { (action: String) in Console.path("terminals", record.id, action) }
        let blocked = record.displayState == .blocked
        return el("div", ["class": "actions", "id": "terminal-actions"]) {
            if console.may(.blockTerminals), !blocked { console.button("Block", to: path("block"), style: "danger", id: "block") }
            if console.may(.manageTerminals) {
                if blocked { console.button("Unblock", to: path("unblock"), id: "unblock") }
                if record.displayState == .signedIn { console.button("Force sign-off", to: path("sign-off"), style: "secondary", id: "sign-off") }
                if record.masterKeyVersion != nil, !blocked { console.button("Ask it to sign on again", to: path("request-sign-on"), style: "secondary", id: "request-sign-on") }
                if record.displayState == .awaitingEnrollment { console.button("New enrollment code", to: path("reissue-code"), style: "secondary", id: "reissue-code") }
                else { console.button("Reset (re-enroll)", to: path("reset"), style: "secondary", id: "reset") }
            }
        }
    }

    /// The one-time code, shown this once, in a field that selects and copies.
    static func codePage(_ console: ConsoleCall, _ record: TerminalRecord, code: String, title: String) -> Response {
        ConsoleLayout.page(console, title: title, section: .terminals, status: .created,
                           notice: .info("Give this code to whoever sets the terminal up. It is shown this once and is not kept in clear.")) {
            el("div", ["class": "card"]) {
                el("p") { t("Terminal "); el("code", ["id": "new-terminal-id"]) { t(record.id) }; t(" (\(record.label)) enrolls with:") }
                el("div", ["class": "secret"]) {
                    el("input", ["id": "enrollment-code", "readonly": "", "value": code, "aria-label": "Enrollment code", "autocomplete": "off"])
                    el("button", ["type": "button", "data-copy": "enrollment-code", "id": "copy-code"]) { t("Copy") }
                }
                el("p", ["class": "muted"]) {
                    t("It works until "); ConsoleLayout.time(record.enrollmentCodeExpiresAt)
                    t(". On the terminal: mpos-terminal enroll --terminal-id \(record.id) (it asks for the code).")
                }
                el("p") { el("a", ["href": Console.path("terminals", record.id)]) { t("Go to the terminal") } }
            }
        }
    }
}
