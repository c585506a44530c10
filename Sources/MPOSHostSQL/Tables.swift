public import MPOSHost

/// The two SQL dialects' only difference the shared statements see: how a bound parameter is
/// written (SQLite numbers `?1`, PostgreSQL `$1`).
public enum SQLDialect: Sendable {
    case sqlite
    case postgres

    public func placeholder(_ number: Int) -> String {
        switch self {
        case .sqlite: "?\(number)"
        case .postgres: "$\(number)"
        }
    }

    public func placeholders(_ numbers: ClosedRange<Int>) -> String {
        numbers.map(placeholder).joined(separator: ", ")
    }

    // SQLite has one writer at a time (`BEGIN IMMEDIATE`), so what a transaction reads stays
    // as it read it. PostgreSQL runs transactions at READ COMMITTED side by side, on several
    // nodes: a row read in order to change it is locked until the transaction ends.

    /// Appended to a single-row read whose row the transaction will change.
    var rowLock: String {
        switch self {
        case .sqlite: ""
        case .postgres: " FOR NO KEY UPDATE"
        }
    }

    /// Appended to the sub-select that picks outbox entries to claim.
    var skipLockedRows: String {
        switch self {
        case .sqlite: ""
        case .postgres: " FOR UPDATE SKIP LOCKED"
        }
    }

    /// The sequences every request draws from (card ids, references, sessions, terminal IDs).
    /// On PostgreSQL they are the database's own sequences: a row of `sequences` would stay
    /// locked from the draw to the commit, and every node's requests would queue on it. They
    /// never give a number twice; one drawn by a transaction that rolls back is skipped.
    public static let nativeSequenceNames: Set<String> = ["card", "reference", "session", "terminal"]

    /// The statement drawing the next value of `name` from a database sequence, if it has one.
    func nativeSequence(_ name: String) -> String? {
        switch self {
        case .sqlite: nil
        case .postgres: Self.nativeSequenceNames.contains(name) ? "SELECT nextval('mpos_sequence_\(name)') AS value" : nil
        }
    }

    /// Run before reading the audit chain's head: one appender at a time, until commit. The
    /// mode conflicts with itself and with inserts, not with reads (`audit verify` goes on);
    /// a table lock, not an advisory one, so that stores in different schemas of one
    /// database do not wait for each other.
    var auditHeadLock: String? {
        switch self {
        case .sqlite: nil
        case .postgres: "LOCK TABLE audit IN SHARE ROW EXCLUSIVE MODE"
        }
    }
}

/// How one record type maps to its table: the columns (primary key first), their values in
/// that order, and the way back. Both SQL backends build their generic statements from it, so
/// a column is named, encoded and decoded in one place.
public struct TableMapping<Record>: Sendable {
    public let table: String
    public let keyCount: Int
    public let columns: [String]
    public let encode: @Sendable (Record) -> [StoredValue]
    public let decode: @Sendable (RowReader) throws -> Record
    // The statements, built once: a request runs a dozen of them.
    public let columnList: String
    public let select: String
    private let inserts: [SQLDialect: String]
    private let updates: [SQLDialect: String]

    public init(table: String, keyCount: Int, columns: [String], encode: @escaping @Sendable (Record) -> [StoredValue],
                decode: @escaping @Sendable (RowReader) throws -> Record) {
        self.table = table; self.keyCount = keyCount; self.columns = columns; self.encode = encode; self.decode = decode
        let columnList = columns.joined(separator: ", ")
        self.columnList = columnList
        select = "SELECT \(columnList) FROM \(table)"
        var inserts: [SQLDialect: String] = [:], updates: [SQLDialect: String] = [:]
        for dialect in [SQLDialect.sqlite, .postgres] {
            inserts[dialect] = "INSERT INTO \(table) (\(columnList)) VALUES (\(dialect.placeholders(1...columns.count)))"
            // Binds the same values as the insert; `RETURNING` tells a missing row from an updated one.
            let assignments = columns.indices.dropFirst(keyCount).map { "\(columns[$0]) = \(dialect.placeholder($0 + 1))" }
            let key = columns.prefix(keyCount).indices.map { "\(columns[$0]) = \(dialect.placeholder($0 + 1))" }
            updates[dialect] = "UPDATE \(table) SET \(assignments.joined(separator: ", ")) WHERE \(key.joined(separator: " AND ")) RETURNING \(columns[0])"
        }
        self.inserts = inserts
        self.updates = updates
    }

    public func insert(_ dialect: SQLDialect) -> String { inserts[dialect]! }

    /// Binds the same values as `insert`; `RETURNING` tells a missing row from an updated one.
    public func update(_ dialect: SQLDialect) -> String { updates[dialect]! }
}

/// Every table of the schema (both backends' migrations create the same columns).
public enum Tables {
    public static let hostKeys = TableMapping<StoredHostKey>(
        table: "host_keys", keyCount: 1,
        columns: ["role", "block", "check_value", "created_at"],
        encode: { [.enumValue($0.role), .text($0.block), .text($0.checkValue), .date($0.createdAt)] },
        decode: { row in
            StoredHostKey(role: try row.enumValue("role"), block: try row.text("block"), checkValue: try row.text("check_value"),
                          createdAt: try row.date("created_at"))
        })

    public static let baseMasterKeys = TableMapping<BaseMasterKeyRecord>(
        table: "base_master_keys", keyCount: 1,
        columns: ["version", "block", "check_value", "state", "origin", "created_at", "retired_at"],
        encode: {
            [.int($0.version), .text($0.block), .text($0.checkValue), .enumValue($0.state), .text($0.origin), .date($0.createdAt),
             .optional($0.retiredAt, StoredValue.date)]
        },
        decode: { row in
            BaseMasterKeyRecord(version: try row.int("version"), block: try row.text("block"), checkValue: try row.text("check_value"),
                                state: try row.enumValue("state"), origin: try row.text("origin"), createdAt: try row.date("created_at"),
                                retiredAt: try row.optional("retired_at", row.date))
        })

    public static let operators = TableMapping<OperatorRecord>(
        table: "operators", keyCount: 1,
        columns: ["number", "name", "verification_value", "consecutive_failures", "is_locked", "is_disabled", "created_at", "last_sign_on_at"],
        encode: {
            [.text($0.number), .text($0.name), .bytes($0.verificationValue), .int($0.consecutiveFailures), .bool($0.isLocked),
             .bool($0.isDisabled), .date($0.createdAt), .optional($0.lastSignOnAt, StoredValue.date)]
        },
        decode: { row in
            OperatorRecord(number: try row.text("number"), name: try row.text("name"), verificationValue: try row.bytes("verification_value"),
                           consecutiveFailures: try row.int("consecutive_failures"), isLocked: try row.bool("is_locked"),
                           isDisabled: try row.bool("is_disabled"), createdAt: try row.date("created_at"),
                           lastSignOnAt: try row.optional("last_sign_on_at", row.date))
        })

    public static let terminals = TableMapping<TerminalRecord>(
        table: "terminals", keyCount: 1,
        columns: ["id", "label", "enrollment", "is_blocked", "enrollment_code_block", "enrollment_code_expires_at", "enrollment_failures",
                  "consecutive_operator_failures", "device_signing_key",
                  "device_sealing_key", "master_key_version", "current_session", "sign_on_requested", "last_network_request_at",
                  "last_network_request_stan", "last_seen_at", "created_at"],
        encode: {
            [.text($0.id), .text($0.label), .enumValue($0.enrollment), .bool($0.isBlocked), .optional($0.enrollmentCodeBlock, StoredValue.text),
             .optional($0.enrollmentCodeExpiresAt, StoredValue.date), .int($0.enrollmentFailures), .int($0.consecutiveOperatorFailures), .optional($0.deviceSigningKey, StoredValue.bytes), .optional($0.deviceSealingKey, StoredValue.bytes),
             .optional($0.masterKeyVersion, StoredValue.int), .optional($0.currentSession, StoredValue.int), .bool($0.signOnRequested),
             .optional($0.lastNetworkRequestAt, StoredValue.date), .optional($0.lastNetworkRequestSTAN, StoredValue.text),
             .optional($0.lastSeenAt, StoredValue.date), .date($0.createdAt)]
        },
        decode: { row in
            TerminalRecord(
                id: try row.text("id"), label: try row.text("label"), enrollment: try row.enumValue("enrollment"),
                isBlocked: try row.bool("is_blocked"), enrollmentCodeBlock: try row.optional("enrollment_code_block", row.text),
                enrollmentCodeExpiresAt: try row.optional("enrollment_code_expires_at", row.date),
                enrollmentFailures: try row.int("enrollment_failures"),
                consecutiveOperatorFailures: try row.int("consecutive_operator_failures"), deviceSigningKey: try row.optional("device_signing_key", row.bytes),
                deviceSealingKey: try row.optional("device_sealing_key", row.bytes), masterKeyVersion: try row.optional("master_key_version", row.int),
                currentSession: try row.optional("current_session", row.int64), signOnRequested: try row.bool("sign_on_requested"),
                lastNetworkRequestAt: try row.optional("last_network_request_at", row.date),
                lastNetworkRequestSTAN: try row.optional("last_network_request_stan", row.text),
                lastSeenAt: try row.optional("last_seen_at", row.date), createdAt: try row.date("created_at"))
        })

    public static let sessions = TableMapping<SessionRecord>(
        table: "sessions", keyCount: 1,
        columns: ["number", "terminal_id", "operator_number", "base_key_version", "pin_key_block", "mac_key_block", "data_key_block",
                  "started_at", "ended_at", "end_reason"],
        encode: {
            [.int($0.number), .text($0.terminalID), .text($0.operatorNumber), .int($0.baseKeyVersion), .text($0.pinKeyBlock),
             .text($0.macKeyBlock), .text($0.dataKeyBlock), .date($0.startedAt), .optional($0.endedAt, StoredValue.date),
             .optional($0.endReason, StoredValue.enumValue)]
        },
        decode: { row in
            SessionRecord(
                number: try row.int64("number"), terminalID: try row.text("terminal_id"), operatorNumber: try row.text("operator_number"),
                baseKeyVersion: try row.int("base_key_version"), pinKeyBlock: try row.text("pin_key_block"),
                macKeyBlock: try row.text("mac_key_block"), dataKeyBlock: try row.text("data_key_block"),
                startedAt: try row.date("started_at"), endedAt: try row.optional("ended_at", row.date),
                endReason: try row.optional("end_reason") { try row.enumValue($0) })
        })

    /// `entry_order` is not part of the record; each backend's `putMessageLogEntry` sets it.
    public static let messageLog = TableMapping<MessageLogEntry>(
        table: "message_log", keyCount: 2,
        columns: ["terminal_id", "stan", "session", "request_digest", "response", "created_at"],
        encode: {
            [.text($0.terminalID), .text($0.stan), .int($0.session), .bytes($0.requestDigest), .bytes($0.response), .date($0.createdAt)]
        },
        decode: { row in
            MessageLogEntry(terminalID: try row.text("terminal_id"), stan: try row.text("stan"), session: try row.int64("session"),
                            requestDigest: try row.bytes("request_digest"), response: try row.bytes("response"),
                            createdAt: try row.date("created_at"))
        })

    public static let cards = TableMapping<CardRecord>(
        table: "cards", keyCount: 1,
        columns: ["id", "lookup_digest", "encrypted_card_number", "masked_card_number", "customer_identifier", "identity_document_type",
                  "pin_verification_value", "consecutive_pin_failures", "is_locked", "opened_at", "opened_by_terminal", "opened_by_operator",
                  "opening_reference"],
        encode: {
            [.int($0.id), .bytes($0.lookupDigest), .bytes($0.encryptedCardNumber), .text($0.maskedCardNumber), .text($0.customerIdentifier),
             .text($0.identityDocumentType), .bytes($0.pinVerificationValue), .int($0.consecutivePINFailures), .bool($0.isLocked),
             .date($0.openedAt), .text($0.openedByTerminal), .text($0.openedByOperator), .optional($0.openingReference, StoredValue.text)]
        },
        decode: { row in
            CardRecord(
                id: try row.int64("id"), lookupDigest: try row.bytes("lookup_digest"), encryptedCardNumber: try row.bytes("encrypted_card_number"),
                maskedCardNumber: try row.text("masked_card_number"), customerIdentifier: try row.text("customer_identifier"),
                identityDocumentType: try row.text("identity_document_type"), pinVerificationValue: try row.bytes("pin_verification_value"),
                consecutivePINFailures: try row.int("consecutive_pin_failures"), isLocked: try row.bool("is_locked"),
                openedAt: try row.date("opened_at"), openedByTerminal: try row.text("opened_by_terminal"),
                openedByOperator: try row.text("opened_by_operator"), openingReference: try row.optional("opening_reference", row.text))
        })

    public static let contracts = TableMapping<ContractRecord>(
        table: "contracts", keyCount: 1,
        columns: ["reference", "contract_digest", "card_id", "carrier_code", "phone_number", "tariff", "customer_identifier",
                  "masked_card_number", "terminal_id", "operator_number", "module", "signed_at"],
        encode: {
            [.text($0.reference), .bytes($0.contractDigest), .int($0.cardID), .text($0.carrierCode), .text($0.phoneNumber), .text($0.tariff),
             .text($0.customerIdentifier), .text($0.maskedCardNumber), .text($0.terminalID), .text($0.operatorNumber), .text($0.module),
             .date($0.signedAt)]
        },
        decode: { row in
            ContractRecord(
                reference: try row.text("reference"), contractDigest: try row.bytes("contract_digest"), cardID: try row.int64("card_id"),
                carrierCode: try row.text("carrier_code"), phoneNumber: try row.text("phone_number"), tariff: try row.text("tariff"),
                customerIdentifier: try row.text("customer_identifier"), maskedCardNumber: try row.text("masked_card_number"),
                terminalID: try row.text("terminal_id"), operatorNumber: try row.text("operator_number"), module: try row.text("module"),
                signedAt: try row.date("signed_at"))
        })

    /// Inserts skip `id` (the database assigns it); updates key on it.
    public static let outbox = TableMapping<OutboxEntry>(
        table: "outbox", keyCount: 1,
        columns: ["id", "contract_reference", "module", "state", "attempts", "next_attempt_at", "last_error", "lease_owner",
                  "lease_expires_at", "created_at", "delivered_at"],
        encode: {
            [.int($0.id), .text($0.contractReference), .text($0.module), .enumValue($0.state), .int($0.attempts), .date($0.nextAttemptAt),
             .optional($0.lastError, StoredValue.text), .optional($0.leaseOwner, StoredValue.text),
             .optional($0.leaseExpiresAt, StoredValue.date), .date($0.createdAt), .optional($0.deliveredAt, StoredValue.date)]
        },
        decode: { row in
            OutboxEntry(
                id: try row.int64("id"), contractReference: try row.text("contract_reference"), module: try row.text("module"),
                state: try row.enumValue("state"), attempts: try row.int("attempts"), nextAttemptAt: try row.date("next_attempt_at"),
                lastError: try row.optional("last_error", row.text), leaseOwner: try row.optional("lease_owner", row.text),
                leaseExpiresAt: try row.optional("lease_expires_at", row.date), createdAt: try row.date("created_at"),
                deliveredAt: try row.optional("delivered_at", row.date))
        })

    public static let ledger = TableMapping<LedgerEntry>(
        table: "ledger", keyCount: 1,
        columns: ["contract_reference", "carrier_code", "day", "phone_number", "tariff", "customer_identifier", "masked_card_number",
                  "signed_at", "recorded_at"],
        encode: {
            [.text($0.contractReference), .text($0.carrierCode), .text($0.day), .text($0.phoneNumber), .text($0.tariff),
             .text($0.customerIdentifier), .text($0.maskedCardNumber), .date($0.signedAt), .date($0.recordedAt)]
        },
        decode: { row in
            LedgerEntry(
                contractReference: try row.text("contract_reference"), carrierCode: try row.text("carrier_code"), day: try row.text("day"),
                phoneNumber: try row.text("phone_number"), tariff: try row.text("tariff"), customerIdentifier: try row.text("customer_identifier"),
                maskedCardNumber: try row.text("masked_card_number"), signedAt: try row.date("signed_at"), recordedAt: try row.date("recorded_at"))
        })

    public static let audit = TableMapping<AuditEntry>(
        table: "audit", keyCount: 1,
        columns: ["sequence", "recorded_at", "event", "actor", "subject", "outcome", "details", "mac"],
        encode: {
            [.int($0.sequence), .date($0.recordedAt), .text($0.event), .text($0.actor), .text($0.subject), .text($0.outcome),
             .text($0.details), .bytes($0.mac)]
        },
        decode: { row in
            AuditEntry(sequence: try row.int64("sequence"), recordedAt: try row.date("recorded_at"), event: try row.text("event"),
                       actor: try row.text("actor"), subject: try row.text("subject"), outcome: try row.text("outcome"),
                       details: try row.text("details"), mac: try row.bytes("mac"))
        })
}
