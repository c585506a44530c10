package import MPOSHostSQL

extension SQLiteHostStore {
    /// The store's tables as SQLite reports them (`PRAGMA table_info`, `index_list`,
    /// `index_info`), but for `schema_migrations`: for the test that compares them with the
    /// schema's descriptions.
    package func liveSchema() async throws -> [LiveTable] {
        try await onStoreThread { try await lock.withLock {
            let tables = try database.rows("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name",
                                           table: "schema").map { try $0.text("name") }
            return try tables.map { table in
                let info = try database.rows("PRAGMA table_info(\(table))", table: table)
                let columns = try info.map { row in
                    LiveTable.LiveColumn(name: try row.text("name"), type: try row.text("type"), nullable: try row.int("notnull") == 0 && row.int("pk") == 0)
                }
                let key = try info.filter { try $0.int("pk") > 0 }.sorted { try $0.int("pk") < $1.int("pk") }.map { try $0.text("name") }
                var indexes: Set<LiveTable.LiveIndex> = []
                for index in try database.rows("PRAGMA index_list(\(table))", table: table) where try index.text("origin") != "pk" {
                    let name = try index.text("name")
                    let columns = try database.rows("PRAGMA index_info(\(name))", table: table).sorted { try $0.int("seqno") < $1.int("seqno") }
                        .map { try $0.text("name") }
                    indexes.insert(LiveTable.LiveIndex(name: try index.text("origin") == "c" ? name : nil, columns: columns, unique: try index.int("unique") == 1))
                }
                return LiveTable(name: table, columns: columns, primaryKey: key, indexes: indexes)
            }
        } }
    }
}
