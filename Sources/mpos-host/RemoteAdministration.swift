import Foundation
import MPOSAdminAPI
import MPOSHost

/// `--url` mode: every command through the administration API, as the token's person.
struct RemoteAdministration: Administering {
    let client: AdminClient

    func operators() async throws -> [OperatorView] { try await client.all("/api/v1/operators") }
    func addOperator(number: String, name: String, key: String) async throws -> OperatorView {
        try await client.post("/api/v1/operators", ["number": number, "name": name, "key": key])
    }
    func setOperatorDisabled(_ number: String, _ disabled: Bool) async throws {
        _ = try await client.send(.POST, "/api/v1/operators/\(segment(number))/\(disabled ? "disable" : "enable")")
    }
    func unlockOperator(_ number: String) async throws { _ = try await client.send(.POST, "/api/v1/operators/\(segment(number))/unlock") }
    func setOperatorKey(_ number: String, key: String) async throws {
        _ = try await client.send(.PUT, "/api/v1/operators/\(segment(number))/key", json: ["key": key])
    }

    func terminals() async throws -> [TerminalView] { try await client.all("/api/v1/terminals") }
    func terminal(_ id: String) async throws -> TerminalView { try await client.get("/api/v1/terminals/\(segment(id))") }
    func addTerminal(id: String?, label: String) async throws -> NewTerminalView {
        var body = ["label": label]
        if let id { body["id"] = id }
        return try await client.post("/api/v1/terminals", body)
    }
    func blockTerminal(_ id: String) async throws { _ = try await client.send(.POST, "/api/v1/terminals/\(segment(id))/block") }
    func unblockTerminal(_ id: String) async throws { _ = try await client.send(.POST, "/api/v1/terminals/\(segment(id))/unblock") }
    func forceSignOff(_ id: String) async throws { _ = try await client.send(.POST, "/api/v1/terminals/\(segment(id))/sign-off") }
    func requestSignOn(_ id: String) async throws { _ = try await client.send(.POST, "/api/v1/terminals/\(segment(id))/request-sign-on") }
    func reissueEnrollmentCode(_ id: String) async throws -> String {
        try await client.post("/api/v1/terminals/\(segment(id))/reissue-code", as: NewTerminalView.self).enrollmentCode
    }
    func resetTerminal(_ id: String) async throws -> String {
        try await client.post("/api/v1/terminals/\(segment(id))/reset", as: NewTerminalView.self).enrollmentCode
    }

    func keyInventory() async throws -> KeyInventoryView { try await client.get("/api/v1/keys") }

    func cards() async throws -> [CardView] { try await client.all("/api/v1/cards") }
    func unlockCard(_ id: Int64) async throws { _ = try await client.send(.POST, "/api/v1/cards/\(id)/unlock") }
    func contracts(limit: Int) async throws -> [ContractView] {
        Array(try await client.all("/api/v1/contracts", as: ContractView.self, upTo: limit))
    }
    func outbox(includingDelivered: Bool) async throws -> [OutboxView] {
        let open: [OutboxView] = try await client.all("/api/v1/outbox")
        guard includingDelivered else { return open }
        let delivered: [OutboxView] = try await client.all("/api/v1/outbox?state=delivered")
        return (open + delivered).sorted { $0.id < $1.id }
    }
    func retryOutboxEntry(_ id: Int64) async throws { _ = try await client.send(.POST, "/api/v1/outbox/\(id)/retry") }
    func references() async throws -> ReferencesView { try await client.get("/api/v1/references") }
    func ledgerCSV(carrier: String, day: String) async throws -> String {
        String(decoding: try await client.send(.GET, "/api/v1/ledger/\(segment(carrier))/\(segment(day))").body, as: UTF8.self)
    }

    func verifyAuditTrail(expectedHead: AuditHead?) async throws -> AuditVerificationView {
        try await client.get("/api/v1/audit/verification" + (expectedHead.map { "?expected_head=\(segment($0.description))" } ?? ""))
    }
    func auditHead() async throws -> String? { try await verifyAuditTrail(expectedHead: nil).head }
    func auditTail(_ count: Int) async throws -> [AuditEntryView] {
        try await client.all("/api/v1/audit?scan=\(count)", as: AuditEntryView.self).reversed()
    }

    func users() async throws -> [UserView] { try await client.all("/api/v1/users") }
    func addUser(name: String, role: AdminRole, password: String) async throws -> UserView {
        try await client.post("/api/v1/users", ["name": name, "role": role.rawValue, "password": password])
    }
    func setUserRole(_ name: String, _ role: AdminRole) async throws {
        _ = try await client.send(.PATCH, "/api/v1/users/\(segment(name))", json: ["role": role.rawValue])
    }
    func setUserDisabled(_ name: String, _ disabled: Bool) async throws {
        _ = try await client.send(.PATCH, "/api/v1/users/\(segment(name))", json: ["disabled": disabled])
    }
    func unlockUser(_ name: String) async throws { _ = try await client.send(.POST, "/api/v1/users/\(segment(name))/unlock") }
    func setUserPassword(_ name: String, password: String) async throws {
        _ = try await client.send(.PUT, "/api/v1/users/\(segment(name))/password", json: ["password": password])
    }
    func clearSecondFactor(_ name: String) async throws { _ = try await client.send(.DELETE, "/api/v1/users/\(segment(name))/second-factor") }
}
