import Hummingbird
import MPOSHost

/// The hash-chained audit trail: the newest entries with filters, and a check of the chain.
enum AuditRoutes {
    static func register(on table: AdminRouteTable) {
        // Filters: event (prefix), actor (contains), subject (exact); from the newest `scan` entries.
        table.add(.get, "/api/v1/audit", .permission(.readAudit)) { call in
            let scan = try call.integerQuery("scan", default: 1000, range: 1...10_000)
            var entries = try await call.administration.auditTail(scan).reversed().map { $0 }
            if let event = try call.query("event") { entries = entries.filter { $0.event.hasPrefix(event) } }
            if let actor = try call.query("actor") { entries = entries.filter { $0.actor.contains(actor) } }
            if let subject = try call.query("subject") { entries = entries.filter { $0.subject == subject } }
            return try json(try call.page(entries.map(AuditEntryView.init)))
        }
        // With `expected_head` (SEQUENCE:MAC, recorded earlier): also finds rows cut from the end.
        table.add(.get, "/api/v1/audit/verification", .permission(.readAudit)) { call in
            let expected = try call.query("expected_head").map { text in
                guard let head = AuditHead(text) else {
                    throw AdminProblem(.badRequest, code: "api.bad-request", "expected_head is SEQUENCE:MAC (32 hex digits)")
                }
                return head
            }
            let administration = try call.administration
            let head = try await administration.auditHead()?.description
            return switch try await administration.verifyAuditTrail(expectedHead: expected) {
            case .intact(let entries): try json(AuditVerificationView(result: "intact", entries: entries, brokenAt: nil, reason: nil, head: head))
            case .broken(let sequence, let reason): try json(AuditVerificationView(result: "broken", entries: nil, brokenAt: sequence, reason: reason, head: head))
            }
        }
    }
}
