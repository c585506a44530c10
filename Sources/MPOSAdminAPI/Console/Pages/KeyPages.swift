import Foundation
import MPOSHost

/// Keys by version and check value (never a key), and rotation under dual control: one key
/// custodian asks, a second approves; nothing changes until then.
enum KeyPages {
    static func register(on table: AdminRouteTable) {
        table.consolePage("/console/keys", .permission(.readKeys)) { console in
            let administration = try console.administration
            let inventory = KeyInventoryView(try await administration.keyInventory())
            let approvals = try await administration.approvals(limit: 50, policy: console.api.policy).map(ApprovalView.init)
            let notice: ConsoleLayout.Notice? = switch try console.query("done") {
            case "requested": .ok("Rotation requested: a second key custodian approves it on this page. Nothing changes until then.")
            case "approve": .ok("Approved and done: a new base master key is in force; terminals move to it at their next sign-on.")
            case "decline": .ok("Declined: nothing changed.")
            default: nil
            }
            return ConsoleLayout.page(console, title: "Keys", section: .keys, notice: notice) {
                el("h2") { t("Base master keys") }
                ConsoleLayout.table(id: "base-master-keys", headers: ["Version", "State", "Check value", "Origin", "Terminals", "Created", "Retired"],
                                    rows: inventory.baseMasterKeys.reversed().map { key in
                    [t("v\(key.version)"), ConsoleLayout.state(key.state), el("code") { t(key.checkValue) }, t(key.origin), t(String(key.terminals)),
                     ConsoleLayout.time(key.createdAt), ConsoleLayout.time(key.retiredAt)]
                }, empty: "No base master key: run mpos-host init.")
                el("h2") { t("Host keys") }
                ConsoleLayout.table(id: "host-keys", headers: ["Role", "Check value or fingerprint", "Created"], rows: inventory.hostKeys.map { key in
                    [t(key.role), el("code") { t(key.checkValue) }, ConsoleLayout.time(key.createdAt)]
                }, empty: "No host keys: run mpos-host init.")
                el("h2") { t("Rotation (dual control)") }
                if console.may(.requestKeyChange) {
                    console.form(Console.root + "/keys/rotations", class: "stack") {
                        el("label", ["class": "check"]) {
                            el("input", ["type": "checkbox", "name": "request_sign_on", "id": "request-sign-on"])
                            t("Ask every terminal to sign on at its next request (moves the fleet at once)")
                        }
                        el("button", ["type": "submit", "id": "request-rotation"]) { t("Request a rotation") }
                    }
                    el("p", ["class": "muted"]) { t("A key ceremony from custodians' components is run at the host: mpos-host key ceremony, with the custodians present (docs/operations.md).") }
                }
                ConsoleLayout.table(id: "approvals", headers: ["#", "Action", "Requested by", "Requested", "State", "Decided by", ""], rows: approvals.map { approval in
                    [t(String(approval.id)), t(approval.action + (approval.requestSignOn ? " (and ask for sign-on)" : "")), t(approval.requestedBy),
                     ConsoleLayout.time(approval.requestedAt), ConsoleLayout.state(approval.state), t(approval.decidedBy ?? "—"), decision(console, approval)]
                }, empty: "No rotation has been requested.")
            }
        }
        table.consoleAction("/console/keys/rotations", .permission(.requestKeyChange)) { console, form in
            let identity = try console.call.context.requireIdentity()
            _ = try await console.administration.requestRotation(by: identity, requestSignOn: form.flag("request_sign_on"))
            return Console.seeOther(Console.root + "/keys?done=requested")
        }
        for action in ["approve", "decline"] {
            table.consoleAction("/console/keys/rotations/{id}/\(action)", .permission(.approveKeyChange)) { console, _ in
                let identity = try console.call.context.requireIdentity()
                let id = try console.call.integerParameter("id")
                let administration = try console.administration
                if action == "approve" { _ = try await administration.approve(id, by: identity, policy: console.api.policy) }
                else { _ = try await administration.decline(id, by: identity, policy: console.api.policy) }
                return Console.seeOther(Console.root + "/keys?done=\(action)")
            }
        }
    }

    /// Approve for a second custodian; decline (or withdraw, for the requester).
    static func decision(_ console: ConsoleCall, _ approval: ApprovalView) -> HTML {
        guard approval.state == "pending", console.may(.approveKeyChange), let identity = console.identity else { return .empty }
        let path = { (action: String) in Console.path("keys", "rotations", String(approval.id), action) }
        return el("div", ["class": "actions"]) {
            if approval.requestedBy != identity.name { console.button("Approve", to: path("approve"), id: "approve-\(approval.id)") }
            else { el("span", ["class": "muted"]) { t("awaiting a second custodian") } }
            console.button(approval.requestedBy == identity.name ? "Withdraw" : "Decline", to: path("decline"), style: "secondary", id: "decline-\(approval.id)")
        }
    }
}
