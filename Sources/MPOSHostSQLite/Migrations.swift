import MPOSHostSQL

/// SQLite's released schema steps, as they shipped (`Migration`: a released step is never
/// edited): the tables the shared descriptions (`MPOSHostSQL.Tables`) describe.
/// `SchemaTests` compares the live tables with the descriptions; later steps are the shared
/// ones (`SchemaMigrations`).
enum Migrations {
    static let all: [Migration] = SchemaMigrations.all(released: [version1, version2, version3], dialect: .sqlite)

    static let createSchemaMigrationsTable = """
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version INTEGER PRIMARY KEY,
            applied_at INTEGER NOT NULL
        )
        """

    // Column types are INTEGER, TEXT and BLOB only; dates are INTEGER microseconds since 1970
    // UTC, booleans INTEGER 0/1, enums their TEXT raw value. Apart from AUTOINCREMENT, the
    // statements are ones PostgreSQL accepts once BLOB reads BYTEA and INTEGER BIGINT.
    // Enum CHECKs list every case: adding a case needs a migration (in SQLite, a table rebuild).
    static let version1 = Migration(version: 1, statements: [
        """
        CREATE TABLE host_keys (
            role TEXT PRIMARY KEY,
            block TEXT NOT NULL,
            check_value TEXT NOT NULL,
            created_at INTEGER NOT NULL
        )
        """,
        // A retired version's key block is erased (the record's promise, enforced here).
        """
        CREATE TABLE base_master_keys (
            version INTEGER PRIMARY KEY,
            block TEXT NOT NULL,
            check_value TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('active', 'superseded', 'retired')),
            origin TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            retired_at INTEGER,
            CHECK (state <> 'retired' OR block = '')
        )
        """,
        // At most one active version: the one new sign-ons get.
        "CREATE UNIQUE INDEX base_master_keys_one_active ON base_master_keys (state) WHERE state = 'active'",
        """
        CREATE TABLE operators (
            number TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            verification_value BLOB NOT NULL,
            consecutive_failures INTEGER NOT NULL CHECK (consecutive_failures >= 0),
            is_locked INTEGER NOT NULL CHECK (is_locked IN (0, 1)),
            is_disabled INTEGER NOT NULL CHECK (is_disabled IN (0, 1)),
            created_at INTEGER NOT NULL,
            last_sign_on_at INTEGER
        )
        """,
        """
        CREATE TABLE terminals (
            id TEXT PRIMARY KEY,
            label TEXT NOT NULL,
            enrollment TEXT NOT NULL CHECK (enrollment IN ('awaiting-enrollment', 'enrolled')),
            is_blocked INTEGER NOT NULL CHECK (is_blocked IN (0, 1)),
            enrollment_code_block TEXT,
            enrollment_code_expires_at INTEGER,
            enrollment_failures INTEGER NOT NULL CHECK (enrollment_failures >= 0),
            consecutive_operator_failures INTEGER NOT NULL CHECK (consecutive_operator_failures >= 0),
            device_signing_key BLOB,
            device_sealing_key BLOB,
            master_key_version INTEGER,
            current_session INTEGER,
            sign_on_requested INTEGER NOT NULL CHECK (sign_on_requested IN (0, 1)),
            last_network_request_at INTEGER,
            last_network_request_stan TEXT,
            last_seen_at INTEGER,
            created_at INTEGER NOT NULL
        )
        """,
        "CREATE INDEX terminals_master_key_version ON terminals (master_key_version)",
        // An ended session has its keys erased and says why it ended; a running one has neither.
        """
        CREATE TABLE sessions (
            number INTEGER PRIMARY KEY,
            terminal_id TEXT NOT NULL REFERENCES terminals (id),
            operator_number TEXT NOT NULL,
            base_key_version INTEGER NOT NULL,
            pin_key_block TEXT NOT NULL,
            mac_key_block TEXT NOT NULL,
            data_key_block TEXT NOT NULL,
            started_at INTEGER NOT NULL,
            ended_at INTEGER,
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
            session INTEGER NOT NULL,
            request_digest BLOB NOT NULL,
            response BLOB NOT NULL,
            created_at INTEGER NOT NULL,
            entry_order INTEGER NOT NULL,
            PRIMARY KEY (terminal_id, stan)
        )
        """,
        "CREATE UNIQUE INDEX message_log_order ON message_log (terminal_id, entry_order)",
        // AUTOINCREMENT: a card id is never reused, even after the highest row is deleted.
        """
        CREATE TABLE cards (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            lookup_digest BLOB NOT NULL UNIQUE,
            encrypted_card_number BLOB NOT NULL,
            masked_card_number TEXT NOT NULL,
            customer_identifier TEXT NOT NULL,
            identity_document_type TEXT NOT NULL,
            pin_verification_value BLOB NOT NULL,
            consecutive_pin_failures INTEGER NOT NULL CHECK (consecutive_pin_failures >= 0),
            is_locked INTEGER NOT NULL CHECK (is_locked IN (0, 1)),
            opened_at INTEGER NOT NULL,
            opened_by_terminal TEXT NOT NULL,
            opened_by_operator TEXT NOT NULL
        )
        """,
        """
        CREATE TABLE contracts (
            reference TEXT PRIMARY KEY,
            contract_digest BLOB NOT NULL UNIQUE,
            card_id INTEGER NOT NULL REFERENCES cards (id),
            carrier_code TEXT NOT NULL,
            phone_number TEXT NOT NULL,
            tariff TEXT NOT NULL,
            customer_identifier TEXT NOT NULL,
            masked_card_number TEXT NOT NULL,
            terminal_id TEXT NOT NULL,
            operator_number TEXT NOT NULL,
            module TEXT NOT NULL,
            signed_at INTEGER NOT NULL
        )
        """,
        "CREATE INDEX contracts_card ON contracts (card_id)",
        "CREATE INDEX contracts_signed_at ON contracts (signed_at)",
        // A lease is an owner and an expiry, or neither.
        """
        CREATE TABLE outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            contract_reference TEXT NOT NULL REFERENCES contracts (reference),
            module TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead-lettered')),
            attempts INTEGER NOT NULL CHECK (attempts >= 0),
            next_attempt_at INTEGER NOT NULL,
            last_error TEXT,
            lease_owner TEXT,
            lease_expires_at INTEGER,
            created_at INTEGER NOT NULL,
            delivered_at INTEGER,
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
            signed_at INTEGER NOT NULL,
            recorded_at INTEGER NOT NULL
        )
        """,
        "CREATE INDEX ledger_carrier_day ON ledger (carrier_code, day)",
        // Sequences are consecutive from 1; the host guarantees it, the key keeps them unique.
        """
        CREATE TABLE audit (
            sequence INTEGER PRIMARY KEY CHECK (sequence > 0),
            recorded_at INTEGER NOT NULL,
            event TEXT NOT NULL,
            actor TEXT NOT NULL,
            subject TEXT NOT NULL,
            outcome TEXT NOT NULL,
            details TEXT NOT NULL,
            mac BLOB NOT NULL
        )
        """,
        """
        CREATE TABLE sequences (
            name TEXT PRIMARY KEY,
            value INTEGER NOT NULL
        )
        """,
    ])

    /// The reference a card opening was answered with, so that every approved operation can
    /// be found by the reference its terminal was given (`mpos-host references`).
    static let version2 = Migration(version: 2, statements: [
        "ALTER TABLE cards ADD COLUMN opening_reference TEXT",
        "CREATE UNIQUE INDEX cards_opening_reference ON cards (opening_reference)",
    ])

    /// PostgreSQL's version 3 moved its sequences into the database; SQLite keeps its
    /// `sequences` table (one writer, no lock held across requests). Nothing to do: the step
    /// keeps both backends' version numbers the same from here on.
    static let version3 = Migration(version: 3, statements: [])
}
