public import Foundation
public import MPOSCrypto
public import MPOSHost
public import MPOSHostPostgres
import MPOSHostSQLite

/// The host's data directory (owner-only): `mpos.sqlite` (the embedded store), `lmk.key`
/// (the LMK, unless `MPOS_LMK` is set) and `config.json` (rules and business modules).
///
/// With PostgreSQL (`--database postgres://…`, `MPOS_DATABASE_URL`, or `database` in
/// `config.json`) the store is there instead, and the directory holds the rest: each node of
/// a multi-node host has a copy of it (the same LMK, configuration and TLS identity).
///
/// The LMK file may live elsewhere (`localMasterKeyFile`): in production it should — on
/// another volume, outside the data directory's backups — or come from a secret manager
/// through `MPOS_LMK`. Keeping it beside the database is for a single machine's convenience:
/// a copy of the whole directory is then a copy of every key.
public struct DataDirectory: Sendable {
    public let path: String
    private let lmkFile: String?
    /// The PostgreSQL store's URL given on the command line or in the environment; it
    /// overrides `config.json`'s.
    private let databaseURL: String?

    public init(path: String, localMasterKeyFile: String? = nil, databaseURL: String? = nil) {
        self.path = path
        self.lmkFile = localMasterKeyFile
        self.databaseURL = databaseURL.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Where the store is.
    public enum StoreLocation: Sendable, CustomStringConvertible {
        case sqlite(path: String)
        case postgres(PostgresStoreConfiguration)

        public var description: String {
            switch self {
            case .sqlite(let path): "\(path) (embedded SQLite)"
            case .postgres(let configuration): "\(configuration) (PostgreSQL)"
            }
        }
    }

    public func storeLocation() throws -> StoreLocation {
        guard let url = try databaseURL ?? loadSettings().database else { return .sqlite(path: databasePath) }
        do {
            return .postgres(try PostgresStoreConfiguration(url: url))
        } catch let error as PostgresStoreConfiguration.Invalid {
            throw HostSetupError(error.message)
        }
    }

    /// Whether a host was set up here: the SQLite file exists, or the PostgreSQL database
    /// holds the host's keys.
    public func hasStore() async throws -> Bool {
        guard case .postgres = try storeLocation() else { return FileManager.default.fileExists(atPath: databasePath) }
        let store = try await openStore(creating: true)
        do {
            let initialised = try await store.transaction { tx in try await !tx.hostKeys().isEmpty }
            try await store.close()
            return initialised
        } catch {
            try? await store.close()
            throw error
        }
    }

    public var databasePath: String { (path as NSString).appendingPathComponent("mpos.sqlite") }
    public var localMasterKeyPath: String { lmkFile ?? (path as NSString).appendingPathComponent("lmk.key") }
    public var configurationPath: String { (path as NSString).appendingPathComponent("config.json") }

    /// Creates the directory (0700) with a fresh LMK and the default configuration (naming the
    /// PostgreSQL store, without its password, if one was given); refuses a directory that
    /// already holds a store.
    public func create(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> LocalMasterKey {
        let manager = FileManager.default
        guard !manager.fileExists(atPath: databasePath) else { throw HostSetupError("\(path) already holds a store (\(databasePath))") }
        guard environment[LocalMasterKeyFile.environmentVariable] != nil || !manager.fileExists(atPath: localMasterKeyPath) else {
            throw HostSetupError("\(localMasterKeyPath) exists already; refusing to replace an LMK")
        }
        try manager.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try manager.setAttributes([.posixPermissions: 0o700], ofItemAtPath: path)
        if !manager.fileExists(atPath: configurationPath) {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            var settings = HostSettings()
            if case .postgres(let configuration) = try storeLocation() { settings.database = configuration.description }
            try encoder.encode(settings).write(to: URL(fileURLWithPath: configurationPath))
        }
        if environment[LocalMasterKeyFile.environmentVariable] != nil {
            return try LocalMasterKeyFile.load(path: localMasterKeyPath, environment: environment)
        }
        return try LocalMasterKeyFile.create(at: localMasterKeyPath)
    }

    public func loadLocalMasterKey(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> LocalMasterKey {
        try LocalMasterKeyFile.load(path: localMasterKeyPath, environment: environment)
    }

    public func loadSettings() throws -> HostSettings {
        guard let data = FileManager.default.contents(atPath: configurationPath) else { return HostSettings() }
        do { return try JSONDecoder().decode(HostSettings.self, from: data) } catch {
            throw HostSetupError("\(configurationPath) is not a valid configuration: \(error)")
        }
    }

    /// Removes what a failed `init` created (the store and, if this run made it, the LMK file).
    public func removeAfterFailedInit(createdLocalMasterKeyFile: Bool) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: databasePath + suffix) }
        for file in [TLSIdentity.certificateFile, TLSIdentity.keyFile] { try? FileManager.default.removeItem(atPath: TLSIdentity.path(self, file)) }
        if createdLocalMasterKeyFile { try? FileManager.default.removeItem(atPath: localMasterKeyPath) }
    }

    /// Opens the store; the embedded one must exist (`mpos-host init` creates it), a
    /// PostgreSQL one gets its schema brought up to date.
    public func openStore(creating: Bool = false) async throws -> any HostStore & LedgerStore {
        switch try storeLocation() {
        case .sqlite(let databasePath):
            guard creating || FileManager.default.fileExists(atPath: databasePath) else {
                throw HostSetupError("no store in \(path): run `mpos-host init --data-dir \(path)` first")
            }
            return try await SQLiteHostStore.open(path: databasePath)
        case .postgres(let configuration):
            return try await PostgresHostStore.open(configuration)
        }
    }
}
