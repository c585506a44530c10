import Foundation
import Hummingbird
import NIOConcurrencyHelpers
import Prometheus
import MPOSHost
import NIOCore

/// For load balancers and Prometheus: no sign-in, nothing personal, nothing secret.
enum ServiceRoutes {
    static func register(on table: AdminRouteTable) {
        // Alive: the process answers.
        table.add(.get, "/health", .anyone) { _ in try json(["status": "ok"]) }
        // Ready: loaded, the store answers, not shutting down.
        table.add(.get, "/ready", .anyone) { call in
            guard call.api.readiness.isReady else { return try json(["status": "not ready", "reason": "starting or shutting down"], status: .serviceUnavailable) }
            do {
                _ = try await call.api.administration.auditHead()
            } catch {
                return try json(["status": "not ready", "reason": "the store does not answer"], status: .serviceUnavailable)
            }
            return try json(["status": "ready"])
        }
        // Prometheus's text format: the host's counters, and gauges of the store read now.
        table.add(.get, "/metrics", .anyone) { call in
            var buffer: [UInt8] = []
            if let registry = call.api.metrics {
                try? await call.api.storeGauges.record(call.api.administration, into: registry)
                registry.emit(into: &buffer)
            }
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
        }
    }
}

/// Outbox depth and age and terminals by state, from the store (so every node of a PostgreSQL
/// fleet reports the same, shared values): two aggregate queries, at most every 10 seconds
/// however often anyone scrapes.
final class StoreGauges: Sendable {
    private let lastRead = NIOLockedValueBox(ContinuousClock.Instant?.none)

    func record(_ administration: HostAdministration, into registry: PrometheusCollectorRegistry) async throws {
        let now = ContinuousClock.now
        let due = lastRead.withLockedValue { last in
            guard last.map({ now - $0 >= .seconds(10) }) ?? true else { return false }
            last = now
            return true
        }
        guard due else { return }
        let census = try await administration.census()
        let entries = MetricNameDescriptor(namespace: "mpos", metricName: "outbox", unitName: "entries", helpText: "Outbox entries by state, in the store")
        let age = MetricNameDescriptor(namespace: "mpos", metricName: "outbox_oldest_pending_age", unitName: "seconds",
                                       helpText: "Age of the oldest pending outbox entry (0 when none)")
        let terminals = MetricNameDescriptor(namespace: "mpos", metricName: "terminals", unitName: "", helpText: "Terminals by state, in the store")
        registry.makeGauge(descriptor: entries, labels: [("state", "pending")]).set(Double(census.outbox.pending))
        registry.makeGauge(descriptor: entries, labels: [("state", "dead-lettered")]).set(Double(census.outbox.deadLettered))
        registry.makeGauge(descriptor: age).set(max(0, census.outbox.oldestPendingCreatedAt.map { Date().timeIntervalSince($0) } ?? 0))
        for state in [TerminalRecord.DisplayState.awaitingEnrollment, .signedOut, .signedIn, .blocked] {
            registry.makeGauge(descriptor: terminals, labels: [("state", state.rawValue)]).set(Double(census.terminals.byState[state] ?? 0))
        }
    }
}
