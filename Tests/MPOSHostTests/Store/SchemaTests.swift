import Foundation
import MPOSHost
import MPOSHostPostgres
import MPOSHostSQL
import MPOSHostSQLite
import Testing

/// The schema is described once (`MPOSHostSQL.Tables`): every backend's live tables must be
/// what the descriptions say its dialect makes of them, and the DDL the descriptions generate
/// (what a new migration step uses) must make the same tables as the released migrations.
@Suite("Schema: one description, every backend's live tables")
struct SchemaTests {
    static func liveSchema(_ store: any HostStore) async throws -> (tables: [LiveTable], dialect: SQLDialect) {
        switch store {
        case let store as SQLiteHostStore: (try await store.liveSchema(), .sqlite)
        case let store as PostgresHostStore: (try await store.liveSchema(), .postgres)
        default: throw StoreError(.failure, "no live schema for \(type(of: store))")
        }
    }

    static func expectDescribed(_ live: [LiveTable], _ dialect: SQLDialect, _ what: String) {
        #expect(live.map(\.name).sorted() == Tables.all.map(\.name).sorted(), "\(what): the tables")
        for table in Tables.all {
            let expected = LiveTable(table, in: dialect)
            #expect(live.first { $0.name == table.name } == expected, "\(what): \(table.name) should be \(expected)")
        }
    }

    @Test("a migrated store's tables, columns, types, nullability, keys and indexes are the descriptions'", arguments: StoreBackend.allCases)
    func migratedStore(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let (live, dialect) = try await Self.liveSchema(store)
            Self.expectDescribed(live, dialect, "\(backend)")
        }
    }

    @Test("the DDL the descriptions generate makes the tables the released migrations made", arguments: StoreBackend.allCases)
    func generatedDDL(backend: StoreBackend) async throws {
        let store: any HostStore
        switch backend {
        case .sqliteMemory, .sqliteFile:
            store = try await SQLiteHostStore.openInMemory(migrations: [Migration(version: 1, statements: Tables.all.flatMap(SQLDialect.sqlite.createTable))])
        case .postgres:
            store = try await PostgresHostStore.open(PostgresStoreConfiguration(url: StoreBackend.freshPostgresURL()),
                                                     migrations: [Migration(version: 1, statements: Tables.all.flatMap(SQLDialect.postgres.createTable))])
        }
        do {
            let (live, dialect) = try await Self.liveSchema(store)
            Self.expectDescribed(live, dialect, "\(backend), generated")
            try await StoreBackend.discard(store)
        } catch {
            try? await StoreBackend.discard(store)
            throw error
        }
    }

    @Test("a description that differs from the live table is caught: a column's type, its nullability, an index")
    func differencesAreCaught() async throws {
        try await StoreBackend.sqliteMemory.withStore { store in
            let (live, dialect) = try await Self.liveSchema(store)
            let operators = try #require(live.first { $0.name == "operators" })
            let described = LiveTable(Tables.operators.description, in: dialect)
            #expect(operators == described)
            let retyped = TableDescription("operators", columns: Tables.operators.description.columns.map {
                $0.name == "name" ? Column("name", .bytes) : $0
            }, primaryKey: ["number"])
            #expect(operators != LiveTable(retyped, in: dialect))
            let nullable = TableDescription("operators", columns: Tables.operators.description.columns.map {
                $0.name == "name" ? Column("name", .text, nullable: true) : $0
            }, primaryKey: ["number"])
            #expect(operators != LiveTable(nullable, in: dialect))
            let indexed = TableDescription("operators", columns: Tables.operators.description.columns, primaryKey: ["number"],
                                           indexes: [TableIndex("operators_name", on: ["name"])])
            #expect(operators != LiveTable(indexed, in: dialect))
        }
    }
}
