import Foundation
import MPOSHost
import MPOSProtocol
import NIOConcurrencyHelpers

/// The fleet at a glance: terminals by state, traffic and refusals over the last hour, the
/// outbox, the audit chain, the key version in force. It refreshes itself every 15 s.
enum DashboardPage {
    static func register(on table: AdminRouteTable) {
        table.consolePage("/console", .permission(.readFleet)) { console in
            let administration = try console.administration
            let census = try await administration.census()
            let minutes = console.api.recentOutcomes?.lastHour() ?? []
            // Whether the chain holds is a health signal every role sees; its entries are for auditors.
            let audit = try await console.api.auditStatus.verification(administration)
            let states: [TerminalRecord.DisplayState] = [.signedIn, .signedOut, .awaitingEnrollment, .blocked]
            let total = states.reduce(0) { $0 + (census.terminals.byState[$1] ?? 0) }
            return ConsoleLayout.page(console, title: "Dashboard", section: .dashboard, refreshSeconds: 15) {
                el("div", ["class": "grid"]) {
                    figure("Signed in now", census.terminals.byState[.signedIn] ?? 0, id: "signed-in-now", note: "of \(total) terminals")
                    el("div", ["class": "card", "id": "terminals-by-state"]) {
                        el("div", ["class": "label"]) { t("Terminals by state") }
                        ConsoleLayout.facts(states.map { state in
                            let count = census.terminals.byState[state] ?? 0
                            let link = console.may(.readTerminals)
                                ? el("a", ["href": Console.root + "/terminals?state=\(state.rawValue)", "id": "state-\(state.rawValue)"]) { t(String(count)) }
                                : el("span", ["id": "state-\(state.rawValue)"]) { t(String(count)) }
                            return (state.rawValue, link)
                        })
                    }
                    outbox(census.outbox)
                    keys(census)
                    auditCard(audit)
                }
                if total == 0 {
                    ConsoleLayout.noticeBox(.info(console.may(.manageTerminals)
                        ? "No terminals yet: add one on the Terminals page, then enroll it with the code shown there."
                        : "No terminals yet: an administrator adds them."))
                }
                traffic(minutes)
                refusals(minutes)
            }
        }
    }

    static func figure(_ label: String, _ value: Int, id: String, note: String) -> HTML {
        el("div", ["class": "card"]) {
            el("div", ["class": "label"]) { t(label) }
            el("div", ["class": "figure", "id": id]) { t(String(value)) }
            el("div", ["class": "muted"]) { t(note) }
        }
    }

    static func outbox(_ outbox: OutboxCensus) -> HTML {
        el("div", ["class": "card", "id": "outbox"]) {
            el("div", ["class": "label"]) { t("Outbox (contracts for the carriers' modules)") }
            el("div", ["class": "figure", "id": "outbox-pending"]) { t(String(outbox.pending)) }
            el("div", ["class": "muted"]) {
                if let oldest = outbox.oldestPendingCreatedAt {
                    t("pending; the oldest for \(ConsoleLayout.age(since: oldest)) (since "); ConsoleLayout.time(oldest); t(")")
                } else {
                    t("pending: the outbox is drained")
                }
            }
            if outbox.deadLettered > 0 {
                el("p", ["class": "notice error", "id": "dead-letters"]) { t("\(outbox.deadLettered) dead-lettered: see the Outbox page and retry once the module is back.") }
            }
        }
    }

    static func keys(_ census: HostAdministration.Census) -> HTML {
        el("div", ["class": "card", "id": "key-version"]) {
            el("div", ["class": "label"]) { t("Base master key in force") }
            el("div", ["class": "figure"]) { t(census.activeKeyVersion.map { "v\($0)" } ?? "none") }
            el("div", ["class": "muted", "id": "older-keys"]) {
                t(census.terminals.onOlderKeys == 0
                  ? "every enrolled terminal runs it"
                  : "\(census.terminals.onOlderKeys) terminals still run an older version (they move at their next sign-on)")
            }
        }
    }

    static func auditCard(_ verification: AuditTrail.Verification) -> HTML {
        el("div", ["class": "card", "id": "audit-chain"]) {
            el("div", ["class": "label"]) { t("Audit chain") }
            switch verification {
            case .intact(let entries):
                el("div", ["class": "figure"]) { ConsoleLayout.state("intact") }
                el("div", ["class": "muted"]) { t("\(entries) entries verified (checked at most once a minute)") }
            case .broken(let sequence, let reason):
                el("div", ["class": "figure"]) { ConsoleLayout.state("broken") }
                el("p", ["class": "notice error"]) { t("Broken at entry \(sequence): \(reason). Stop and call security: see docs/operations.md.") }
            }
        }
    }

    static func traffic(_ minutes: [RecentOutcomes.Minute]) -> HTML {
        let perSecond = minutes.map { Double($0.total) / 60 }
        let last = minutes.last?.total ?? 0
        return el("section", ["class": "card wide", "id": "traffic"]) {
            el("h2") { t("Requests per second, last hour") }
            el("p", ["class": "muted"]) { t("Last minute: \(last) requests (\(ConsoleChart.label(Double(last) / 60))/s). This node only.") }
            ConsoleChart.stackedBars(id: "requests-chart", title: "Requests per second, by minute", unit: "requests/s",
                                     minutes: minutes.map(\.start), series: [.init(label: "requests", values: perSecond)], legend: [])
        }
    }

    static func refusals(_ minutes: [RecentOutcomes.Minute]) -> HTML {
        var hour: [String: Int] = [:]
        for minute in minutes { hour.merge(minute.counts, uniquingKeysWith: +) }
        let refused = hour.filter { $0.key != ResponseCode.approved.rawValue }.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
        let charted = Array(refused.prefix(5).map(\.key))
        var series = charted.map { code in
            ConsoleChart.Series(label: code, values: minutes.map { Double($0.counts[code] ?? 0) })
        }
        if refused.count > charted.count {
            series.append(.init(label: "other", values: minutes.map { minute in
                Double(minute.counts.filter { $0.key != ResponseCode.approved.rawValue && !charted.contains($0.key) }.values.reduce(0, +))
            }))
        }
        let legend = charted.enumerated().map { ConsoleChart.legendItem($0.offset, "\($0.element) \(ResponseCode(rawValue: $0.element)?.meaning ?? "")") }
            + (refused.count > charted.count ? [ConsoleChart.legendItem(5, "other codes")] : [])
        return el("section", ["class": "card wide", "id": "refusals"]) {
            el("h2") { t("Refusals by response code, last hour") }
            if refused.isEmpty {
                el("p", ["class": "empty", "id": "refusals-empty"]) { t("No refusals in the last hour.") }
            } else {
                ConsoleChart.stackedBars(id: "refusals-chart", title: "Refused requests per minute, by response code", unit: "requests",
                                         minutes: minutes.map(\.start), series: series, legend: legend)
                ConsoleLayout.table(id: "refusal-codes", headers: ["Code", "Meaning", "What the operator does", "Last hour"], rows: refused.map { code, count in
                    [el("code") { t(code) }, t(ResponseCode(rawValue: code)?.meaning ?? "unknown code"), t(ConsoleLayout.operatorAction(code)), t(String(count))]
                }, empty: "")
            }
        }
    }
}

/// The audit chain's check for the dashboard, done at most once a minute: it reads every
/// entry, and the dashboard refreshes itself every 15 s in every open browser.
final class AuditStatusCache: Sendable {
    private let cached = NIOLockedValueBox<(at: Date, result: AuditTrail.Verification)?>(nil)
    static let maximumAge: TimeInterval = 60

    func verification(_ administration: HostAdministration) async throws -> AuditTrail.Verification {
        if let (at, result) = cached.withLockedValue({ $0 }), Date().timeIntervalSince(at) < Self.maximumAge { return result }
        let result = try await administration.verifyAuditTrail()
        cached.withLockedValue { $0 = (Date(), result) }
        return result
    }
}
