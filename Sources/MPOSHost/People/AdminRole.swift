/// What a person who administers the host may do. Each role is a set of ``AdminPermission``s;
/// the administration API checks the permission of every operation before it runs it.
public enum AdminRole: String, Sendable, CaseIterable, Codable {
    /// Operators, terminals and administrators' accounts.
    case administrator
    /// Key ceremonies and rotations (each needs a second custodian to approve it).
    case keyCustodian = "key-custodian"
    /// The audit trail, references and exports; reads everything else; changes nothing.
    case auditor
    /// Looks terminals and operators up, blocks a terminal.
    case helpDesk = "help-desk"
    /// The fleet's summary only.
    case viewer

    public var permissions: Set<AdminPermission> {
        switch self {
        case .administrator:
            [.readFleet, .readTerminals, .manageTerminals, .blockTerminals, .readOperators, .manageOperators, .readUsers, .manageUsers,
             .readKeys, .readCards, .manageCards, .readOutbox, .manageOutbox]
        case .keyCustodian:
            [.readFleet, .readKeys, .requestKeyChange, .approveKeyChange]
        case .auditor:
            [.readFleet, .readTerminals, .readOperators, .readUsers, .readKeys, .readCards, .readOutbox, .readAudit, .readReferences,
             .exportLedger]
        case .helpDesk:
            [.readFleet, .readTerminals, .blockTerminals, .readOperators]
        case .viewer:
            [.readFleet]
        }
    }

    public func may(_ permission: AdminPermission) -> Bool { permissions.contains(permission) }
}

/// One kind of administration action. Every signed-in person may also see and end their own
/// sessions and tokens, which needs no permission.
public enum AdminPermission: String, Sendable, CaseIterable, Codable {
    case readFleet = "fleet.read"
    case readTerminals = "terminals.read"
    /// Add, reissue a code, reset, unblock, force a sign-off, ask for a sign-on.
    case manageTerminals = "terminals.manage"
    case blockTerminals = "terminals.block"
    case readOperators = "operators.read"
    case manageOperators = "operators.manage"
    case readUsers = "users.read"
    case manageUsers = "users.manage"
    case readKeys = "keys.read"
    case requestKeyChange = "keys.request"
    case approveKeyChange = "keys.approve"
    /// Masked card numbers and contracts.
    case readCards = "cards.read"
    case manageCards = "cards.manage"
    case readOutbox = "outbox.read"
    case manageOutbox = "outbox.manage"
    case readAudit = "audit.read"
    case readReferences = "references.read"
    case exportLedger = "ledger.export"
}
