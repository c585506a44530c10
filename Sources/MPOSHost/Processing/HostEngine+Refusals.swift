public import Foundation
import MPOSCrypto
import MPOSProtocol

extension HostEngine {
    /// Appends a refusal of a request that proved nothing, unless a flood of the same is being
    /// counted (``RefusalAggregator``); the first after a counted window says how many came
    /// before it.
    func appendUnprovenRefusal(_ event: AuditEvent, in tx: any HostTransaction, now: Date) async throws {
        let key = RefusalAggregator.Key(subject: event.subject, event: event.event, outcome: event.outcome)
        guard case .record(let earlier, let since) = refusalAggregator.decide(key, now: now) else { return }
        var event = event
        if earlier > 0, let since {
            event.details += "; \(earlier) more like it since \(Self.auditTime(since)) were counted, not recorded one by one"
        }
        try await AuditTrail.append(event, key: keys.auditChain, in: tx, now: now)
    }

    /// While forged signed requests naming this terminal are being counted (a flood), their
    /// signature is checked against an unlocked read of the terminal, outside any transaction
    /// that writes: one that does not verify is answered `63` and counted, at no durable cost
    /// (on PostgreSQL the request's row lock would be a commit of its own). One that verifies,
    /// or any doubt, takes the usual path.
    func refuseForgedSignatureEarly(_ request: IncomingRequest) async -> Processed? {
        let key = RefusalAggregator.Key(subject: "terminal:\(request.terminalID)", event: "\(request.kind.auditName).refused",
                                        outcome: ResponseCode.securityViolation.rawValue)
        guard refusalAggregator.isCounting(key, now: request.now),
              let terminal = try? await store.transaction({ tx in try await tx.terminalSnapshot(id: request.terminalID) }),
              terminal.enrollment == .enrolled, !terminal.isBlocked, let signingKey = terminal.deviceSigningKey,
              let signer = try? SigningPublicKey(x963: signingKey),
              (try? MessageSignature.verify(request.frame, codec: codec, signer: signer)) == nil,
              let response = try? signedResponse(request, .securityViolation)
        else { return nil }
        guard refusalAggregator.decide(key, now: request.now) == .count else { return nil }
        metrics.count(request.kind, .securityViolation)
        return Processed(reply: .respond(response), authenticated: false)
    }

    /// Writes the counts of floods whose window has ended (every count, with `everything`: at
    /// shutdown), one audit entry each. `serve` calls it every window.
    public func flushAggregatedRefusals(everything: Bool = false) async throws {
        let now = clock()
        let due = refusalAggregator.takeDue(now: now, everything: everything)
        guard !due.isEmpty else { return }
        try await store.retryingTransaction { tx in
            for count in due {
                let event = AuditEvent(count.key.event, actor: count.key.subject, subject: count.key.subject, outcome: count.key.outcome,
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
