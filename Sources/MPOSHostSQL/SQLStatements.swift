/// The statements a transaction runs on every table, written once per store for its dialect:
/// a request runs a dozen of them, and building each text anew cost more than running it.
public struct SQLStatements: Sendable {
    public let dialect: SQLDialect
    private let inserts: [String: String]
    private let updates: [String: String]

    public init(_ dialect: SQLDialect) {
        self.dialect = dialect
        var inserts: [String: String] = [:], updates: [String: String] = [:]
        for (table, columns, keyCount) in Tables.records {
            inserts[table] = "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES (\(dialect.placeholders(1...columns.count)))"
            // Binds the same values as the insert; `RETURNING` tells a missing row from an updated one.
            let assignments = columns.indices.dropFirst(keyCount).map { "\(columns[$0]) = \(dialect.placeholder($0 + 1))" }
            let key = columns.prefix(keyCount).indices.map { "\(columns[$0]) = \(dialect.placeholder($0 + 1))" }
            updates[table] = "UPDATE \(table) SET \(assignments.joined(separator: ", ")) WHERE \(key.joined(separator: " AND ")) RETURNING \(columns[0])"
        }
        self.inserts = inserts
        self.updates = updates
    }

    public func insert<Record>(_ mapping: TableMapping<Record>) -> String { inserts[mapping.table]! }
    public func update<Record>(_ mapping: TableMapping<Record>) -> String { updates[mapping.table]! }
}

extension Tables {
    /// Every table a record maps to: its name, the record's columns, the key's length.
    static let records: [(table: String, columns: [String], keyCount: Int)] = [
        (hostKeys.table, hostKeys.columns, hostKeys.keyCount), (baseMasterKeys.table, baseMasterKeys.columns, baseMasterKeys.keyCount),
        (operators.table, operators.columns, operators.keyCount), (terminals.table, terminals.columns, terminals.keyCount),
        (sessions.table, sessions.columns, sessions.keyCount), (messageLog.table, messageLog.columns, messageLog.keyCount),
        (cards.table, cards.columns, cards.keyCount), (contracts.table, contracts.columns, contracts.keyCount),
        (outbox.table, outbox.columns, outbox.keyCount), (ledger.table, ledger.columns, ledger.keyCount), (audit.table, audit.columns, audit.keyCount),
        (adminUsers.table, adminUsers.columns, adminUsers.keyCount), (adminCredentials.table, adminCredentials.columns, adminCredentials.keyCount),
        (adminApprovals.table, adminApprovals.columns, adminApprovals.keyCount),
    ]
}
