#if canImport(Glibc)
import Glibc
#endif
import Foundation
import MPOSHost
import MPOSHostPostgres
import Testing

/// What is particular to the PostgreSQL store; the behaviour both stores share is in
/// HostStoreContractTests and the flow tests, run on every backend.
@Suite("PostgreSQL store")
struct PostgresHostStoreTests {
    @Test("README's test command promised a PostgreSQL server, and the PostgreSQL cases run against it")
    func postgresIsThereWhenPromised() {
        if ProcessInfo.processInfo.environment["MPOS_REQUIRE_POSTGRES"] == "1" {
            #expect(StoreBackend.postgresURL != nil, "MPOS_TEST_POSTGRES_URL is not set: the PostgreSQL cases did not run")
            #expect(StoreBackend.allCases.contains(.postgres))
        }
    }

    @Test("a database URL: user, host, port, database, schema, TLS and pool; the password never shown")
    func configuration() throws {
        let remote = try PostgresStoreConfiguration(url: "postgres://mpos:s3cret@db.bank.example:6432/mpos?schema=host_a&pool=32", environment: [:])
        #expect(remote.username == "mpos" && remote.password == "s3cret" && remote.host == "db.bank.example" && remote.port == 6432)
        #expect(remote.database == "mpos" && remote.schema == "host_a" && remote.maximumConnections == 32 && remote.tls == .require)
        #expect(!remote.description.contains("s3cret"))
        #expect(remote.description == "postgres://mpos@db.bank.example:6432/mpos?schema=host_a&pool=32")

        let local = try PostgresStoreConfiguration(url: "postgresql://mpos@127.0.0.1/mpos", environment: ["PGPASSWORD": "from-env"])
        #expect(local.password == "from-env" && local.port == 5432 && local.tls == .disable && local.maximumConnections == 16)

        let socket = try PostgresStoreConfiguration(url: "postgres://mpos@/mpos?host=/run/postgresql", environment: [:])
        #expect(socket.socketDirectory == "/run/postgresql" && socket.tls == .disable)

        for bad in ["mysql://u@h/d", "postgres://h/d", "postgres://u@h/", "postgres://u@h/d?schema=Robert');DROP", "postgres://u@h/d?sslmode=maybe",
                    "postgres://u@h/d?pool=0", "postgres://u@h/d?colour=blue", "postgres://u@h/d?host=relative"] {
            #expect(throws: PostgresStoreConfiguration.Invalid.self, "\(bad)") { try PostgresStoreConfiguration(url: bad, environment: [:]) }
        }
    }

    @Test("an unreachable server: opening fails with a store failure after the connection wait, naming no password")
    func unreachableServer() async throws {
        // A loopback port nothing listens on (bound, then closed).
        let port = try Self.closedLoopbackPort()
        let configuration = try PostgresStoreConfiguration(url: "postgres://mpos:pa55word@127.0.0.1:\(port)/mpos", environment: [:])
        let error = await #expect(throws: StoreError.self) { try await PostgresHostStore.open(configuration) }
        #expect(error?.code == .failure)
        #expect(error?.description.contains("pa55word") == false)
    }

    @Test("nodes opening a new database at the same moment apply each migration once",
          .enabled(if: StoreBackend.postgresURL != nil))
    func concurrentMigrations() async throws {
        let configuration = try PostgresStoreConfiguration(url: StoreBackend.freshPostgresURL())
        let stores = try await withThrowingTaskGroup(of: PostgresHostStore.self) { group in
            for _ in 0..<4 { group.addTask { try await PostgresHostStore.open(configuration) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(try await stores[0].rawScalar("SELECT COUNT(*) FROM schema_migrations") == String(PostgresHostStore.schemaVersion))
        for store in stores.dropFirst() { try await store.close() }
        try await StoreBackend.discard(stores[0])
    }

    @Test("a database whose schema is newer than this program is refused", .enabled(if: StoreBackend.postgresURL != nil))
    func newerSchemaRefused() async throws {
        let configuration = try PostgresStoreConfiguration(url: StoreBackend.freshPostgresURL())
        let store = try await PostgresHostStore.open(configuration)
        _ = try await store.rawScalar("INSERT INTO schema_migrations (version, applied_at) VALUES (999, 0)")
        let error = await #expect(throws: StoreError.self) { try await PostgresHostStore.open(configuration) }
        #expect(error?.code == .schema)
        try await StoreBackend.discard(store)
    }

    static func closedLoopbackPort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        guard bound else { throw StoreError(.failure, "no loopback port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
