/// A store's tables as its database reports them (SQLite's PRAGMAs, PostgreSQL's catalogs):
/// what a test compares with what the schema's descriptions say the dialect makes of them.
public struct LiveTable: Sendable, Hashable, CustomStringConvertible {
    public struct LiveColumn: Sendable, Hashable {
        public let name: String
        /// The type name, upper-case (`TEXT`, `BIGINT`).
        public let type: String
        public let nullable: Bool

        public init(name: String, type: String, nullable: Bool) {
            self.name = name; self.type = type.uppercased(); self.nullable = nullable
        }
    }

    public struct LiveIndex: Sendable, Hashable {
        /// nil for the index a UNIQUE column constraint makes (databases name those themselves).
        public let name: String?
        public let columns: [String]
        public let unique: Bool

        public init(name: String?, columns: [String], unique: Bool) {
            self.name = name; self.columns = columns; self.unique = unique
        }
    }

    public let name: String
    /// In table order.
    public let columns: [LiveColumn]
    public let primaryKey: [String]
    public let indexes: Set<LiveIndex>

    public init(name: String, columns: [LiveColumn], primaryKey: [String], indexes: Set<LiveIndex>) {
        self.name = name; self.columns = columns; self.primaryKey = primaryKey; self.indexes = indexes
    }

    /// What `dialect` makes of `description`: its types, nullability (a key never null), key,
    /// named indexes and the unique constraints of its columns.
    public init(_ description: TableDescription, in dialect: SQLDialect) {
        name = description.name
        columns = description.columns.map {
            LiveColumn(name: $0.name, type: dialect.columnType($0.type), nullable: $0.nullable && !description.primaryKey.contains($0.name))
        }
        primaryKey = description.primaryKey
        indexes = Set(description.indexes.map { LiveIndex(name: $0.name, columns: $0.columns, unique: $0.unique) }
            + description.columns.filter(\.unique).map { LiveIndex(name: nil, columns: [$0.name], unique: true) })
    }

    public var description: String {
        "\(name)(\(columns.map { "\($0.name) \($0.type)\($0.nullable ? "" : " NOT NULL")" }.joined(separator: ", ")); key \(primaryKey); "
            + "indexes \(indexes.map { "\($0.name ?? "unique") \($0.columns)\($0.unique ? " unique" : "")" }.sorted()))"
    }
}
