package import MPOSHostSQL

extension SQLDialect {
    /// SQLite: `?1` placeholders; no row locks (one writer at a time, `BEGIN IMMEDIATE`, so
    /// what a transaction reads stays as it read it); sequences in the `sequences` table;
    /// INTEGER, TEXT and BLOB columns, booleans as 0/1.
    package static let sqlite = SQLDialect(
        name: "sqlite", placeholderPrefix: "?", rowLock: "", skipLockedRows: "", auditHeadLock: nil,
        nativeSequence: { _ in nil },
        columnTypes: { type in
            switch type {
            case .text: "TEXT"
            case .integer, .boolean, .timestamp: "INTEGER"
            case .bytes: "BLOB"
            }
        },
        booleanCheck: { "\($0) IN (0, 1)" },
        // AUTOINCREMENT: an id is never reused, even after the highest row is deleted.
        assignedKey: "INTEGER PRIMARY KEY AUTOINCREMENT")
}
