public import Foundation

extension HostEngine {
    /// Appends a refusal of a request that proved nothing, unless a flood of the same is being
    /// counted (``RefusalAggregator``); the first after a counted window says how many came
    /// before it.
    func appendUnprovenRefusal(_ event: AuditEvent, in tx: any HostTransaction, now: Date) async throws {
        let key = RefusalAggregator.Key(terminalID: event.subject, event: event.event, outcome: event.outcome)
        guard case .record(let earlier, let since) = refusalAggregator.decide(key, now: now) else { return }
        var event = event
        if earlier > 0, let since {
            event.details += "; \(earlier) more like it since \(Self.auditTime(since)) were counted, not recorded one by one"
        }
        try await AuditTrail.append(event, key: keys.auditChain, in: tx, now: now)
    }

    /// Writes the counts of floods whose window has ended (every count, with `everything`: at
    /// shutdown), one audit entry each. `serve` calls it every window.
    public func flushAggregatedRefusals(everything: Bool = false) async throws {
        let now = clock()
        let due = refusalAggregator.takeDue(now: now, everything: everything)
        guard !due.isEmpty else { return }
        try await store.retryingTransaction { tx in
            for count in due {
                let event = AuditEvent(count.key.event, actor: count.key.terminalID, subject: count.key.terminalID, outcome: count.key.outcome,
                                       details: "\(count.count) more like the one recorded at \(Self.auditTime(count.since)), until \(Self.auditTime(count.until)): counted, not recorded one by one")
                try await AuditTrail.append(event, key: self.keys.auditChain, in: tx, now: now)
            }
        }
    }

    /// The aggregation window, for the service that flushes it.
    public var refusalAggregationWindow: Foundation.TimeInterval { refusalAggregator.window }

    private static func auditTime(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
