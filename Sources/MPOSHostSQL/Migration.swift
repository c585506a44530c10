/// One step of a store's schema. Versions only grow; a released migration is never edited, a
/// new one is appended. Every backend records what it applied in `schema_migrations`.
///
/// The released steps (versions 1 to 3) are each backend's own SQL, as they shipped; every
/// later step is a ``SchemaChange`` list in ``SchemaMigrations``, written once and rendered in
/// each backend's dialect from the schema's descriptions (``Tables``).
public struct Migration: Sendable {
    public let version: Int
    /// Executed one by one (SQLite prepares a single statement at a time).
    public let statements: [String]

    public init(version: Int, statements: [String]) {
        self.version = version
        self.statements = statements
    }
}

extension [Migration] {
    public var latestVersion: Int { map(\.version).max() ?? 0 }

    /// The steps after `version`, in order.
    public func pending(after version: Int) -> [Migration] {
        filter { $0.version > version }.sorted { $0.version < $1.version }
    }
}

/// A change of the schema, described once for every backend.
public enum SchemaChange: Sendable {
    /// A new table (and its indexes), from its description in ``Tables``.
    case createTable(TableDescription)
    /// A nullable column added to a table with rows.
    case addColumn(Column, table: String)
    case createIndex(TableIndex, table: String)

    func statements(_ dialect: SQLDialect) -> [String] {
        switch self {
        case .createTable(let table): dialect.createTable(table)
        case .addColumn(let column, let table): [dialect.addColumn(column, to: table)]
        case .createIndex(let index, let table): [dialect.createIndex(index, on: table)]
        }
    }
}

/// The schema's steps after the released ones, for every backend: adding a table is its
/// description in ``Tables`` and one step here.
public enum SchemaMigrations {
    /// The last version each backend released as SQL of its own.
    public static let lastReleased = 3

    static let steps: [(version: Int, changes: [SchemaChange])] = [
        // The people who administer the host (the administration API).
        (4, [.createTable(Tables.adminUsers.description), .createTable(Tables.adminCredentials.description),
             .createTable(Tables.adminApprovals.description)]),
    ]

    /// A backend's whole list: its released steps, then the shared ones in its dialect.
    public static func all(released: [Migration], dialect: SQLDialect) -> [Migration] {
        precondition(released.latestVersion == lastReleased, "\(dialect.name): the released steps end at version \(lastReleased)")
        return released + steps.map { Migration(version: $0.version, statements: $0.changes.flatMap { $0.statements(dialect) }) }
    }
}
