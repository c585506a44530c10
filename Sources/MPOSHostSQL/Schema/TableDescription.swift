/// What a column holds, whatever the database: each dialect names its own type for it
/// (``SQLDialect/columnType``), and ``StoredValue`` is how a value of it travels.
public enum ColumnType: Sendable, Hashable {
    case text
    /// A 64-bit integer.
    case integer
    case bytes
    case boolean
    /// A moment: whole microseconds since 1970 UTC (``StoredTime``), an integer in the database.
    case timestamp
}

/// One column of a table, as the schema describes it once for every backend.
public struct Column: Sendable, Hashable {
    public let name: String
    public let type: ColumnType
    public let nullable: Bool
    /// A CHECK on this column alone, in SQL both dialects read (`consecutive_failures >= 0`).
    public let check: String?
    public let unique: Bool
    /// A foreign key: `terminals (id)`.
    public let references: String?

    public init(_ name: String, _ type: ColumnType, nullable: Bool = false, check: String? = nil, unique: Bool = false, references: String? = nil) {
        self.name = name; self.type = type; self.nullable = nullable; self.check = check; self.unique = unique; self.references = references
    }

    /// A text column holding one of `values` (an enum's raw values).
    public static func oneOf(_ name: String, _ values: [String], nullable: Bool = false) -> Column {
        Column(name, .text, nullable: nullable, check: "\(name) IN (\(values.map { "'\($0)'" }.joined(separator: ", ")))")
    }

    /// An integer that never goes below zero (a counter).
    public static func count(_ name: String) -> Column {
        Column(name, .integer, check: "\(name) >= 0")
    }
}

/// An index beside a table's keys.
public struct TableIndex: Sendable, Hashable {
    public let name: String
    public let columns: [String]
    public let unique: Bool
    /// A partial index's condition.
    public let condition: String?

    public init(_ name: String, on columns: [String], unique: Bool = false, where condition: String? = nil) {
        self.name = name; self.columns = columns; self.unique = unique; self.condition = condition
    }
}

/// A table as the schema describes it once: columns (the key first), key, constraints and
/// indexes. Each dialect's DDL for a new table is generated from it (``SQLDialect/createTable(_:)``),
/// and a test compares every backend's live tables with it.
public struct TableDescription: Sendable, Hashable {
    public let name: String
    public let columns: [Column]
    public let primaryKey: [String]
    /// The database assigns the (single, integer) key of an inserted row.
    public let databaseAssignsKey: Bool
    /// CHECKs over several columns, in SQL both dialects read.
    public let checks: [String]
    public let indexes: [TableIndex]

    public init(_ name: String, columns: [Column], primaryKey: [String], databaseAssignsKey: Bool = false, checks: [String] = [],
                indexes: [TableIndex] = []) {
        precondition(primaryKey.allSatisfy { key in columns.contains { $0.name == key } }, "\(name): its key is among its columns")
        self.name = name; self.columns = columns; self.primaryKey = primaryKey; self.databaseAssignsKey = databaseAssignsKey
        self.checks = checks; self.indexes = indexes
    }

    public func column(_ name: String) -> Column? { columns.first { $0.name == name } }
}
