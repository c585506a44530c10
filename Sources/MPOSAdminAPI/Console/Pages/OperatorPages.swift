import Foundation
import MPOSHost

/// The patent's operator table: add, lock and unlock, disable and enable.
enum OperatorPages {
    static func register(on table: AdminRouteTable) {
        table.consolePage("/console/operators", .permission(.readOperators)) { console in
            let operators = try await console.administration.operators().map(OperatorView.init)
            let notice: ConsoleLayout.Notice? = switch try console.query("done") {
            case "added": .ok("Operator added: they sign on with their number and key.")
            case "unlock": .ok("Unlocked: the operator may sign on again.")
            case "disable": .ok("Disabled: their sign-ons are refused with A3.")
            case "enable": .ok("Enabled.")
            default: nil
            }
            return ConsoleLayout.page(console, title: "Operators", section: .operators, notice: notice) {
                if console.may(.manageOperators) {
                    el("details", ["class": "card", "id": "add-operator"]) {
                        el("summary") { t("Add an operator") }
                        console.form(Console.root + "/operators", class: "stack") {
                            el("label") { t("Number (2 digits)"); el("input", ["name": "number", "required": "", "maxlength": "2", "inputmode": "numeric"]) }
                            el("label") { t("Name"); el("input", ["name": "name", "required": "", "maxlength": "64"]) }
                            el("label") {
                                t("Operator key (4-16 characters; only its keyed verification value is kept)")
                                el("input", ["type": "password", "name": "key", "required": "", "maxlength": "16", "autocomplete": "new-password"])
                            }
                            el("button", ["type": "submit"]) { t("Add") }
                        }
                    }
                }
                ConsoleLayout.table(id: "operators", headers: ["Number", "Name", "State", "Wrong keys in a row", "Last sign-on", ""], rows: operators.map { item in
                    [el("code") { t(item.number) }, t(item.name), ConsoleLayout.state(item.state), t(String(item.consecutiveFailures)),
                     ConsoleLayout.time(item.lastSignOnAt), actions(console, item)]
                }, empty: console.may(.manageOperators) ? "No operators yet: add one above; terminals sign on with an operator's number and key."
                                                        : "No operators yet: an administrator adds them.")
            }
        }
        table.consoleAction("/console/operators", .permission(.manageOperators)) { console, form in
            let name = try form.required("name", limit: 64)
            guard AdminNames.isPrintable(name, limit: 64) else {
                throw AdminProblem(.unprocessableContent, code: "host.invalid", "an operator's name is 1-64 printable characters")
            }
            _ = try await console.administration.addOperator(number: try form.required("number", limit: 2), name: name, key: try form.required("key", limit: 16))
            return Console.seeOther(Console.root + "/operators?done=added")
        }
        for action in ["unlock", "disable", "enable"] {
            table.consoleAction("/console/operators/{number}/\(action)", .permission(.manageOperators)) { console, _ in
                let number = try console.call.parameter("number")
                let administration = try console.administration
                switch action {
                case "unlock": try await administration.unlockOperator(number)
                default: try await administration.setOperatorDisabled(number, action == "disable")
                }
                return Console.seeOther(Console.root + "/operators?done=\(action)")
            }
        }
    }

    static func actions(_ console: ConsoleCall, _ item: OperatorView) -> HTML {
        guard console.may(.manageOperators) else { return .empty }
        let path = { (action: String) in Console.path("operators", item.number, action) }
        return el("div", ["class": "actions"]) {
            if item.state == "locked" { console.button("Unlock", to: path("unlock")) }
            if item.state == "disabled" { console.button("Enable", to: path("enable"), style: "secondary") }
            else { console.button("Disable", to: path("disable"), style: "danger") }
        }
    }
}
