// The host's operations in process, without sockets: one request frame in, one response out,
// each a durable SQLite transaction (WAL, synchronous=FULL) on a file in the temporary
// directory — and, with MPOS_BENCH_POSTGRES_URL set (e.g. inside scripts/with-postgres), on
// PostgreSQL in a fresh schema. The terminal side (making requests, checking responses) is
// measured too, as the load generator of issue 7 will be.

import Benchmark
import Foundation
import MPOSCrypto
import MPOSHost
import MPOSHostPostgres
import MPOSHostSQLite
import MPOSProtocol

/// Where a fixture's store is.
enum StoreKind: CustomStringConvertible {
    case sqliteFile, sqliteMemory, postgres(url: String)

    /// The kinds to measure: PostgreSQL only when a server is named.
    static var all: [StoreKind] {
        [.sqliteFile, .sqliteMemory] + (ProcessInfo.processInfo.environment["MPOS_BENCH_POSTGRES_URL"].map { [.postgres(url: $0)] } ?? [])
    }

    var description: String {
        switch self {
        case .sqliteFile: ""
        case .sqliteMemory: ", in-memory store: no fsync"
        case .postgres: ", PostgreSQL on loopback"
        }
    }
}

/// A host on a fresh store, with operator 01 and enrolled terminals.
final class Fixture: @unchecked Sendable {
    let store: any HostStore
    let host: HostEngine
    let admin: HostAdministration
    let folder: URL
    var serial = 0

    init(_ kind: StoreKind = .sqliteFile) async throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("mpos-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        switch kind {
        case .sqliteFile: store = try await SQLiteHostStore.open(path: folder.appendingPathComponent("host.sqlite").path)
        case .sqliteMemory: store = try await SQLiteHostStore.openInMemory()
        case .postgres(let url):
            let schema = "bench_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
            store = try await PostgresHostStore.open(PostgresStoreConfiguration(url: url + (url.contains("?") ? "&" : "?") + "schema=\(schema)"))
        }
        let lmk = try LocalMasterKey()
        _ = try await HostAdministration.initialize(store: store, lmk: lmk, actor: "admin:bench")
        admin = try await HostAdministration.open(store: store, lmk: lmk, actor: "admin:bench")
        _ = try await admin.addOperator(number: "01", name: "Operator 01", key: "Op#5417")
        var configuration = HostConfiguration()
        configuration.cardPolicy = .demonstration
        host = try await HostEngine.start(store: store, lmk: lmk, configuration: configuration,
                                          modules: BusinessModuleRegistry([LedgerModule(store: store)]))
    }

    func terminal() async throws -> TerminalStateMachine {
        let (record, code) = try await admin.addTerminal(label: "bench")
        var machine = TerminalStateMachine(credentials: .init(terminalID: record.id))
        let reply = try await response(try machine.enroll(code: EnrollmentCode(text: code), at: Date()))
        _ = try machine.receive(reply)
        return machine
    }

    func response(_ frame: [UInt8]) async throws -> [UInt8] {
        guard case .respond(let bytes) = await host.handle(frame) else { throw CancellationError() }
        return bytes
    }

    func nextCard() -> String {
        serial += 1
        let body = "622588" + String(format: "%09d", serial)
        return body + String(Luhn.checkDigit(forPayload: body)!)
    }

    func close() async {
        try? await store.close()
        try? FileManager.default.removeItem(at: folder)
    }
}

let operatorCredentials = try! OperatorCredentials(number: "01", key: "Op#5417")

func opening(_ card: String) -> ConfidentialData {
    var data = ConfidentialData()
    data.set(.cardNumber, text: card)
    data.set(.identityDocumentType, text: "01")
    data.set(.identityDocumentNumber, text: "11010519491231002X")
    return data
}

func contract(_ card: String, phone: Int) -> ConfidentialData {
    var data = ConfidentialData()
    data.set(.cardNumber, text: card)
    data.set(.carrierCode, text: "1")
    data.set(.phoneNumber, text: "139\(String(format: "%08d", phone))")
    data.set(.tariff, text: "monthly")
    return data
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .throughput],
        warmupIterations: 5,
        maxDuration: .seconds(5),
        maxIterations: 2_000
    )

    Benchmark("sign-off + sign-on (2 requests: signatures, HPKE x2, 3 fresh keys, TR-31 x6, TMK sealed, 2 commits)") { benchmark in
        let fixture = try await Fixture()
        var machine = try await fixture.terminal()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            if machine.isSignedIn { _ = try machine.receive(await fixture.response(try machine.signOff(operator: operatorCredentials, at: Date()))) }
            _ = try machine.receive(await fixture.response(try machine.signOn(operator: operatorCredentials, at: Date())))
        }
        benchmark.stopMeasurement()
        await fixture.close()
    }

    Benchmark("card opening (MAC, GCM, PIN block, PVV, keyed digests, card encrypted, commit)") { benchmark in
        let fixture = try await Fixture()
        var machine = try await fixture.terminal()
        _ = try machine.receive(await fixture.response(try machine.signOn(operator: operatorCredentials, at: Date())))
        let pin = try PIN("123456")
        let cards = (0..<benchmark.scaledIterations.count).map { _ in fixture.nextCard() }
        benchmark.startMeasurement()
        for card in cards {
            let frame = try machine.businessRequest(.cardOpening, pin: pin, cardNumber: PrimaryAccountNumber(card), confidential: opening(card), at: Date())
            blackHole(try machine.receive(await fixture.response(frame)))
        }
        benchmark.stopMeasurement()
        await fixture.close()
    }

    for kind in StoreKind.all {
        Benchmark("contract signing (MAC, GCM, PIN verified, contract + outbox + audit, commit)\(kind)") { benchmark in
            let fixture = try await Fixture(kind)
            var machine = try await fixture.terminal()
            _ = try machine.receive(await fixture.response(try machine.signOn(operator: operatorCredentials, at: Date())))
            let pin = try PIN("123456")
            let card = fixture.nextCard()
            _ = try machine.receive(await fixture.response(try machine.businessRequest(.cardOpening, pin: pin, cardNumber: PrimaryAccountNumber(card), confidential: opening(card), at: Date())))
            var phone = 0
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                phone += 1
                let frame = try machine.businessRequest(.contractSigning, pin: pin, cardNumber: PrimaryAccountNumber(card), confidential: contract(card, phone: phone), at: Date())
                blackHole(try machine.receive(await fixture.response(frame)))
            }
            benchmark.stopMeasurement()
            await fixture.close()
        }
    }
}
