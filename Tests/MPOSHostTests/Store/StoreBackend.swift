import Foundation
import MPOSHost
import MPOSHostPostgres
import MPOSHostSQLite

/// Every `HostStore` the host's tests run against. PostgreSQL is among them when
/// `MPOS_TEST_POSTGRES_URL` names a server, which README's test command (`scripts/test`,
/// through `scripts/with-postgres`) always does; ``PostgresAvailabilityTests`` fails if the
/// test command promised one (`MPOS_REQUIRE_POSTGRES=1`) and it is missing.
enum StoreBackend: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqliteMemory
    case sqliteFile
    case postgres

    var description: String { rawValue }

    static var allCases: [StoreBackend] {
        [.sqliteMemory, .sqliteFile] + (postgresURL == nil ? [] : [.postgres])
    }

    /// The server the PostgreSQL cases use; each store gets a schema of its own in it.
    static var postgresURL: String? {
        ProcessInfo.processInfo.environment["MPOS_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// A fresh schema on the test server, as a store URL (small pools: many tests run at once).
    static func freshPostgresURL() throws -> String {
        guard let url = postgresURL else { throw StoreError(.failure, "MPOS_TEST_POSTGRES_URL is not set") }
        let schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        return url + (url.contains("?") ? "&" : "?") + "schema=\(schema)&pool=4"
    }

    /// Opens a fresh, empty store, runs `body`, then closes the store and removes its files,
    /// whether `body` throws or not.
    @discardableResult
    func withStore<T>(_ body: (any HostStore & LedgerStore) async throws -> T) async throws -> T {
        let store: any HostStore & LedgerStore
        var directory: URL?
        switch self {
        case .sqliteMemory:
            store = try await SQLiteHostStore.openInMemory()
        case .sqliteFile:
            let folder = try TemporaryFolder.make()
            directory = folder
            store = try await SQLiteHostStore.open(path: folder.appendingPathComponent("host.sqlite").path)
        case .postgres:
            store = try await PostgresHostStore.open(PostgresStoreConfiguration(url: Self.freshPostgresURL()))
        }
        defer { if let directory { try? FileManager.default.removeItem(at: directory) } }
        do {
            let value = try await body(store)
            try await Self.discard(store)
            return value
        } catch {
            try? await Self.discard(store)
            throw error
        }
    }
}

extension StoreBackend {
    /// Closes `store`; a PostgreSQL store's schema is dropped first.
    static func discard(_ store: any HostStore) async throws {
        if let store = store as? PostgresHostStore, let schema = store.configuration.schema {
            _ = try await store.rawScalar("DROP SCHEMA \(schema) CASCADE")
        }
        try await store.close()
    }
}

enum TemporaryFolder {
    static func make() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mpos-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Rows with every field set, and dates exact to the microsecond (what the store keeps).
enum Fixtures {
    /// `offset` seconds after 2023-11-14T22:13:20.123456Z, built from whole microseconds the
    /// way a store reads a date back (`µs / 1e6` since 1970), so a round trip compares equal.
    static func time(_ offset: TimeInterval) -> Date {
        Date(timeIntervalSince1970: Double(1_700_000_000_123_456 + Int64((offset * 1_000_000).rounded())) / 1_000_000)
    }

    static func hostKey(_ role: HostKeyRole) -> StoredHostKey {
        StoredHostKey(role: role, block: "D0112E0AE00E0000\(role.rawValue)", checkValue: "A1B2C3", createdAt: time(1))
    }

    static func baseMasterKey(_ version: Int, _ state: BaseMasterKeyRecord.State = .active) -> BaseMasterKeyRecord {
        BaseMasterKeyRecord(version: version, block: "B0096B0TX00E0000-\(version)", checkValue: "0F1E2D", state: state,
                            origin: "ceremony (3 components)", createdAt: time(2), retiredAt: nil)
    }

    static func operatorRecord(_ number: String) -> OperatorRecord {
        OperatorRecord(number: number, name: "Operator \(number)", verificationValue: Array(0..<16), consecutiveFailures: 2,
                       isLocked: true, isDisabled: true, createdAt: time(3), lastSignOnAt: time(3.000001))
    }

    static func minimalTerminal(_ id: String) -> TerminalRecord {
        TerminalRecord(id: id, label: "Counter \(id)", enrollmentCodeBlock: nil, createdAt: time(4))
    }

    static func fullTerminal(_ id: String) -> TerminalRecord {
        TerminalRecord(id: id, label: "Counter \(id)", enrollment: .enrolled, isBlocked: true, enrollmentCodeBlock: "B0080P0TE00E0000",
                       enrollmentFailures: 3, deviceSigningKey: [0x04] + Array(repeating: 0xAB, count: 64),
                       deviceSealingKey: [0x04] + Array(repeating: 0xCD, count: 64), masterKeyVersion: 7, currentSession: 123_456_789_012,
                       signOnRequested: true, lastNetworkRequestAt: time(5.5), lastNetworkRequestSTAN: "000042", lastSeenAt: time(6),
                       createdAt: time(4))
    }

    static func session(_ number: Int64, terminal: String) -> SessionRecord {
        SessionRecord(number: number, terminalID: terminal, operatorNumber: "01", baseKeyVersion: 1, pinKeyBlock: "P-\(number)",
                      macKeyBlock: "M-\(number)", dataKeyBlock: "D-\(number)", startedAt: time(7))
    }

    static func messageLogEntry(terminal: String, stan: String, session: Int64 = 1) -> MessageLogEntry {
        MessageLogEntry(terminalID: terminal, stan: stan, session: session, requestDigest: Array(repeating: 0x11, count: 32),
                        response: Array("response \(stan)".utf8), createdAt: time(8))
    }

    static func card(_ id: Int64) -> CardRecord {
        CardRecord(id: id, lookupDigest: digest(id), encryptedCardNumber: Array(repeating: UInt8(id % 256), count: 44),
                   maskedCardNumber: "622588******\(1000 + id % 9000)", customerIdentifier: "C\(id)", identityDocumentType: "passport",
                   pinVerificationValue: [1, 2, 3, 4, 5, 6, 7, 8], consecutivePINFailures: 1, isLocked: true, openedAt: time(9),
                   openedByTerminal: "T1", openedByOperator: "01", openingReference: String(format: "%012d", id))
    }

    static func digest(_ seed: Int64, salt: UInt8 = 0) -> [UInt8] {
        withUnsafeBytes(of: seed.bigEndian) { Array($0) } + Array(repeating: salt, count: 24)
    }

    static func contract(_ reference: String, cardID: Int64, signedAt: Date = time(10)) -> ContractRecord {
        ContractRecord(reference: reference, contractDigest: Array(reference.utf8), cardID: cardID, carrierCode: "CM",
                       phoneNumber: "13800138000", tariff: "T58", customerIdentifier: "C\(cardID)", maskedCardNumber: "622588******1234",
                       terminalID: "T1", operatorNumber: "01", module: "ledger", signedAt: signedAt)
    }

    static func outboxEntry(_ reference: String, nextAttemptAt: Date = time(11)) -> OutboxEntry {
        OutboxEntry(id: 0, contractReference: reference, module: "ledger", nextAttemptAt: nextAttemptAt, createdAt: time(11))
    }

    static func ledgerEntry(_ reference: String, carrier: String = "CM", day: String = "2023-11-14", signedAt: Date = time(12)) -> LedgerEntry {
        LedgerEntry(contractReference: reference, carrierCode: carrier, day: day, phoneNumber: "13800138000", tariff: "T58",
                    customerIdentifier: "C1", maskedCardNumber: "622588******1234", signedAt: signedAt, recordedAt: time(13))
    }

    static func auditEntry(_ sequence: Int64) -> AuditEntry {
        AuditEntry(sequence: sequence, recordedAt: time(Double(sequence)), event: "sign-on.succeeded", actor: "terminal:T1/operator:01",
                   subject: "terminal:T1", outcome: "ok", details: "entry \(sequence)", mac: Array(repeating: UInt8(sequence), count: 16))
    }

    /// A card and a contract on it, which outbox rows need (foreign keys).
    static func insertContract(_ reference: String, cardID: Int64, in transaction: any HostTransaction) async throws {
        if try await transaction.card(id: cardID) == nil { try await transaction.insertCard(card(cardID)) }
        try await transaction.insertContract(contract(reference, cardID: cardID))
    }
}

/// `value` with `change` applied, as a constant that `@Sendable` transaction bodies may capture.
func modified<T>(_ value: T, _ change: (inout T) throws -> Void) rethrows -> T {
    var copy = value
    try change(&copy)
    return copy
}
