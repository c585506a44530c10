import Foundation
import MPOSHost

/// The audit trail: the newest entries, filtered by person, terminal and event; a check of
/// the whole chain.
enum AuditPage {
    static func register(on table: AdminRouteTable) {
        table.consolePage("/console/audit", .permission(.readAudit)) { console in
            let administration = try console.administration
            let actor = try console.query("actor").flatMap { $0.isEmpty ? nil : $0 }
            let terminal = try console.query("terminal").flatMap { $0.isEmpty ? nil : $0 }
            let event = try console.query("event").flatMap { $0.isEmpty ? nil : $0 }
            var entries = try await administration.auditTail(2000).reversed().map(AuditEntryView.init)
            if let actor { entries = entries.filter { $0.actor.contains(actor) } }
            if let terminal { entries = entries.filter { $0.subject == "terminal:\(terminal)" || $0.actor.hasPrefix("terminal:\(terminal)") } }
            if let event { entries = entries.filter { $0.event.hasPrefix(event) } }
            let verification: (AuditTrail.Verification, String?)? = try console.query("verify") != nil
                ? (try await administration.verifyAuditTrail(), try await administration.auditHead()?.description) : nil
            return ConsoleLayout.page(console, title: "Audit trail", section: .audit) {
                if let (result, head) = verification {
                    switch result {
                    case .intact(let count):
                        el("p", ["class": "notice ok", "id": "verification"]) {
                            t("Intact: \(count) entries, each chained to the one before. Head \(head ?? "—"): record it, and check later with mpos-host audit verify --expect-head to catch entries cut from the end.")
                        }
                    case .broken(let sequence, let reason):
                        el("p", ["class": "notice error", "id": "verification"]) { t("Broken at entry \(sequence): \(reason). Stop and call security: see docs/operations.md.") }
                    }
                }
                el("form", ["method": "get", "action": Console.root + "/audit", "class": "filters", "id": "audit-filters"]) {
                    el("label") { t("Person or actor contains"); el("input", ["name": "actor", "value": actor ?? "", "maxlength": "64", "id": "filter-actor"]) }
                    el("label") { t("Terminal ID"); el("input", ["name": "terminal", "value": terminal ?? "", "maxlength": "8", "id": "filter-terminal"]) }
                    el("label") { t("Event starts with"); el("input", ["name": "event", "value": event ?? "", "maxlength": "64", "id": "filter-event"]) }
                    el("button", ["type": "submit", "class": "secondary"]) { t("Filter") }
                }
                el("p") { el("a", ["href": Console.root + "/audit?verify=1", "id": "verify"]) { t("Verify the whole chain") } }
                ConsoleLayout.table(id: "audit", headers: ["#", "When", "Event", "Actor", "Subject", "Outcome", "Details"], rows: entries.prefix(200).map { entry in
                    [t(String(entry.sequence)), ConsoleLayout.time(entry.recordedAt), el("code") { t(entry.event) }, t(entry.actor), t(entry.subject),
                     entry.outcome.isEmpty ? t("—") : ConsoleLayout.responseCode(entry.outcome), t(entry.details)]
                }, empty: "No entry among the newest 2,000 matches: clear a filter.")
                el("p", ["class": "muted"]) { t("The newest 200 matches among the newest 2,000 entries; mpos-host audit tail reads further.") }
            }
        }
    }
}
