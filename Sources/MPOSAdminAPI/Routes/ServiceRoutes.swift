import Foundation
import Hummingbird
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
                try? await recordStoreGauges(call.api.administration, into: registry)
                registry.emit(into: &buffer)
            }
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
        }
    }
}

/// Outbox depth and age and terminals by state, read from the store at each scrape (so every
/// node of a PostgreSQL fleet reports the same, shared values).
private func recordStoreGauges(_ administration: HostAdministration, into registry: PrometheusCollectorRegistry) async throws {
    let entries = MetricNameDescriptor(namespace: "mpos", metricName: "outbox", unitName: "entries", helpText: "Outbox entries by state, in the store")
    let age = MetricNameDescriptor(namespace: "mpos", metricName: "outbox_oldest_pending_age", unitName: "seconds",
                                   helpText: "Age of the oldest pending outbox entry (0 when none)")
    let terminals = MetricNameDescriptor(namespace: "mpos", metricName: "terminals", unitName: "", helpText: "Terminals by state, in the store")
    let outbox = try await administration.outbox(states: [.pending, .deadLettered], limit: 100_000)
    let pending = outbox.filter { $0.state == .pending }
    registry.makeGauge(descriptor: entries, labels: [("state", "pending")]).set(Double(pending.count))
    registry.makeGauge(descriptor: entries, labels: [("state", "dead-lettered")]).set(Double(outbox.count - pending.count))
    let oldest = pending.map(\.createdAt).min().map { Date().timeIntervalSince($0) } ?? 0
    registry.makeGauge(descriptor: age).set(max(0, oldest))
    var byState: [String: Int] = ["awaiting-enrollment": 0, "signed-out": 0, "signed-in": 0, "blocked": 0]
    for terminal in try await administration.terminals() { byState[terminal.displayState.rawValue, default: 0] += 1 }
    for (state, count) in byState { registry.makeGauge(descriptor: terminals, labels: [("state", state)]).set(Double(count)) }
}
