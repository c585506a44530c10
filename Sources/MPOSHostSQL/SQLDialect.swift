/// What one SQL database needs said its own way: a struct of fragments, so that a backend
/// brings its own (MPOSHostSQLite's `.sqlite`, MPOSHostPostgres's `.postgres`) and the shared
/// statements, migrations and DDL are written once.
public struct SQLDialect: Sendable {
    /// For people and logs: `sqlite`, `postgres`.
    public let name: String
    /// The mark before a bound parameter's number: `?` for `?1`, `$` for `$1`.
    let placeholderPrefix: String
    /// Appended to a single-row read whose row the transaction will change: a row lock where
    /// transactions run side by side (PostgreSQL at READ COMMITTED, on several nodes); nothing
    /// where one writer runs at a time (SQLite's `BEGIN IMMEDIATE`).
    let rowLock: String
    /// Appended to the sub-select that picks outbox entries to claim.
    let skipLockedRows: String
    /// Run before reading the audit chain's head, where several writers could append at once.
    let auditHeadLock: String?
    /// The statement drawing the next value of a named sequence from one of the database's
    /// own, for the names that have one; nil: the `sequences` table.
    let nativeSequence: @Sendable (String) -> String?
    /// The column type for each of the schema's types.
    let columnTypes: @Sendable (ColumnType) -> String
    /// A CHECK a boolean column needs (SQLite has no booleans: `x IN (0, 1)`), if any.
    let booleanCheck: @Sendable (String) -> String?
    /// The declaration of a key the database assigns (`INTEGER PRIMARY KEY AUTOINCREMENT`).
    let assignedKey: String

    public init(name: String, placeholderPrefix: String, rowLock: String, skipLockedRows: String, auditHeadLock: String?,
                nativeSequence: @escaping @Sendable (String) -> String?, columnTypes: @escaping @Sendable (ColumnType) -> String,
                booleanCheck: @escaping @Sendable (String) -> String?, assignedKey: String) {
        self.name = name; self.placeholderPrefix = placeholderPrefix; self.rowLock = rowLock; self.skipLockedRows = skipLockedRows
        self.auditHeadLock = auditHeadLock; self.nativeSequence = nativeSequence; self.columnTypes = columnTypes
        self.booleanCheck = booleanCheck; self.assignedKey = assignedKey
    }

    public func placeholder(_ number: Int) -> String { "\(placeholderPrefix)\(number)" }

    public func placeholders(_ numbers: ClosedRange<Int>) -> String {
        numbers.map(placeholder).joined(separator: ", ")
    }

    /// The type name this database uses for `type`.
    public func columnType(_ type: ColumnType) -> String { columnTypes(type) }

    /// `CREATE TABLE` and its `CREATE INDEX`es, for a migration step that adds `table`.
    public func createTable(_ table: TableDescription) -> [String] {
        var definitions: [String] = []
        for column in table.columns {
            if table.databaseAssignsKey, table.primaryKey == [column.name] {
                definitions.append("\(column.name) \(assignedKey)")
                continue
            }
            var definition = "\(column.name) \(columnType(column.type))"
            if table.primaryKey == [column.name] { definition += " PRIMARY KEY" } else if !column.nullable { definition += " NOT NULL" }
            if column.unique { definition += " UNIQUE" }
            if let references = column.references { definition += " REFERENCES \(references)" }
            if let check = column.check { definition += " CHECK (\(check))" }
            if column.type == .boolean, let check = booleanCheck(column.name) { definition += " CHECK (\(check))" }
            definitions.append(definition)
        }
        if table.primaryKey.count > 1 { definitions.append("PRIMARY KEY (\(table.primaryKey.joined(separator: ", ")))") }
        definitions += table.checks.map { "CHECK (\($0))" }
        let create = "CREATE TABLE \(table.name) (\n    " + definitions.joined(separator: ",\n    ") + "\n)"
        return [create] + table.indexes.map { createIndex($0, on: table.name) }
    }

    public func createIndex(_ index: TableIndex, on table: String) -> String {
        "CREATE \(index.unique ? "UNIQUE " : "")INDEX \(index.name) ON \(table) (\(index.columns.joined(separator: ", ")))"
            + (index.condition.map { " WHERE \($0)" } ?? "")
    }

    /// `ALTER TABLE … ADD COLUMN`, for a migration step that adds a nullable column.
    public func addColumn(_ column: Column, to table: String) -> String {
        precondition(column.nullable, "a column added to a table with rows is nullable")
        var definition = "ALTER TABLE \(table) ADD COLUMN \(column.name) \(columnType(column.type))"
        if let references = column.references { definition += " REFERENCES \(references)" }
        if let check = column.check { definition += " CHECK (\(check))" }
        return definition
    }
}
