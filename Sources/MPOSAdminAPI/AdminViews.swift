public import Foundation
import MPOSCrypto
public import MPOSHost

// What the API answers with: each record as people may see it. No view has a field for a key,
// a PIN, a full card number, a password hash, a token's digest or an enrollment code (the one
// exception: a new terminal's code, once, in NewTerminalView). JSON keys are snake_case.

/// One page of a list: `items` from `offset`, `total` in the whole (filtered) list.
public struct Page<Item: Codable & Sendable>: Codable, Sendable {
    public let items: [Item]
    public let total: Int
    public let offset: Int
    public let limit: Int
}

public struct UserView: Codable, Sendable {
    public let name: String
    public let role: AdminRole
    public let permissions: [String]
    public let locked: Bool
    public let disabled: Bool
    /// Sign-in needs a one-time code as well as the password.
    public let secondFactor: Bool
    public let failedLogins: Int
    public let createdAt: Date
    public let lastLoginAt: Date?

    public init(_ record: AdminUserRecord) {
        name = record.name; role = record.role; permissions = record.role.permissions.map(\.rawValue).sorted()
        locked = record.isLocked; disabled = record.isDisabled; secondFactor = record.totpConfirmed; failedLogins = record.failedLogins
        createdAt = record.createdAt; lastLoginAt = record.lastLoginAt
    }
}

public struct CredentialView: Codable, Sendable {
    public let id: String
    public let kind: String
    public let label: String
    public let createdAt: Date
    public let expiresAt: Date
    public let lastUsedAt: Date
    public let revokedAt: Date?

    public init(_ record: AdminCredentialRecord) {
        id = record.id; kind = record.kind.rawValue; label = record.label; createdAt = record.createdAt
        expiresAt = record.expiresAt; lastUsedAt = record.lastUsedAt; revokedAt = record.revokedAt
    }
}

/// Who is signed in; `csrf_token` goes in `X-CSRF-Token` with every change a browser sends.
public struct SessionView: Codable, Sendable {
    public let user: String
    public let role: AdminRole
    public let permissions: [String]
    public let credential: CredentialView
    public let csrfToken: String?
}

/// A new API token: shown in this answer only.
public struct IssuedTokenView: Codable, Sendable {
    public let token: String
    public let credential: CredentialView
}

public struct OperatorView: Codable, Sendable {
    public let number: String
    public let name: String
    /// `active`, `locked` or `disabled`.
    public let state: String
    public let consecutiveFailures: Int
    public let createdAt: Date
    public let lastSignOnAt: Date?

    public init(_ record: OperatorRecord) {
        number = record.number; name = record.name
        state = record.isDisabled ? "disabled" : record.isLocked ? "locked" : "active"
        consecutiveFailures = record.consecutiveFailures; createdAt = record.createdAt; lastSignOnAt = record.lastSignOnAt
    }
}

public struct TerminalView: Codable, Sendable {
    public let id: String
    public let label: String
    /// `awaiting-enrollment`, `signed-out`, `signed-in` or `blocked`.
    public let state: String
    public let enrollmentCodeOutstanding: Bool
    public let enrollmentCodeExpiresAt: Date?
    public let enrollmentFailures: Int
    public let wrongOperatorKeysInARow: Int
    /// The first 8 bytes of the SHA-256 of each device public key, in hex.
    public let deviceSigningKeyFingerprint: String?
    public let deviceSealingKeyFingerprint: String?
    public let masterKeyVersion: Int?
    public let session: Int64?
    public let signOnRequested: Bool
    public let lastSeenAt: Date?
    public let createdAt: Date

    public init(_ record: TerminalRecord) {
        id = record.id; label = record.label; state = record.displayState.rawValue
        enrollmentCodeOutstanding = record.enrollmentCodeBlock != nil
        enrollmentCodeExpiresAt = record.enrollmentCodeBlock == nil ? nil : record.enrollmentCodeExpiresAt
        enrollmentFailures = record.enrollmentFailures; wrongOperatorKeysInARow = record.consecutiveOperatorFailures
        deviceSigningKeyFingerprint = record.deviceSigningKey.map(Self.fingerprint)
        deviceSealingKeyFingerprint = record.deviceSealingKey.map(Self.fingerprint)
        masterKeyVersion = record.masterKeyVersion; session = record.currentSession; signOnRequested = record.signOnRequested
        lastSeenAt = record.lastSeenAt; createdAt = record.createdAt
    }

    static func fingerprint(_ x963: [UInt8]) -> String {
        (try? SigningPublicKey(x963: x963).fingerprint) ?? "invalid key"
    }
}

/// A terminal just added (or reset): its one-time enrollment code, shown in this answer only.
public struct NewTerminalView: Codable, Sendable {
    public let terminal: TerminalView
    public let enrollmentCode: String

    public init(terminal: TerminalView, enrollmentCode: String) {
        self.terminal = terminal; self.enrollmentCode = enrollmentCode
    }
}

public struct KeyInventoryView: Codable, Sendable {
    public struct BaseMasterKey: Codable, Sendable {
        public let version: Int
        public let state: String
        public let checkValue: String
        public let origin: String
        public let terminals: Int
        public let createdAt: Date
        public let retiredAt: Date?
    }

    public struct HostKey: Codable, Sendable {
        public let role: String
        /// The check value (CMAC KCV), or a public key's fingerprint.
        public let checkValue: String
        public let createdAt: Date
    }

    public let baseMasterKeys: [BaseMasterKey]
    public let hostKeys: [HostKey]

    public init(_ inventory: HostAdministration.KeyInventory) {
        baseMasterKeys = inventory.baseMasterKeys.map {
            BaseMasterKey(version: $0.record.version, state: $0.record.state.rawValue, checkValue: $0.record.checkValue, origin: $0.record.origin,
                          terminals: $0.terminals, createdAt: $0.record.createdAt, retiredAt: $0.record.retiredAt)
        }
        hostKeys = inventory.hostKeys.map { HostKey(role: $0.role.rawValue, checkValue: $0.checkValue, createdAt: $0.createdAt) }
    }
}

public struct ApprovalView: Codable, Sendable {
    public let id: Int64
    public let action: String
    public let requestSignOn: Bool
    public let requestedBy: String
    public let requestedAt: Date
    public let state: String
    public let decidedBy: String?
    public let decidedAt: Date?
    public let result: String?

    public init(_ record: AdminApprovalRecord) {
        id = record.id; action = record.action.rawValue; requestSignOn = record.requestSignOn; requestedBy = record.requestedBy
        requestedAt = record.requestedAt; state = record.state.rawValue; decidedBy = record.decidedBy; decidedAt = record.decidedAt
        result = record.result
    }
}

/// A card as people may see it: the number masked (first 6, last 4), the customer as the
/// host's keyed identifier.
public struct CardView: Codable, Sendable {
    public let id: Int64
    public let maskedCardNumber: String
    public let customerIdentifier: String
    public let identityDocumentType: String
    public let consecutivePinFailures: Int
    public let locked: Bool
    public let openedAt: Date
    public let openedByTerminal: String
    public let openedByOperator: String
    public let openingReference: String?

    public init(_ record: CardRecord) {
        id = record.id; maskedCardNumber = record.maskedCardNumber; customerIdentifier = record.customerIdentifier
        identityDocumentType = record.identityDocumentType; consecutivePinFailures = record.consecutivePINFailures; locked = record.isLocked
        openedAt = record.openedAt; openedByTerminal = record.openedByTerminal; openedByOperator = record.openedByOperator
        openingReference = record.openingReference
    }
}

public struct ContractView: Codable, Sendable {
    public let reference: String
    public let carrierCode: String
    public let phoneNumber: String
    public let tariff: String
    public let maskedCardNumber: String
    public let customerIdentifier: String
    public let terminal: String
    public let `operator`: String
    public let module: String
    public let signedAt: Date

    public init(_ record: ContractRecord) {
        reference = record.reference; carrierCode = record.carrierCode; phoneNumber = record.phoneNumber; tariff = record.tariff
        maskedCardNumber = record.maskedCardNumber; customerIdentifier = record.customerIdentifier; terminal = record.terminalID
        self.operator = record.operatorNumber; module = record.module; signedAt = record.signedAt
    }
}

public struct OutboxView: Codable, Sendable {
    public let id: Int64
    public let contractReference: String
    public let module: String
    public let state: String
    public let attempts: Int
    public let nextAttemptAt: Date
    public let lastError: String?
    public let createdAt: Date
    public let deliveredAt: Date?

    public init(_ entry: OutboxEntry) {
        id = entry.id; contractReference = entry.contractReference; module = entry.module; state = entry.state.rawValue
        attempts = entry.attempts; nextAttemptAt = entry.nextAttemptAt; lastError = entry.lastError; createdAt = entry.createdAt
        deliveredAt = entry.deliveredAt
    }
}

public struct AuditEntryView: Codable, Sendable {
    public let sequence: Int64
    public let recordedAt: Date
    public let event: String
    public let actor: String
    public let subject: String
    public let outcome: String
    public let details: String

    public init(_ entry: AuditEntry) {
        sequence = entry.sequence; recordedAt = entry.recordedAt; event = entry.event; actor = entry.actor; subject = entry.subject
        outcome = entry.outcome; details = entry.details
    }
}

public struct AuditVerificationView: Codable, Sendable {
    /// `intact` or `broken`.
    public let result: String
    public let entries: Int64?
    public let brokenAt: Int64?
    public let reason: String?
    /// The newest entry as `SEQUENCE:MAC`, to keep outside the database.
    public let head: String?

    public init(result: String, entries: Int64?, brokenAt: Int64?, reason: String?, head: String?) {
        self.result = result; self.entries = entries; self.brokenAt = brokenAt; self.reason = reason; self.head = head
    }
}

public struct ReferencesView: Codable, Sendable {
    public let contracts: [String]
    public let cardOpenings: [String]

    public init(contracts: [String], cardOpenings: [String]) {
        self.contracts = contracts; self.cardOpenings = cardOpenings
    }
}

/// The fleet at a glance.
public struct FleetView: Codable, Sendable {
    public struct Minute: Codable, Sendable {
        public let start: Date
        public let counts: [String: Int]
    }

    public let terminals: Int
    /// By `awaiting-enrollment`, `signed-out`, `signed-in`, `blocked`.
    public let terminalsByState: [String: Int]
    public let signedInNow: Int
    /// This node's requests, by response code (`00` approved; everything else a refusal).
    public let requestsLastMinute: [String: Int]
    public let requestsLastHour: [String: Int]
    /// The last 60 minutes, oldest first.
    public let requestsPerMinute: [Minute]
    public let outboxPending: Int
    public let outboxDeadLettered: Int
    public let outboxOldestPendingAt: Date?
    public let activeKeyVersion: Int?
    /// Terminals whose master key comes from an older base master key version.
    public let terminalsOnOlderKeys: Int
}
