import HTTPTypes
import HummingbirdTesting
@testable import MPOSAdminAPI
import MPOSHost
import Testing

/// Every route × every role: allowed (anything but 403) exactly when the role has the route's
/// permission; without a token, 401. The table is the router's own (AdminRouteDescription).
@Suite("Admin API role matrix", .timeLimit(.minutes(5)))
struct RoleMatrixTests {
    /// A concrete path for a route's pattern (the ids need not exist: 404 is an allowed answer).
    static func concrete(_ path: String) -> String {
        path.replacingOccurrences(of: "{id}", with: "7").replacingOccurrences(of: "{name}", with: "nobody")
            .replacingOccurrences(of: "{number}", with: "01").replacingOccurrences(of: "{carrier}", with: "1")
            .replacingOccurrences(of: "{day}", with: "2026-12-03")
    }

    @Test("each role is allowed exactly its permissions, on every route")
    func matrix() async throws {
        let harness = try await AdminHarness.make()
        var checked = 0
        for (index, route) in harness.routes.enumerated() {
            guard case .permission(let permission) = route.access else { continue }
            for role in AdminRole.allCases {
                // A person per route and role: a token of each, fresh (some routes end the caller's own).
                let token = try await harness.token(role, name: "r\(index)-\(role.rawValue)")
                try await harness.test { client in
                    let answer = try await client.call(route.method, Self.concrete(route.path), token: token, json: "{}")
                    if role.may(permission) {
                        #expect(answer.status != .forbidden, "\(role) may \(permission.rawValue): \(route.method) \(route.path) answered \(answer.body)")
                    } else {
                        #expect(answer.status == .forbidden && answer.code == "host.auth.forbidden",
                                "\(role) may not \(permission.rawValue): \(route.method) \(route.path) answered \(answer.status) \(answer.body)")
                    }
                    #expect(answer.status.code < 500, "\(route.method) \(route.path) as \(role): \(answer.body)")
                }
                checked += 1
            }
        }
        #expect(checked == harness.routes.filter { if case .permission = $0.access { true } else { false } }.count * AdminRole.allCases.count)
        #expect(checked >= 40 * 5)
        try await harness.close()
    }

    @Test("without a session or token every route but the public ones answers 401 problem+json")
    func unauthenticated() async throws {
        let harness = try await AdminHarness.make()
        for route in harness.routes where route.access != .anyone {
            try await harness.test { client in
                let answer = try await client.call(route.method, Self.concrete(route.path), json: "{}")
                #expect(answer.status == .unauthorized, "\(route.method) \(route.path): \(answer.status)")
                #expect(answer.headers[.contentType] == "application/problem+json")
                #expect(answer.code == "host.auth.unauthenticated")
            }
        }
        try await harness.close()
    }

    @Test("a malformed or unknown token is refused the same way as none")
    func badTokens() async throws {
        let harness = try await AdminHarness.make()
        try await harness.test { client in
            for token in ["", "x", "mpos_" + String(repeating: "0", count: 64), "mpos_" + String(repeating: "G", count: 64), String(repeating: "a", count: 10_000)] {
                let answer = try await client.call(.get, "/api/v1/fleet", token: token)
                #expect(answer.status == .unauthorized)
                #expect(answer.code == "host.auth.unauthenticated")
            }
        }
        try await harness.close()
    }

    @Test("the role table: what each role may do")
    func roles() {
        #expect(AdminRole.viewer.permissions == [.readFleet])
        #expect(AdminRole.helpDesk.may(.blockTerminals) && !AdminRole.helpDesk.may(.manageTerminals))
        #expect(!AdminRole.administrator.may(.approveKeyChange) && !AdminRole.administrator.may(.readAudit))
        #expect(AdminRole.keyCustodian.may(.approveKeyChange) && !AdminRole.keyCustodian.may(.manageOperators))
        #expect(AdminRole.auditor.permissions.allSatisfy { $0.rawValue.hasSuffix(".read") || $0 == .exportLedger })
    }
}
