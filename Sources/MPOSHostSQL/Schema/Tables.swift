public import MPOSHost

/// How one record type maps to its table: the table's description (columns with their types,
/// the key first), the record's values in column order, and the way back. Both SQL backends
/// build their statements from it, so a column is named, typed, encoded and decoded in one place.
public struct TableMapping<Record>: Sendable {
    public let description: TableDescription
    /// The columns a record has (a table may have more that the store keeps itself, such as
    /// `message_log.entry_order`), in the order `encode` gives their values.
    public let columns: [String]
    public let encode: @Sendable (Record) -> [StoredValue]
    public let decode: @Sendable (RowReader) throws -> Record
    public let columnList: String
    public let select: String

    public init(_ description: TableDescription, storeKeeps omitted: Set<String> = [], encode: @escaping @Sendable (Record) -> [StoredValue],
                decode: @escaping @Sendable (RowReader) throws -> Record) {
        self.description = description
        columns = description.columns.map(\.name).filter { !omitted.contains($0) }
        self.encode = encode
        self.decode = decode
        columnList = columns.joined(separator: ", ")
        select = "SELECT \(columnList) FROM \(description.name)"
    }

    public var table: String { description.name }
    public var keyCount: Int { description.primaryKey.count }
}

/// Every table of the schema, described once (a test compares each backend's live tables with
/// these descriptions).
public enum Tables {
    public static let hostKeys = TableMapping<StoredHostKey>(
        TableDescription("host_keys", columns: [
            Column("role", .text), Column("block", .text), Column("check_value", .text), Column("created_at", .timestamp),
        ], primaryKey: ["role"]),
        encode: { [.enumValue($0.role), .text($0.block), .text($0.checkValue), .date($0.createdAt)] },
        decode: { row in
            StoredHostKey(role: try row.enumValue("role"), block: try row.text("block"), checkValue: try row.text("check_value"),
                          createdAt: try row.date("created_at"))
        })

    public static let baseMasterKeys = TableMapping<BaseMasterKeyRecord>(
        TableDescription("base_master_keys", columns: [
            Column("version", .integer), Column("block", .text), Column("check_value", .text),
            .oneOf("state", ["active", "superseded", "retired"]), Column("origin", .text), Column("created_at", .timestamp),
            Column("retired_at", .timestamp, nullable: true),
        ], primaryKey: ["version"],
        // A retired version's key block is erased (the record's promise, enforced here).
        checks: ["state <> 'retired' OR block = ''"],
        // At most one active version: the one new sign-ons get.
        indexes: [TableIndex("base_master_keys_one_active", on: ["state"], unique: true, where: "state = 'active'")]),
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
        TableDescription("operators", columns: [
            Column("number", .text), Column("name", .text), Column("verification_value", .bytes), .count("consecutive_failures"),
            Column("is_locked", .boolean), Column("is_disabled", .boolean), Column("created_at", .timestamp),
            Column("last_sign_on_at", .timestamp, nullable: true),
        ], primaryKey: ["number"]),
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
        TableDescription("terminals", columns: [
            Column("id", .text), Column("label", .text), .oneOf("enrollment", ["awaiting-enrollment", "enrolled"]), Column("is_blocked", .boolean),
            Column("enrollment_code_block", .text, nullable: true), Column("enrollment_code_expires_at", .timestamp, nullable: true),
            .count("enrollment_failures"), .count("consecutive_operator_failures"), Column("device_signing_key", .bytes, nullable: true),
            Column("device_sealing_key", .bytes, nullable: true), Column("master_key_version", .integer, nullable: true),
            Column("current_session", .integer, nullable: true), Column("sign_on_requested", .boolean),
            Column("last_network_request_at", .timestamp, nullable: true), Column("last_network_request_stan", .text, nullable: true),
            Column("last_seen_at", .timestamp, nullable: true), Column("created_at", .timestamp),
        ], primaryKey: ["id"], indexes: [TableIndex("terminals_master_key_version", on: ["master_key_version"])]),
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
        TableDescription("sessions", columns: [
            Column("number", .integer), Column("terminal_id", .text, references: "terminals (id)"), Column("operator_number", .text),
            Column("base_key_version", .integer), Column("pin_key_block", .text), Column("mac_key_block", .text), Column("data_key_block", .text),
            Column("started_at", .timestamp), Column("ended_at", .timestamp, nullable: true),
            .oneOf("end_reason", ["signed-off", "superseded", "forced"], nullable: true),
        ], primaryKey: ["number"],
        // An ended session has its keys erased and says why it ended; a running one has neither.
        checks: ["(ended_at IS NULL) = (end_reason IS NULL)",
                 "ended_at IS NULL OR (pin_key_block = '' AND mac_key_block = '' AND data_key_block = '')"],
        indexes: [TableIndex("sessions_terminal", on: ["terminal_id"])]),
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

    /// `entry_order` is not part of the record: `putMessageLogEntry` sets it.
    public static let messageLog = TableMapping<MessageLogEntry>(
        TableDescription("message_log", columns: [
            Column("terminal_id", .text), Column("stan", .text), Column("session", .integer), Column("request_digest", .bytes),
            Column("response", .bytes), Column("created_at", .timestamp),
            // The insertion order within a terminal, which pruning keeps the newest of.
            Column("entry_order", .integer),
        ], primaryKey: ["terminal_id", "stan"], indexes: [TableIndex("message_log_order", on: ["terminal_id", "entry_order"], unique: true)]),
        storeKeeps: ["entry_order"],
        encode: {
            [.text($0.terminalID), .text($0.stan), .int($0.session), .bytes($0.requestDigest), .bytes($0.response), .date($0.createdAt)]
        },
        decode: { row in
            MessageLogEntry(terminalID: try row.text("terminal_id"), stan: try row.text("stan"), session: try row.int64("session"),
                            requestDigest: try row.bytes("request_digest"), response: try row.bytes("response"),
                            createdAt: try row.date("created_at"))
        })

    public static let cards = TableMapping<CardRecord>(
        TableDescription("cards", columns: [
            Column("id", .integer), Column("lookup_digest", .bytes, unique: true), Column("encrypted_card_number", .bytes),
            Column("masked_card_number", .text), Column("customer_identifier", .text), Column("identity_document_type", .text),
            Column("pin_verification_value", .bytes), .count("consecutive_pin_failures"), Column("is_locked", .boolean),
            Column("opened_at", .timestamp), Column("opened_by_terminal", .text), Column("opened_by_operator", .text),
            Column("opening_reference", .text, nullable: true),
        ], primaryKey: ["id"], indexes: [TableIndex("cards_opening_reference", on: ["opening_reference"], unique: true)]),
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
        TableDescription("contracts", columns: [
            Column("reference", .text), Column("contract_digest", .bytes, unique: true), Column("card_id", .integer, references: "cards (id)"),
            Column("carrier_code", .text), Column("phone_number", .text), Column("tariff", .text), Column("customer_identifier", .text),
            Column("masked_card_number", .text), Column("terminal_id", .text), Column("operator_number", .text), Column("module", .text),
            Column("signed_at", .timestamp),
        ], primaryKey: ["reference"],
        indexes: [TableIndex("contracts_card", on: ["card_id"]), TableIndex("contracts_signed_at", on: ["signed_at"])]),
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
        TableDescription("outbox", columns: [
            Column("id", .integer), Column("contract_reference", .text, references: "contracts (reference)"), Column("module", .text),
            .oneOf("state", ["pending", "delivered", "dead-lettered"]), .count("attempts"), Column("next_attempt_at", .timestamp),
            Column("last_error", .text, nullable: true), Column("lease_owner", .text, nullable: true),
            Column("lease_expires_at", .timestamp, nullable: true), Column("created_at", .timestamp), Column("delivered_at", .timestamp, nullable: true),
        ], primaryKey: ["id"], databaseAssignsKey: true,
        // A lease is an owner and an expiry, or neither.
        checks: ["(lease_owner IS NULL) = (lease_expires_at IS NULL)"],
        indexes: [TableIndex("outbox_due", on: ["state", "next_attempt_at"]), TableIndex("outbox_contract", on: ["contract_reference"])]),
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
        TableDescription("ledger", columns: [
            Column("contract_reference", .text), Column("carrier_code", .text), Column("day", .text, check: "length(day) = 10"),
            Column("phone_number", .text), Column("tariff", .text), Column("customer_identifier", .text), Column("masked_card_number", .text),
            Column("signed_at", .timestamp), Column("recorded_at", .timestamp),
        ], primaryKey: ["contract_reference"], indexes: [TableIndex("ledger_carrier_day", on: ["carrier_code", "day"])]),
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
        TableDescription("audit", columns: [
            // Sequences are consecutive from 1; the host guarantees it, the key keeps them unique.
            Column("sequence", .integer, check: "sequence > 0"), Column("recorded_at", .timestamp), Column("event", .text),
            Column("actor", .text), Column("subject", .text), Column("outcome", .text), Column("details", .text), Column("mac", .bytes),
        ], primaryKey: ["sequence"]),
        encode: {
            [.int($0.sequence), .date($0.recordedAt), .text($0.event), .text($0.actor), .text($0.subject), .text($0.outcome),
             .text($0.details), .bytes($0.mac)]
        },
        decode: { row in
            AuditEntry(sequence: try row.int64("sequence"), recordedAt: try row.date("recorded_at"), event: try row.text("event"),
                       actor: try row.text("actor"), subject: try row.text("subject"), outcome: try row.text("outcome"),
                       details: try row.text("details"), mac: try row.bytes("mac"))
        })

    /// Named counters for the sequences a store has no database sequence for.
    public static let sequences = TableDescription("sequences", columns: [Column("name", .text), Column("value", .integer)], primaryKey: ["name"])

    /// Every table, in an order that creates referenced tables first.
    public static let all: [TableDescription] = [
        hostKeys.description, baseMasterKeys.description, operators.description, terminals.description, sessions.description,
        messageLog.description, cards.description, contracts.description, outbox.description, ledger.description, audit.description, sequences,
        adminUsers.description, adminCredentials.description, adminApprovals.description,
    ]
}
