import Foundation
import Hummingbird
import MPOSHost

/// The fleet at a glance.
enum FleetRoutes {
    static func register(on table: AdminRouteTable) {
        table.add(.get, "/api/v1/fleet", .permission(.readFleet)) { call in
            let census = try await call.administration.census()
            var byState: [String: Int] = [:]
            for state in [TerminalRecord.DisplayState.awaitingEnrollment, .signedOut, .signedIn, .blocked] {
                byState[state.rawValue] = census.terminals.byState[state] ?? 0
            }
            let minutes = call.api.recentOutcomes?.lastHour() ?? []
            var hour: [String: Int] = [:]
            for minute in minutes { hour.merge(minute.counts, uniquingKeysWith: +) }
            return try json(FleetView(
                terminals: byState.values.reduce(0, +), terminalsByState: byState, signedInNow: byState["signed-in"] ?? 0,
                requestsLastMinute: minutes.last?.counts ?? [:], requestsLastHour: hour,
                requestsPerMinute: minutes.map { FleetView.Minute(start: $0.start, counts: $0.counts) },
                outboxPending: census.outbox.pending, outboxDeadLettered: census.outbox.deadLettered,
                outboxOldestPendingAt: census.outbox.oldestPendingCreatedAt, activeKeyVersion: census.activeKeyVersion,
                terminalsOnOlderKeys: census.terminals.onOlderKeys))
        }
    }
}
