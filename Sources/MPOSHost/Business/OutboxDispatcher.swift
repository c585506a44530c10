public import Foundation
import Logging

/// Hands accepted contracts to their business modules: claims due outbox entries (a lease, so
/// that of several host nodes one delivers each entry at a time, and a node that dies
/// releases its claim when the lease ends), calls the module outside any transaction, then
/// records the outcome. At-least-once: a node that dies between delivering and recording
/// delivers again later, which is why modules treat the contract reference as an
/// idempotency key. Survives restarts: everything it knows is in the store.
public struct OutboxDispatcher: Sendable {
    public struct Report: Sendable, Equatable {
        public var delivered = 0
        public var retried = 0
        public var deadLettered = 0
        public var claimed: Int { delivered + retried + deadLettered }
    }

    let host: HostEngine
    /// This node's name in leases.
    public let owner: String
    public var retryPolicy: RetryPolicy
    /// How long a claim holds; longer than any one delivery may take.
    public var lease: TimeInterval = 120
    /// Random values in 0..<1 for the backoff's jitter (injectable for tests).
    var jitter: @Sendable () -> Double = { Double.random(in: 0..<1) }

    public init(host: HostEngine, owner: String, retryPolicy: RetryPolicy = RetryPolicy()) {
        self.host = host
        self.owner = owner
        self.retryPolicy = retryPolicy
    }

    /// Pins the backoff's jitter (0 = the shortest delay, 1 = the longest), for tests.
    package mutating func jitterForTesting(_ value: Double) {
        jitter = { value }
    }

    /// How many entries one claim takes: delivered side by side, recorded side by side (their
    /// transactions share commits). The lease covers the batch, which takes as long as its
    /// slowest delivery (a webhook's timeout at most).
    public var batchSize = 16

    /// Delivers what is due now, at most `limit` entries, a batch at a time.
    @discardableResult
    public func dispatchDue(limit: Int = 256) async throws -> Report {
        var report = Report()
        var remaining = max(0, limit)
        while remaining > 0 {
            let now = host.clock()
            let size = min(remaining, max(1, batchSize))
            let claimed = try await host.store.transaction { [owner, lease] tx in
                var claimed: [(entry: OutboxEntry, contract: ContractRecord?)] = []
                for entry in try await tx.claimDueOutboxEntries(now: now, owner: owner, leaseUntil: now.addingTimeInterval(lease), limit: size) {
                    claimed.append((entry, try await tx.contract(reference: entry.contractReference)))
                }
                return claimed
            }
            guard !claimed.isEmpty else { break }
            remaining -= claimed.count
            let states = try await withThrowingTaskGroup(of: (OutboxEntry, DeliveryResult, OutboxEntry.State?).self) { group in
                for (entry, contract) in claimed {
                    group.addTask {
                        let result: DeliveryResult
                        if let contract, let module = host.modules.module(named: entry.module) {
                            result = await module.deliver(contract.delivery)
                        } else {
                            result = .retryLater(reason: contract == nil ? "the contract is missing" : "no business module named \(entry.module) is registered")
                        }
                        return (entry, result, try await record(result, for: entry))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            for (entry, result, state) in states {
                let metadata: Logger.Metadata = ["outbox": "\(entry.id)", "contract": "\(entry.contractReference)", "module": "\(entry.module)"]
                switch state {
                case .delivered?:
                    report.delivered += 1
                case .pending?:
                    report.retried += 1
                    host.logger.notice("delivery failed; it will be retried", metadata: metadata.merging(["reason": "\(result.reason)"]) { $1 })
                case .deadLettered?:
                    report.deadLettered += 1
                    host.logger.warning("delivery dead-lettered: `mpos-host outbox retry` once the module is fixed",
                                        metadata: metadata.merging(["reason": "\(result.reason)"]) { $1 })
                case nil:
                    break
                }
            }
        }
        return report
    }

    /// Records one attempt's result, if this node still holds the lease; returns the new state.
    private func record(_ result: DeliveryResult, for claimed: OutboxEntry) async throws -> OutboxEntry.State? {
        let now = host.clock()
        let jitter = self.jitter()
        return try await host.store.retryingTransaction { [owner, retryPolicy, host] tx in
            guard var entry = try await tx.outboxEntry(id: claimed.id), entry.state == .pending, entry.leaseOwner == owner else { return nil }
            entry.attempts += 1
            entry.leaseOwner = nil
            entry.leaseExpiresAt = nil
            switch result {
            case .delivered:
                entry.state = .delivered
                entry.deliveredAt = now
                entry.lastError = nil
            case .retryLater(let reason):
                entry.lastError = reason
                if retryPolicy.isExhausted(attempts: entry.attempts) {
                    entry.state = .deadLettered
                } else {
                    entry.nextAttemptAt = now.addingTimeInterval(retryPolicy.delay(afterAttempt: entry.attempts, jitter: jitter))
                }
            case .rejected(let reason):
                entry.lastError = reason
                entry.state = .deadLettered
            }
            try await tx.updateOutboxEntry(entry)
            if entry.state == .deadLettered {
                try await AuditTrail.append(AuditEvent("outbox.dead-lettered", actor: "host:\(owner)", subject: "contract:\(entry.contractReference)",
                                                       outcome: "failed", details: "module \(entry.module), \(entry.attempts) attempts: \(entry.lastError ?? "")"),
                                            key: host.keys.auditChain, in: tx, now: now)
            }
            return entry.state
        }
    }

    /// Delivers due entries every `interval` until the task is cancelled. First takes back the
    /// leases this node's name still holds: node names are unique among running nodes, so
    /// such leases are from before a restart, and those deliveries are due now rather than
    /// when the leases would have run out.
    public func run(every interval: Duration = .seconds(1)) async {
        do {
            let released = try await host.store.transaction { [owner] tx in try await tx.releaseOutboxLeases(owner: owner) }
            if released > 0 { host.logger.notice("took back the deliveries this node was making when it stopped", metadata: ["entries": "\(released)"]) }
        } catch {
            host.logger.error("outbox: could not take back this node's leases", metadata: ["error": "\(HostEngine.loggable(error))"])
        }
        while !Task.isCancelled {
            let report: Report?
            do {
                report = try await dispatchDue()
            } catch {
                report = nil
                host.logger.error("outbox dispatch failed; trying again", metadata: ["error": "\(HostEngine.loggable(error))"])
            }
            // Straight on while there is a backlog; otherwise wait.
            if (report?.claimed ?? 0) == 0 {
                try? await Task.sleep(for: interval)
            }
        }
    }
}
