import Foundation
import MPOSHost

/// Cards and contracts (masked; searched by reference), and the outbox with its retries.
/// Reading cards and contracts is audited, as through the API.
enum RecordPages {
    static let pageSize = 50

    static func register(on table: AdminRouteTable) {
        table.consolePage("/console/cards", .permission(.readCards)) { console in
            let administration = try console.administration
            let reference = try console.query("reference").flatMap { $0.isEmpty ? nil : $0 }
            let offset = try console.call.integerQuery("offset", default: 0, range: 0...10_000_000)
            let page = try await administration.cardPage(openingReference: reference, offset: offset, limit: pageSize)
            try await administration.recordRead("cards", details: "\(page.rows.count) cards shown in the console")
            let notice: ConsoleLayout.Notice? = try console.query("done") == "unlock" ? .ok("The card's PIN is unlocked.") : nil
            return ConsoleLayout.page(console, title: "Cards", section: .cards, notice: notice) {
                search(Console.root + "/cards", label: "Card opening reference", value: reference)
                ConsoleLayout.table(id: "cards", headers: ["Card", "Customer", "Document", "Opened", "By", "Reference", "PIN", ""], rows: page.rows.map(CardView.init).map { card in
                    [el("code") { t(card.maskedCardNumber) }, el("code") { t(card.customerIdentifier) }, t(card.identityDocumentType), ConsoleLayout.time(card.openedAt),
                     t("\(card.openedByTerminal) / \(card.openedByOperator)"), el("code") { t(card.openingReference ?? "—") },
                     card.locked ? ConsoleLayout.state("locked") : t("\(card.consecutivePinFailures) wrong in a row"),
                     card.locked && console.may(.manageCards) ? console.button("Unlock PIN", to: Console.path("cards", String(card.id), "unlock")) : .empty]
                }, empty: reference == nil ? "No cards opened yet: terminals open them." : "No card was opened with this reference.")
                ConsoleLayout.pager(path: Console.root + "/cards", query: reference.map { [("reference", $0)] } ?? [], offset: offset, limit: pageSize, total: page.total)
            }
        }
        table.consoleAction("/console/cards/{id}/unlock", .permission(.manageCards)) { console, _ in
            try await console.administration.unlockCard(id: try console.call.integerParameter("id"))
            return Console.seeOther(Console.root + "/cards?done=unlock")
        }
        table.consolePage("/console/contracts", .permission(.readCards)) { console in
            let administration = try console.administration
            let reference = try console.query("reference").flatMap { $0.isEmpty ? nil : $0 }
            let offset = try console.call.integerQuery("offset", default: 0, range: 0...10_000_000)
            let page = try await administration.contractPage(reference: reference, terminalID: nil, offset: offset, limit: pageSize)
            try await administration.recordRead("contracts", details: "\(page.rows.count) contracts shown in the console")
            return ConsoleLayout.page(console, title: "Contracts", section: .contracts) {
                search(Console.root + "/contracts", label: "Contract reference", value: reference)
                ConsoleLayout.table(id: "contracts", headers: ["Reference", "Signed", "Carrier", "Phone", "Tariff", "Card", "Terminal / operator", "Module"],
                                    rows: page.rows.map(ContractView.init).map { contract in
                    [el("code") { t(contract.reference) }, ConsoleLayout.time(contract.signedAt), t(contract.carrierCode), t(contract.phoneNumber), t(contract.tariff),
                     el("code") { t(contract.maskedCardNumber) }, t("\(contract.terminal) / \(contract.operator)"), t(contract.module)]
                }, empty: reference == nil ? "No contracts signed yet: terminals sign them for opened cards." : "No contract has this reference.")
                ConsoleLayout.pager(path: Console.root + "/contracts", query: reference.map { [("reference", $0)] } ?? [], offset: offset, limit: pageSize, total: page.total)
            }
        }
        table.consolePage("/console/outbox", .permission(.readOutbox)) { console in
            let entries = try await console.administration.outbox(states: [.pending, .deadLettered], limit: 500).map(OutboxView.init)
            let notice: ConsoleLayout.Notice? = try console.query("done") == "retry" ? .ok("Queued again: the dispatcher delivers it at its next pass.") : nil
            return ConsoleLayout.page(console, title: "Outbox", section: .outbox, notice: notice) {
                el("p", ["class": "muted"]) { t("Contracts waiting for their carrier's module, and those it gave up on (dead letters). The newest 500.") }
                ConsoleLayout.table(id: "outbox", headers: ["#", "Contract", "Module", "State", "Attempts", "Next attempt", "Last error", ""], rows: entries.map { entry in
                    [t(String(entry.id)), el("code") { t(entry.contractReference) }, t(entry.module), ConsoleLayout.state(entry.state), t(String(entry.attempts)),
                     ConsoleLayout.time(entry.nextAttemptAt), t(entry.lastError ?? "—"),
                     entry.state == "dead-lettered" && console.may(.manageOutbox) ? console.button("Retry", to: Console.path("outbox", String(entry.id), "retry")) : .empty]
                }, empty: "The outbox is empty: every contract has been delivered to its carrier's module.")
            }
        }
        table.consoleAction("/console/outbox/{id}/retry", .permission(.manageOutbox)) { console, _ in
            try await console.administration.retryOutboxEntry(id: try console.call.integerParameter("id"))
            return Console.seeOther(Console.root + "/outbox?done=retry")
        }
    }

    static func search(_ action: String, label: String, value: String?) -> HTML {
        el("form", ["method": "get", "action": action, "class": "filters"]) {
            el("label") { t(label); el("input", ["name": "reference", "value": value ?? "", "maxlength": "64", "id": "search-reference"]) }
            el("button", ["type": "submit", "class": "secondary"]) { t("Search") }
        }
    }
}
