import MPOSHostSQL

/// PostgreSQL's released schema steps, as they shipped: the tables the shared descriptions
/// (`MPOSHostSQL.Tables`) describe, in PostgreSQL's types — dates are BIGINT microseconds since
/// 1970 UTC (the audit chain's MACs cover that exact value), booleans BOOLEAN, byte arrays
/// BYTEA. `SchemaTests` compares the live tables with the descriptions; later steps are the
/// shared ones (`SchemaMigrations`).
enum PostgresMigrations {
    /// Applied in one transaction at open, under an advisory lock, so that nodes starting at
    /// the same moment apply each step once.
    static let all: [Migration] = SchemaMigrations.all(released: [version1, version2, version3], dialect: .postgres)

    /// The sequences requests draw from, each the database's own since version 3.
    static let nativeSequences: Set<String> = ["card", "reference", "session", "terminal"]

    static let createSchemaMigrationsTable = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY,
            applied_at BIGINT NOT NULL
        )
        """

    static let version1 = Migration(version: 1, statements: [
        """
        CREATE TABLE host_keys (
            role TEXT PRIMARY KEY,
            block TEXT NOT NULL,
            check_value TEXT NOT NULL,
            created_at BIGINT NOT NULL
        )
        """,
        // A retired version's key block is erased (the record's promise, enforced here).
        """
        CREATE TABLE base_master_keys (
            version BIGINT PRIMARY KEY,
            block TEXT NOT NULL,
            check_value TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('active', 'superseded', 'retired')),
            origin TEXT NOT NULL,
            created_at BIGINT NOT NULL,
            retired_at BIGINT,
            CHECK (state <> 'retired' OR block = '')
        )
        """,
        // At most one active version: the one new sign-ons get.
        "CREATE UNIQUE INDEX base_master_keys_one_active ON base_master_keys (state) WHERE state = 'active'",
        """
        CREATE TABLE operators (
            number TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            verification_value BYTEA NOT NULL,
            consecutive_failures BIGINT NOT NULL CHECK (consecutive_failures >= 0),
            is_locked BOOLEAN NOT NULL,
            is_disabled BOOLEAN NOT NULL,
            created_at BIGINT NOT NULL,
            last_sign_on_at BIGINT
        )
        """,
        """
        CREATE TABLE terminals (
            id TEXT PRIMARY KEY,
            label TEXT NOT NULL,
            enrollment TEXT NOT NULL CHECK (enrollment IN ('awaiting-enrollment', 'enrolled')),
            is_blocked BOOLEAN NOT NULL,
            enrollment_code_block TEXT,
            enrollment_code_expires_at BIGINT,
            enrollment_failures BIGINT NOT NULL CHECK (enrollment_failures >= 0),
            consecutive_operator_failures BIGINT NOT NULL CHECK (consecutive_operator_failures >= 0),
            device_signing_key BYTEA,
            device_sealing_key BYTEA,
            master_key_version BIGINT,
            current_session BIGINT,
            sign_on_requested BOOLEAN NOT NULL,
            last_network_request_at BIGINT,
            last_network_request_stan TEXT,
            last_seen_at BIGINT,
            created_at BIGINT NOT NULL
        )
        """,
        "CREATE INDEX terminals_master_key_version ON terminals (master_key_version)",
        // An ended session has its keys erased and says why it ended; a running one has neither.
        """
        CREATE TABLE sessions (
            number BIGINT PRIMARY KEY,
            terminal_id TEXT NOT NULL REFERENCES terminals (id),
            operator_number TEXT NOT NULL,
            base_key_version BIGINT NOT NULL,
            pin_key_block TEXT NOT NULL,
            mac_key_block TEXT NOT NULL,
            data_key_block TEXT NOT NULL,
            started_at BIGINT NOT NULL,
            ended_at BIGINT,
            end_reason TEXT CHECK (end_reason IN ('signed-off', 'superseded', 'forced')),
            CHECK ((ended_at IS NULL) = (end_reason IS NULL)),
            CHECK (ended_at IS NULL OR (pin_key_block = '' AND mac_key_block = '' AND data_key_block = ''))
        )
        """,
        "CREATE INDEX sessions_terminal ON sessions (terminal_id)",
        // `entry_order` is the insertion order within a terminal, which pruning keeps the newest of.
        """
        CREATE TABLE message_log (
            terminal_id TEXT NOT NULL,
            stan TEXT NOT NULL,
            session BIGINT NOT NULL,
            request_digest BYTEA NOT NULL,
            response BYTEA NOT NULL,
            created_at BIGINT NOT NULL,
            entry_order BIGINT NOT NULL,
            PRIMARY KEY (terminal_id, stan)
        )
        """,
        "CREATE UNIQUE INDEX message_log_order ON message_log (terminal_id, entry_order)",
        """
        CREATE TABLE cards (
            id BIGINT PRIMARY KEY,
            lookup_digest BYTEA NOT NULL UNIQUE,
            encrypted_card_number BYTEA NOT NULL,
            masked_card_number TEXT NOT NULL,
            customer_identifier TEXT NOT NULL,
            identity_document_type TEXT NOT NULL,
            pin_verification_value BYTEA NOT NULL,
            consecutive_pin_failures BIGINT NOT NULL CHECK (consecutive_pin_failures >= 0),
            is_locked BOOLEAN NOT NULL,
            opened_at BIGINT NOT NULL,
            opened_by_terminal TEXT NOT NULL,
            opened_by_operator TEXT NOT NULL
        )
        """,
        """
        CREATE TABLE contracts (
            reference TEXT PRIMARY KEY,
            contract_digest BYTEA NOT NULL UNIQUE,
            card_id BIGINT NOT NULL REFERENCES cards (id),
            carrier_code TEXT NOT NULL,
            phone_number TEXT NOT NULL,
            tariff TEXT NOT NULL,
            customer_identifier TEXT NOT NULL,
            masked_card_number TEXT NOT NULL,
            terminal_id TEXT NOT NULL,
            operator_number TEXT NOT NULL,
            module TEXT NOT NULL,
            signed_at BIGINT NOT NULL
        )
        """,
        "CREATE INDEX contracts_card ON contracts (card_id)",
        "CREATE INDEX contracts_signed_at ON contracts (signed_at)",
        // A lease is an owner and an expiry, or neither.
        """
        CREATE TABLE outbox (
            id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
            contract_reference TEXT NOT NULL REFERENCES contracts (reference),
            module TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead-lettered')),
            attempts BIGINT NOT NULL CHECK (attempts >= 0),
            next_attempt_at BIGINT NOT NULL,
            last_error TEXT,
            lease_owner TEXT,
            lease_expires_at BIGINT,
            created_at BIGINT NOT NULL,
            delivered_at BIGINT,
            CHECK ((lease_owner IS NULL) = (lease_expires_at IS NULL))
        )
        """,
        "CREATE INDEX outbox_due ON outbox (state, next_attempt_at)",
        "CREATE INDEX outbox_contract ON outbox (contract_reference)",
        """
        CREATE TABLE ledger (
            contract_reference TEXT PRIMARY KEY,
            carrier_code TEXT NOT NULL,
            day TEXT NOT NULL CHECK (length(day) = 10),
            phone_number TEXT NOT NULL,
            tariff TEXT NOT NULL,
            customer_identifier TEXT NOT NULL,
            masked_card_number TEXT NOT NULL,
            signed_at BIGINT NOT NULL,
            recorded_at BIGINT NOT NULL
        )
        """,
        "CREATE INDEX ledger_carrier_day ON ledger (carrier_code, day)",
        // Sequences are consecutive from 1; the host guarantees it (under the audit head's
        // lock), the key keeps them unique.
        """
        CREATE TABLE audit (
            sequence BIGINT PRIMARY KEY CHECK (sequence > 0),
            recorded_at BIGINT NOT NULL,
            event TEXT NOT NULL,
            actor TEXT NOT NULL,
            subject TEXT NOT NULL,
            outcome TEXT NOT NULL,
            details TEXT NOT NULL,
            mac BYTEA NOT NULL
        )
        """,
        """
        CREATE TABLE sequences (
            name TEXT PRIMARY KEY,
            value BIGINT NOT NULL
        )
        """,
    ])

    /// The reference a card opening was answered with, so that every approved operation can
    /// be found by the reference its terminal was given (`mpos-host references`).
    static let version2 = Migration(version: 2, statements: [
        "ALTER TABLE cards ADD COLUMN opening_reference TEXT",
        "CREATE UNIQUE INDEX cards_opening_reference ON cards (opening_reference)",
    ])

    /// The sequences requests draw from become the database's own (no row lock held to the
    /// commit), each starting after the value its `sequences` row had reached.
    static let version3 = Migration(version: 3, statements: nativeSequences.sorted().flatMap { name in
        [
            "CREATE SEQUENCE mpos_sequence_\(name) AS BIGINT MINVALUE 1",
            "SELECT setval('mpos_sequence_\(name)', COALESCE((SELECT value FROM sequences WHERE name = '\(name)'), 0) + 1, false)",
        ]
    })
}
