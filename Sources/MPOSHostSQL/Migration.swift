/// One step of a store's schema. Versions only grow; a released migration is never edited, a
/// new one is appended. Each backend keeps its own list (the same tables, in its own types)
/// and records what it applied in `schema_migrations`.
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
