import Foundation
import MPOSAdminAPI
import MPOSHost

/// What the administration commands do, whichever way they reach the host: on the store with
/// the LMK (local mode, for bootstrap and recovery) or through the administration API
/// (`--url`, with a token: no LMK and no store on the administrator's machine). Both answer
/// with the API's views, so a command prints the same either way.
protocol Administering: Sendable {
    func operators() async throws -> [OperatorView]
    func addOperator(number: String, name: String, key: String) async throws -> OperatorView
    func setOperatorDisabled(_ number: String, _ disabled: Bool) async throws
    func unlockOperator(_ number: String) async throws
    func setOperatorKey(_ number: String, key: String) async throws

    func terminals() async throws -> [TerminalView]
    func terminal(_ id: String) async throws -> TerminalView
    func addTerminal(id: String?, label: String) async throws -> NewTerminalView
    func blockTerminal(_ id: String) async throws
    func unblockTerminal(_ id: String) async throws
    func forceSignOff(_ id: String) async throws
    func requestSignOn(_ id: String) async throws
    func reissueEnrollmentCode(_ id: String) async throws -> String
    func resetTerminal(_ id: String) async throws -> String

    func keyInventory() async throws -> KeyInventoryView

    func cards() async throws -> [CardView]
    func unlockCard(_ id: Int64) async throws
    func contracts(limit: Int) async throws -> [ContractView]
    func outbox(includingDelivered: Bool) async throws -> [OutboxView]
    func retryOutboxEntry(_ id: Int64) async throws
    func references() async throws -> ReferencesView
    func ledgerCSV(carrier: String, day: String) async throws -> String

    func verifyAuditTrail(expectedHead: AuditHead?) async throws -> AuditVerificationView
    func auditHead() async throws -> String?
    func auditTail(_ count: Int) async throws -> [AuditEntryView]

    func users() async throws -> [UserView]
    func addUser(name: String, role: AdminRole, password: String) async throws -> UserView
    func setUserRole(_ name: String, _ role: AdminRole) async throws
    func setUserDisabled(_ name: String, _ disabled: Bool) async throws
    func unlockUser(_ name: String) async throws
    func setUserPassword(_ name: String, password: String) async throws
    func clearSecondFactor(_ name: String) async throws
}

/// Local mode: the store and the LMK, as the audit trail's actor of the command.
struct LocalAdministration: Administering {
    let admin: HostAdministration
    let enrollmentCodeLifetime: TimeInterval
    let hasher = BcryptPasswordHasher()
    let policy = AdminPolicy()

    func operators() async throws -> [OperatorView] { try await admin.operators().map(OperatorView.init) }
    func addOperator(number: String, name: String, key: String) async throws -> OperatorView {
        OperatorView(try await admin.addOperator(number: number, name: name, key: key))
    }
    func setOperatorDisabled(_ number: String, _ disabled: Bool) async throws { try await admin.setOperatorDisabled(number, disabled) }
    func unlockOperator(_ number: String) async throws { try await admin.unlockOperator(number) }
    func setOperatorKey(_ number: String, key: String) async throws { try await admin.setOperatorKey(number, key: key) }

    func terminals() async throws -> [TerminalView] { try await admin.terminals().map(TerminalView.init) }
    func terminal(_ id: String) async throws -> TerminalView { TerminalView(try await admin.terminal(id)) }
    func addTerminal(id: String?, label: String) async throws -> NewTerminalView {
        let (record, code) = try await admin.addTerminal(id: id, label: label, codeLifetime: enrollmentCodeLifetime)
        return NewTerminalView(terminal: TerminalView(record), enrollmentCode: code)
    }
    func blockTerminal(_ id: String) async throws { try await admin.blockTerminal(id) }
    func unblockTerminal(_ id: String) async throws { try await admin.unblockTerminal(id) }
    func forceSignOff(_ id: String) async throws { try await admin.forceSignOff(id) }
    func requestSignOn(_ id: String) async throws { try await admin.requestSignOn(terminal: id) }
    func reissueEnrollmentCode(_ id: String) async throws -> String { try await admin.reissueEnrollmentCode(id, codeLifetime: enrollmentCodeLifetime) }
    func resetTerminal(_ id: String) async throws -> String { try await admin.resetTerminal(id, codeLifetime: enrollmentCodeLifetime) }

    func keyInventory() async throws -> KeyInventoryView { KeyInventoryView(try await admin.keyInventory()) }

    func cards() async throws -> [CardView] {
        let cards = try await admin.cards()
        try await admin.recordRead("cards", details: "\(cards.count) cards listed")
        return cards.map(CardView.init)
    }
    func unlockCard(_ id: Int64) async throws { try await admin.unlockCard(id: id) }
    func contracts(limit: Int) async throws -> [ContractView] {
        let contracts = try await admin.contracts(limit: limit)
        try await admin.recordRead("contracts", details: "\(contracts.count) contracts listed")
        return contracts.map(ContractView.init)
    }
    func outbox(includingDelivered: Bool) async throws -> [OutboxView] {
        try await admin.outbox(states: includingDelivered ? [.pending, .delivered, .deadLettered] : [.pending, .deadLettered]).map(OutboxView.init)
    }
    func retryOutboxEntry(_ id: Int64) async throws { try await admin.retryOutboxEntry(id: id) }
    func references() async throws -> ReferencesView {
        let references = try await admin.references()
        return ReferencesView(contracts: references.contracts, cardOpenings: references.cardOpenings)
    }
    func ledgerCSV(carrier: String, day: String) async throws -> String {
        let csv = try await admin.ledgerCSV(carrierCode: carrier, day: day)
        try await admin.recordRead("ledger", details: "carrier \(carrier), day \(day)")
        return csv
    }

    func verifyAuditTrail(expectedHead: AuditHead?) async throws -> AuditVerificationView {
        let head = try await admin.auditHead()?.description
        return switch try await admin.verifyAuditTrail(expectedHead: expectedHead) {
        case .intact(let entries): AuditVerificationView(result: "intact", entries: entries, brokenAt: nil, reason: nil, head: head)
        case .broken(let sequence, let reason): AuditVerificationView(result: "broken", entries: nil, brokenAt: sequence, reason: reason, head: head)
        }
    }
    func auditHead() async throws -> String? { try await admin.auditHead()?.description }
    func auditTail(_ count: Int) async throws -> [AuditEntryView] { try await admin.auditTail(count).map(AuditEntryView.init) }

    func users() async throws -> [UserView] { try await admin.adminUsers().map(UserView.init) }
    func addUser(name: String, role: AdminRole, password: String) async throws -> UserView {
        UserView(try await admin.addUser(name: name, role: role, password: password, hasher: hasher, policy: policy))
    }
    func setUserRole(_ name: String, _ role: AdminRole) async throws { try await admin.setUserRole(name, role) }
    func setUserDisabled(_ name: String, _ disabled: Bool) async throws { try await admin.setUserDisabled(name, disabled) }
    func unlockUser(_ name: String) async throws { try await admin.unlockUser(name) }
    func setUserPassword(_ name: String, password: String) async throws {
        try await admin.setUserPassword(name, password: password, hasher: hasher, policy: policy)
    }
    func clearSecondFactor(_ name: String) async throws { try await admin.clearSecondFactor(name) }
}
