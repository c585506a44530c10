import Foundation
import Hummingbird
import MPOSHost

/// The fleet at a glance.
enum FleetRoutes {
    static func register(on table: AdminRouteTable) {
        table.add(.get, "/api/v1/fleet", .permission(.readFleet)) { call in
            let administration = try call.administration
            let terminals = try await administration.terminals()
            let inventory = try await administration.keyInventory()
            let outbox = try await administration.outbox(states: [.pending, .deadLettered], limit: 100_000)
            let active = inventory.baseMasterKeys.first { $0.record.state == .active }?.record.version
            var byState: [String: Int] = [:]
            for state in ["awaiting-enrollment", "signed-out", "signed-in", "blocked"] { byState[state] = 0 }
            for terminal in terminals { byState[terminal.displayState.rawValue, default: 0] += 1 }
            let minutes = call.api.recentOutcomes?.lastHour() ?? []
            var hour: [String: Int] = [:]
            for minute in minutes { hour.merge(minute.counts, uniquingKeysWith: +) }
            let pending = outbox.filter { $0.state == .pending }
            return try json(FleetView(
                terminals: terminals.count, terminalsByState: byState, signedInNow: terminals.filter { $0.currentSession != nil }.count,
                requestsLastMinute: minutes.last?.counts ?? [:], requestsLastHour: hour,
                requestsPerMinute: minutes.map { FleetView.Minute(start: $0.start, counts: $0.counts) },
                outboxPending: pending.count, outboxDeadLettered: outbox.count - pending.count,
                outboxOldestPendingAt: pending.map(\.createdAt).min(), activeKeyVersion: active,
                terminalsOnOlderKeys: terminals.filter { version in version.masterKeyVersion.map { $0 != active } ?? false }.count))
        }
    }
}
