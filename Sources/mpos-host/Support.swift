import ArgumentParser
import Foundation
import MPOSErrors
import MPOSCore
import MPOSCrypto
import MPOSHost
import MPOSHostRuntime
import MPOSAdminAPI
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Options every administration command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "The host's data directory (store, LMK file, config.json).")
    var dataDir: String = ProcessInfo.processInfo.environment["MPOS_DATA_DIR"] ?? "mpos-data"

    @Flag(name: .long, help: "Print JSON for scripts instead of a table.")
    var json = false

    @Option(name: .long, help: "The LMK file, if not in the data directory (or set MPOS_LMK_FILE; MPOS_LMK holds the key itself).")
    var lmkFile: String?

    @Option(name: .long, help: "A name to add to the audit trail's record of who acted (the system user is always recorded).")
    var actor: String?

    @Option(name: .long, help: ArgumentHelp(
        "The PostgreSQL store, postgres://USER@HOST:PORT/DATABASE (or set MPOS_DATABASE_URL; default: config.json's, else embedded SQLite).",
        discussion: "Keep the password out of it: PGPASSWORD is read from the environment."))
    var database: String?

    @Option(name: .long, help: ArgumentHelp(
        "Administer through the admin API at this address (or set MPOS_ADMIN_URL) instead of the store and LMK.",
        discussion: "The token comes from MPOS_ADMIN_TOKEN, or from `mpos-host login`'s token file."))
    var url: String?

    @Option(name: .long, help: "With --url: a PEM certificate (the admin API's or its CA's) to trust besides the system's.")
    var caCertificate: String?

    /// Only what is given here: a kept token never switches a command to remote mode by itself
    /// (local recovery stays reachable).
    var adminURL: String? { url ?? ProcessInfo.processInfo.environment["MPOS_ADMIN_URL"] }

    /// Through the API with `--url` (no LMK, no store here), else on the store with the LMK.
    func withAdministering<T>(_ body: (any Administering) async throws -> T) async throws -> T {
        if let adminURL {
            return try await withClient(adminURL) { client in try await body(RemoteAdministration(client: client)) }
        }
        let lifetime = try directory.loadSettings().hostConfiguration.enrollmentCodeLifetime
        return try await withAdministration { admin in try await body(LocalAdministration(admin: admin, enrollmentCodeLifetime: lifetime)) }
    }

    /// The admin API's client, with the kept token (for commands that exist only over the API).
    func withClient<T>(_ url: String, _ body: (AdminClient) async throws -> T) async throws -> T {
        // The kept token goes only to the address it was issued by.
        let kept = try AdminTokenFile.read().flatMap { $0.url == url ? $0.token : nil }
        guard let token = ProcessInfo.processInfo.environment["MPOS_ADMIN_TOKEN"] ?? kept else {
            throw HostSetupError("no admin token: run `mpos-host login --url \(url) --user NAME`, or set MPOS_ADMIN_TOKEN")
        }
        return try await AdminClient.with(url: url, token: token, caCertificate: caCertificate, body)
    }

    var directory: DataDirectory {
        let environment = ProcessInfo.processInfo.environment
        return DataDirectory(path: dataDir, localMasterKeyFile: lmkFile ?? environment["MPOS_LMK_FILE"],
                             databaseURL: database ?? environment["MPOS_DATABASE_URL"])
    }

    /// The audit trail's actor: the system user running the command (which a flag cannot
    /// change), and the name given with `--actor`, if any.
    var auditActor: String {
        let user = getpwuid(geteuid()).flatMap { $0.pointee.pw_name.map { String(cString: $0) } } ?? "uid \(geteuid())"
        guard let actor, actor != user else { return "admin:\(user)" }
        return "admin:\(user) (as \(actor))"
    }

    /// Opens store, LMK and administration; hands them to `body`; closes the store.
    func withAdministration<T>(_ body: (HostAdministration) async throws -> T) async throws -> T {
        let lmk = try directory.loadLocalMasterKey()
        let store = try await directory.openStore()
        do {
            let admin = try await HostAdministration.open(store: store, lmk: lmk, actor: auditActor)
            let result = try await body(admin)
            try await store.close()
            return result
        } catch {
            try? await store.close()
            throw error
        }
    }
}

/// Runs a command body, turning the project's errors into a message on stderr and exit code 1.
/// Every command starts by refusing core dumps: most of them hold the LMK or read secrets.
func runReportingErrors(_ body: () async throws -> Void) async throws {
    ProcessHardening.disableCoreDumps()
    do {
        try await body()
    } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch {
        let message: String
        switch error {
        case let error as StoreError: message = "the store failed: \(error.message)"
        case let error as AdminAPIError: message = "\(error.message) (\(error.code))"
        case let error as any CodedError: message = error.message
        default: message = String(describing: error)
        }
        FileHandle.standardError.write(Data("mpos-host: error: \(message)\n".utf8))
        throw ExitCode(1)
    }
}

/// One value of a table cell; JSON keeps its type.
enum Cell: Encodable, CustomStringConvertible {
    case text(String)
    case number(Int64)
    case flag(Bool)
    case none

    init(_ text: String?) { self = text.map(Cell.text) ?? .none }
    init(_ number: Int?) { self = number.map { .number(Int64($0)) } ?? .none }
    init(_ number: Int64?) { self = number.map(Cell.number) ?? .none }
    init(_ date: Date?) { self = date.map { .text($0.formatted(.iso8601)) } ?? .none }

    var description: String {
        switch self {
        case .text(let text): text
        case .number(let number): String(number)
        case .flag(let flag): flag ? "yes" : "no"
        case .none: "-"
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .text(let text): try container.encode(text)
        case .number(let number): try container.encode(number)
        case .flag(let flag): try container.encode(flag)
        case .none: try container.encodeNil()
        }
    }
}

/// Rows for people (aligned columns) or for scripts (a JSON array of objects).
struct Table {
    let columns: [String]
    var rows: [[Cell]] = []

    init(_ columns: String...) { self.columns = columns }

    mutating func add(_ cells: Cell...) { rows.append(cells) }

    func print(json: Bool) {
        if json {
            printJSON(rows.map { Dictionary(uniqueKeysWithValues: zip(columns.map(snakeCase), $0)) })
            return
        }
        let texts = rows.map { $0.map(\.description) }
        let widths = columns.indices.map { index in texts.map { $0[index].count }.max().map { max($0, columns[index].count) } ?? columns[index].count }
        func line(_ cells: [String]) -> String {
            zip(cells, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }
        Swift.print(line(columns.map { $0.uppercased() }))
        for row in texts { Swift.print(line(row)) }
        if rows.isEmpty { Swift.print("(none)") }
    }

    private func snakeCase(_ column: String) -> String { column.replacingOccurrences(of: " ", with: "_") }
}

func printJSON(_ value: some Encodable) {
    if let data = try? jsonData(value) { Swift.print(String(decoding: data, as: UTF8.self)) }
}

func jsonData(_ value: some Encodable) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    return try encoder.encode(value)
}

var isInteractive: Bool { SecretInput.isInteractive }


/// The key ceremony: each custodian types their component (hidden) and the check value
/// printed with it; a mistyped component is caught before anything is stored.
func readKeyComponents(count: Int) throws -> [KeyComponent] {
    guard (2...3).contains(count) else { throw ValidationError("a key ceremony has 2 or 3 components") }
    var components: [KeyComponent] = []
    for custodian in 1...count {
        let hex = try SecretInput.read("Custodian \(custodian) of \(count): component (32, 48 or 64 hex digits, not shown): ")
        let checkValue = try SecretInput.readVisible("Custodian \(custodian) of \(count): the component's check value: ")
        let component = try KeyComponent(hex: hex.trimmingCharacters(in: .whitespaces).uppercased(),
                                         expectedCheckValue: KeyCheckValue(hex: checkValue.trimmingCharacters(in: .whitespaces).uppercased()))
        FileHandle.standardError.write(Data("component \(custodian) accepted (check value \(component.checkValue))\n".utf8))
        components.append(component)
    }
    return components
}
