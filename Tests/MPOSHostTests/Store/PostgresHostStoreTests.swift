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
}
