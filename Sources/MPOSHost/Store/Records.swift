public import Foundation

// The rows the host keeps. No field holds a secret in clear: keys are TR-31 blocks under the
// LMK, PINs and operator keys exist only as keyed verification values, card numbers and
// identity numbers only as keyed digests (and the card number, for the carrier's files,
// AES-GCM-encrypted under a data key held under the LMK).

/// The host's own keys other than base master keys, one row per role.
public enum HostKeyRole: String, Sendable, CaseIterable, Codable {
    /// P-256 ECDSA key that signs the host's network responses (TR-31 `S0`, algorithm `E`).
    case signing = "host-signing"
    /// P-256 HPKE key that opens operator credentials (TR-31 `K3`, algorithm `E`).
    case sealing = "host-sealing"
    /// `10`: operator-key verification values.
    case operatorVerification = "operator-verification"
    /// `V0`: PIN verification values.
    case pinVerification = "pin-verification"
    /// `11`: the card-number lookup digest.
    case cardLookup = "card-lookup"
    /// `11`: the unique customer identifier.
    case customerIdentifier = "customer-identifier"
    /// `D0`: encryption of card numbers at rest.
    case cardEncryption = "card-encryption"
    /// `M6`: the audit trail's MAC chain.
    case auditChain = "audit-chain"
    /// `D0`: AES-GCM of administrators' second-factor (TOTP) secrets at rest. Added in schema
    /// version 4: a store made before gets it the first time a host opens it.
    case adminSecrets = "admin-secrets"
}

public struct StoredHostKey: Sendable, Hashable {
    public var role: HostKeyRole
    /// The TR-31 block under the LMK.
    public var block: String
    /// CMAC check value (hex), for people; a P-256 key's public-key fingerprint instead.
    public var checkValue: String
    public var createdAt: Date

    public init(role: HostKeyRole, block: String, checkValue: String, createdAt: Date) {
        self.role = role; self.block = block; self.checkValue = checkValue; self.createdAt = createdAt
    }
}

/// A version of the base master key (the patent's master key), from which every terminal's
/// master key is derived. Exactly one version is `active`: the one new sign-ons get.
public struct BaseMasterKeyRecord: Sendable, Hashable {
    public enum State: String, Sendable, Codable {
        /// New sign-ons get this version.
        case active
        /// Superseded; terminals still signed in with it keep working until they sign on again.
        case superseded
        /// No terminal uses it any more; its key block is erased.
        case retired
    }

    public var version: Int
    /// TR-31 block (B0, mode X) under the LMK; empty once retired.
    public var block: String
    public var checkValue: String
    public var state: State
    /// `generated`, or `ceremony (2 components)` / `(3 components)`.
    public var origin: String
    public var createdAt: Date
    public var retiredAt: Date?

    public init(version: Int, block: String, checkValue: String, state: State, origin: String, createdAt: Date, retiredAt: Date? = nil) {
        self.version = version; self.block = block; self.checkValue = checkValue; self.state = state
        self.origin = origin; self.createdAt = createdAt; self.retiredAt = retiredAt
    }
}

/// A row of the patent's operator table: operator number ↔ operator key — the key only as a
/// keyed verification value.
public struct OperatorRecord: Sendable, Hashable {
    public var number: String
    public var name: String
    /// `OperatorVerificationValue` of number and key (16 bytes).
    public var verificationValue: [UInt8]
    public var consecutiveFailures: Int
    /// Locked after too many consecutive wrong keys, until an administrator unlocks it.
    public var isLocked: Bool
    public var isDisabled: Bool
    public var createdAt: Date
    public var lastSignOnAt: Date?

    public init(number: String, name: String, verificationValue: [UInt8], consecutiveFailures: Int = 0, isLocked: Bool = false,
                isDisabled: Bool = false, createdAt: Date, lastSignOnAt: Date? = nil) {
        self.number = number; self.name = name; self.verificationValue = verificationValue
        self.consecutiveFailures = consecutiveFailures; self.isLocked = isLocked; self.isDisabled = isDisabled
        self.createdAt = createdAt; self.lastSignOnAt = lastSignOnAt
    }
}

public struct TerminalRecord: Sendable, Hashable {
    /// Where a terminal is in its life; `blocked` is a separate flag, so unblocking returns it
    /// to where it was.
    public enum Enrollment: String, Sendable, Codable {
        /// Added by an administrator; its one-time enrollment code is outstanding.
        case awaitingEnrollment = "awaiting-enrollment"
        case enrolled
    }

    /// What an administrator sees: blocked wins, then enrollment, then the session.
    public enum DisplayState: String, Sendable, Codable {
        case awaitingEnrollment = "awaiting-enrollment"
        case signedOut = "signed-out"
        case signedIn = "signed-in"
        case blocked
    }

    public var id: String
    public var label: String
    public var enrollment: Enrollment
    public var isBlocked: Bool
    /// The enrollment code as a TR-31 block (B0) under the LMK while outstanding; nil once used.
    public var enrollmentCodeBlock: String?
    /// After this the code no longer enrolls (an administrator issues another).
    public var enrollmentCodeExpiresAt: Date?
    /// Wrong enrollment codes presented (for administrators; 128-bit codes need no lockout).
    public var enrollmentFailures: Int
    /// Wrong operator numbers or keys in a row from this terminal, whichever operator they
    /// named: too many block the terminal, so guessing cannot be spread across operators.
    public var consecutiveOperatorFailures: Int
    /// X9.62 public keys registered at enrollment.
    public var deviceSigningKey: [UInt8]?
    public var deviceSealingKey: [UInt8]?
    /// The base master key version of the TMK the terminal holds (nil before its first sign-on).
    public var masterKeyVersion: Int?
    /// The session number of the current sign-on, nil when signed out.
    public var currentSession: Int64?
    /// Set by an administrator (e.g. after a rotation): the next business message gets `A1`.
    public var signOnRequested: Bool
    /// `NetworkRequestOrder`: the last accepted signed request's time and STAN.
    public var lastNetworkRequestAt: Date?
    public var lastNetworkRequestSTAN: String?
    public var lastSeenAt: Date?
    public var createdAt: Date

    public init(id: String, label: String, enrollment: Enrollment = .awaitingEnrollment, isBlocked: Bool = false, enrollmentCodeBlock: String?,
                enrollmentCodeExpiresAt: Date? = nil, enrollmentFailures: Int = 0, consecutiveOperatorFailures: Int = 0, deviceSigningKey: [UInt8]? = nil, deviceSealingKey: [UInt8]? = nil, masterKeyVersion: Int? = nil,
                currentSession: Int64? = nil, signOnRequested: Bool = false, lastNetworkRequestAt: Date? = nil, lastNetworkRequestSTAN: String? = nil,
                lastSeenAt: Date? = nil, createdAt: Date) {
        self.id = id; self.label = label; self.enrollment = enrollment; self.isBlocked = isBlocked
        self.enrollmentCodeBlock = enrollmentCodeBlock; self.enrollmentCodeExpiresAt = enrollmentCodeExpiresAt
        self.enrollmentFailures = enrollmentFailures; self.consecutiveOperatorFailures = consecutiveOperatorFailures
        self.deviceSigningKey = deviceSigningKey; self.deviceSealingKey = deviceSealingKey; self.masterKeyVersion = masterKeyVersion
        self.currentSession = currentSession; self.signOnRequested = signOnRequested
        self.lastNetworkRequestAt = lastNetworkRequestAt; self.lastNetworkRequestSTAN = lastNetworkRequestSTAN
        self.lastSeenAt = lastSeenAt; self.createdAt = createdAt
    }

    public var displayState: DisplayState {
        if isBlocked { return .blocked }
        if enrollment == .awaitingEnrollment { return .awaitingEnrollment }
        return currentSession == nil ? .signedOut : .signedIn
    }
}

/// One sign-on: its fresh keys (TR-31 blocks under the LMK) until it ends.
public struct SessionRecord: Sendable, Hashable {
    public enum EndReason: String, Sendable, Codable {
        case signedOff = "signed-off"
        /// A newer sign-on of the same terminal revoked it.
        case superseded
        /// An administrator forced a sign-off (or blocked the terminal).
        case forced
    }

    public var number: Int64
    public var terminalID: String
    public var operatorNumber: String
    public var baseKeyVersion: Int
    /// Key blocks under the LMK; all three erased (empty) when the session ends.
    public var pinKeyBlock: String
    public var macKeyBlock: String
    public var dataKeyBlock: String
    public var startedAt: Date
    public var endedAt: Date?
    public var endReason: EndReason?

    public init(number: Int64, terminalID: String, operatorNumber: String, baseKeyVersion: Int, pinKeyBlock: String, macKeyBlock: String,
                dataKeyBlock: String, startedAt: Date, endedAt: Date? = nil, endReason: EndReason? = nil) {
        self.number = number; self.terminalID = terminalID; self.operatorNumber = operatorNumber; self.baseKeyVersion = baseKeyVersion
        self.pinKeyBlock = pinKeyBlock; self.macKeyBlock = macKeyBlock; self.dataKeyBlock = dataKeyBlock
        self.startedAt = startedAt; self.endedAt = endedAt; self.endReason = endReason
    }

    public var isActive: Bool { endedAt == nil }
}

/// The durable retransmission cache: per terminal and STAN, the digest of the request and the
/// response sent, written in the same transaction as the request's effects.
public struct MessageLogEntry: Sendable, Hashable {
    public var terminalID: String
    public var stan: String
    /// The session the request belonged to (0 before the first sign-on).
    public var session: Int64
    /// SHA-256 of the request frame.
    public var requestDigest: [UInt8]
    public var response: [UInt8]
    public var createdAt: Date

    public init(terminalID: String, stan: String, session: Int64, requestDigest: [UInt8], response: [UInt8], createdAt: Date) {
        self.terminalID = terminalID; self.stan = stan; self.session = session
        self.requestDigest = requestDigest; self.response = response; self.createdAt = createdAt
    }
}

public struct CardRecord: Sendable, Hashable {
    public var id: Int64
    /// Keyed digest of the card number (unique): how the host finds the card.
    public var lookupDigest: [UInt8]
    /// The card number, AES-GCM under the card-encryption key (nonce ‖ ciphertext ‖ tag).
    public var encryptedCardNumber: [UInt8]
    /// First 6 / last 4 at most.
    public var maskedCardNumber: String
    /// The unique customer identifier (hex of a keyed digest of the identity document).
    public var customerIdentifier: String
    public var identityDocumentType: String
    /// PIN verification value.
    public var pinVerificationValue: [UInt8]
    public var consecutivePINFailures: Int
    public var isLocked: Bool
    public var openedAt: Date
    public var openedByTerminal: String
    public var openedByOperator: String
    /// The reference the terminal was given when the card was opened (unique; absent for cards
    /// opened before schema version 2 kept it).
    public var openingReference: String?

    public init(id: Int64, lookupDigest: [UInt8], encryptedCardNumber: [UInt8], maskedCardNumber: String, customerIdentifier: String,
                identityDocumentType: String, pinVerificationValue: [UInt8], consecutivePINFailures: Int = 0, isLocked: Bool = false,
                openedAt: Date, openedByTerminal: String, openedByOperator: String, openingReference: String? = nil) {
        self.id = id; self.lookupDigest = lookupDigest; self.encryptedCardNumber = encryptedCardNumber; self.maskedCardNumber = maskedCardNumber
        self.customerIdentifier = customerIdentifier; self.identityDocumentType = identityDocumentType
        self.pinVerificationValue = pinVerificationValue; self.consecutivePINFailures = consecutivePINFailures; self.isLocked = isLocked
        self.openedAt = openedAt; self.openedByTerminal = openedByTerminal; self.openedByOperator = openedByOperator
        self.openingReference = openingReference
    }
}

public struct ContractRecord: Sendable, Hashable {
    /// The host's reference (field 37, 12 characters).
    public var reference: String
    /// Digest of (card, carrier, phone number, tariff): signing the same contract again finds it.
    public var contractDigest: [UInt8]
    public var cardID: Int64
    public var carrierCode: String
    public var phoneNumber: String
    public var tariff: String
    public var customerIdentifier: String
    public var maskedCardNumber: String
    public var terminalID: String
    public var operatorNumber: String
    public var module: String
    public var signedAt: Date

    public init(reference: String, contractDigest: [UInt8], cardID: Int64, carrierCode: String, phoneNumber: String, tariff: String,
                customerIdentifier: String, maskedCardNumber: String, terminalID: String, operatorNumber: String, module: String, signedAt: Date) {
        self.reference = reference; self.contractDigest = contractDigest; self.cardID = cardID; self.carrierCode = carrierCode
        self.phoneNumber = phoneNumber; self.tariff = tariff; self.customerIdentifier = customerIdentifier
        self.maskedCardNumber = maskedCardNumber; self.terminalID = terminalID; self.operatorNumber = operatorNumber
        self.module = module; self.signedAt = signedAt
    }

    public var delivery: ContractDelivery {
        ContractDelivery(reference: reference, carrierCode: carrierCode, phoneNumber: phoneNumber, tariff: tariff,
                         customerIdentifier: customerIdentifier, maskedCardNumber: maskedCardNumber, terminalID: terminalID,
                         operatorNumber: operatorNumber, signedAt: signedAt)
    }
}

/// A contract waiting to be (or already) handed to its carrier's business module.
public struct OutboxEntry: Sendable, Hashable {
    public enum State: String, Sendable, Codable {
        case pending, delivered
        /// Given up after the retry policy's attempts, or rejected by the receiver: an
        /// administrator looks at it (`outbox list`) and retries it (`outbox retry`).
        case deadLettered = "dead-lettered"
    }

    public var id: Int64
    public var contractReference: String
    public var module: String
    public var state: State
    public var attempts: Int
    public var nextAttemptAt: Date
    public var lastError: String?
    /// The node that claimed it and until when; another node may take it after the lease ends.
    public var leaseOwner: String?
    public var leaseExpiresAt: Date?
    public var createdAt: Date
    public var deliveredAt: Date?

    public init(id: Int64, contractReference: String, module: String, state: State = .pending, attempts: Int = 0, nextAttemptAt: Date,
                lastError: String? = nil, leaseOwner: String? = nil, leaseExpiresAt: Date? = nil, createdAt: Date, deliveredAt: Date? = nil) {
        self.id = id; self.contractReference = contractReference; self.module = module; self.state = state; self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt; self.lastError = lastError; self.leaseOwner = leaseOwner; self.leaseExpiresAt = leaseExpiresAt
        self.createdAt = createdAt; self.deliveredAt = deliveredAt
    }
}

/// One row of the ledger module's book: a contract accepted for a carrier, by day (UTC).
public struct LedgerEntry: Sendable, Hashable {
    public var contractReference: String
    public var carrierCode: String
    /// `YYYY-MM-DD`, UTC.
    public var day: String
    public var phoneNumber: String
    public var tariff: String
    public var customerIdentifier: String
    public var maskedCardNumber: String
    public var signedAt: Date
    public var recordedAt: Date

    public init(contractReference: String, carrierCode: String, day: String, phoneNumber: String, tariff: String,
                customerIdentifier: String, maskedCardNumber: String, signedAt: Date, recordedAt: Date) {
        self.contractReference = contractReference; self.carrierCode = carrierCode; self.day = day; self.phoneNumber = phoneNumber
        self.tariff = tariff; self.customerIdentifier = customerIdentifier; self.maskedCardNumber = maskedCardNumber
        self.signedAt = signedAt; self.recordedAt = recordedAt
    }
}

/// One link of the audit trail. `mac` = AES-CMAC(audit key, previous mac ‖ canonical encoding
/// of this entry): altering, inserting or deleting a row breaks the chain from there on, and
/// rebuilding the chain needs the audit key, which is not in the database.
public struct AuditEntry: Sendable, Hashable {
    public var sequence: Int64
    public var recordedAt: Date
    /// e.g. `sign-on.succeeded`, `operator.locked`, `admin.terminal.block`.
    public var event: String
    /// Who acted: `terminal:00000001/operator:01`, `admin:alice`, `host`.
    public var actor: String
    /// What it acted on: `terminal:00000001`, `card:622588******1234`, `key:bmk/2`.
    public var subject: String
    /// `ok`, or the response code / reason of a refusal.
    public var outcome: String
    /// Free text, never secret: masked card numbers at most.
    public var details: String
    public var mac: [UInt8]

    public init(sequence: Int64, recordedAt: Date, event: String, actor: String, subject: String, outcome: String, details: String, mac: [UInt8]) {
        self.sequence = sequence; self.recordedAt = recordedAt; self.event = event; self.actor = actor
        self.subject = subject; self.outcome = outcome; self.details = details; self.mac = mac
    }
}
