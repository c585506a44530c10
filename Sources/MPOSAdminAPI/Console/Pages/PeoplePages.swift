import Foundation
import MPOSHost

/// The people who administer the host: their roles, their state, their sessions and tokens.
enum PeoplePages {
    static func register(on table: AdminRouteTable) {
        table.consolePage("/console/people", .permission(.readUsers)) { console in
            let users = try await console.administration.adminUsers().map(UserView.init)
            let notice: ConsoleLayout.Notice? = switch try console.query("done") {
            case "added": .ok("Added: they sign in here with the password you gave them, and should set a second factor.")
            case "changed": .ok("Saved.")
            case "unlock": .ok("Unlocked: they may sign in again.")
            case "revoked": .ok("Ended: that session or token no longer signs anyone in.")
            default: nil
            }
            return ConsoleLayout.page(console, title: "People", section: .people, notice: notice) {
                if console.may(.manageUsers) {
                    el("details", ["class": "card", "id": "add-user"]) {
                        el("summary") { t("Add a person") }
                        console.form(Console.root + "/people", class: "stack") {
                            el("label") { t("User name (a-z, 0-9, . _ -)"); el("input", ["name": "name", "required": "", "maxlength": "32", "autocapitalize": "none"]) }
                            el("label") {
                                t("Role")
                                el("select", ["name": "role"]) { for role in AdminRole.allCases { el("option", ["value": role.rawValue]) { t(role.rawValue) } } }
                            }
                            el("label") {
                                t("Password (at least \(console.api.policy.minimumPasswordLength) characters)")
                                el("input", ["type": "password", "name": "password", "required": "", "maxlength": "72", "autocomplete": "new-password"])
                            }
                            el("button", ["type": "submit"]) { t("Add") }
                        }
                    }
                }
                ConsoleLayout.table(id: "people", headers: ["Name", "Role", "State", "Second factor", "Last sign-in", ""], rows: users.map { user in
                    [el("a", ["href": Console.path("people", user.name)]) { t(user.name) }, t(user.role.rawValue),
                     ConsoleLayout.state(user.disabled ? "disabled" : user.locked ? "locked" : "active"), t(user.secondFactor ? "yes" : "no"),
                     ConsoleLayout.time(user.lastLoginAt), actions(console, user)]
                }, empty: "No one yet: mpos-host user add NAME --role administrator, at the host.")
                el("h2") { t("What each role may do") }
                ConsoleLayout.table(id: "roles", headers: ["Role", "Permissions"], rows: AdminRole.allCases.map { role in
                    [t(role.rawValue), t(role.permissions.map(\.rawValue).sorted().joined(separator: ", "))]
                }, empty: "")
            }
        }
        table.consoleAction("/console/people", .permission(.manageUsers)) { console, form in
            guard let role = AdminRole(rawValue: try form.required("role", limit: 32)) else {
                throw AdminProblem(.unprocessableContent, code: "host.invalid", "choose one of the roles")
            }
            _ = try await console.administration.addUser(name: try form.required("name", limit: 32), role: role, password: try form.required("password", limit: 72),
                                                         hasher: console.api.hasher, policy: console.api.policy)
            return Console.seeOther(Console.root + "/people?done=added")
        }
        table.consolePage("/console/people/{name}", .permission(.readUsers)) { console in
            let name = try console.call.parameter("name")
            let administration = try console.administration
            let user = UserView(try await administration.adminUser(name))
            let credentials = try await administration.credentials(of: name).map(CredentialView.init)
            return ConsoleLayout.page(console, title: "\(user.name) (\(user.role.rawValue))", section: .people) {
                el("div", ["class": "card"]) {
                    ConsoleLayout.facts([
                        ("State", ConsoleLayout.state(user.disabled ? "disabled" : user.locked ? "locked" : "active")),
                        ("Failed sign-ins in a row", t(String(user.failedLogins))),
                        ("Second factor", t(user.secondFactor ? "yes" : "no")),
                        ("Last sign-in", ConsoleLayout.time(user.lastLoginAt)),
                        ("Added", ConsoleLayout.time(user.createdAt)),
                        ("Permissions", t(user.permissions.joined(separator: ", "))),
                    ])
                }
                el("h2") { t("Sessions and API tokens") }
                ConsoleLayout.table(id: "credentials", headers: ["Kind", "Label", "Created", "Last used", "Expires", ""], rows: credentials.map { credential in
                    [t(credential.kind), t(credential.label), ConsoleLayout.time(credential.createdAt), ConsoleLayout.time(credential.lastUsedAt),
                     ConsoleLayout.time(credential.expiresAt),
                     credential.revokedAt == nil && console.may(.manageUsers)
                        ? console.button("End", to: Console.path("people", user.name, "credentials", credential.id, "revoke"), style: "secondary") : .empty]
                }, empty: "No live session or token.")
            }
        }
        for action in ["unlock", "disable", "enable"] {
            table.consoleAction("/console/people/{name}/\(action)", .permission(.manageUsers)) { console, _ in
                let name = try console.call.parameter("name")
                let administration = try console.administration
                if action == "unlock" {
                    try await administration.unlockUser(name)
                } else {
                    try UserRoutes.refuseSelf(name, console.call)
                    try await administration.updateUser(name, role: nil, disabled: action == "disable")
                }
                return Console.seeOther(Console.root + "/people?done=\(action == "unlock" ? "unlock" : "changed")")
            }
        }
        table.consoleAction("/console/people/{name}/credentials/{id}/revoke", .permission(.manageUsers)) { console, _ in
            try await console.administration.revokeCredential(id: try console.call.parameter("id"), owner: try console.call.parameter("name"))
            return Console.seeOther(Console.root + "/people?done=revoked")
        }
    }

    static func actions(_ console: ConsoleCall, _ user: UserView) -> HTML {
        guard console.may(.manageUsers), user.name != console.identity?.name else { return .empty }
        let path = { (action: String) in Console.path("people", user.name, action) }
        return el("div", ["class": "actions"]) {
            if user.locked { console.button("Unlock", to: path("unlock")) }
            if user.disabled { console.button("Enable", to: path("enable"), style: "secondary") }
            else { console.button("Disable", to: path("disable"), style: "danger") }
        }
    }
}
