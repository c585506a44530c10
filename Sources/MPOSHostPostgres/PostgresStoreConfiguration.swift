public import MPOSErrors
public import Foundation

/// Where the PostgreSQL store is, from a `postgres://` URL:
///
///     postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|require&schema=NAME&pool=N&host=/socket/dir]
///
/// The password is better kept out of the URL (a command line is visible to every user of the
/// machine): without one, `PGPASSWORD` from the environment is used. TLS is required unless
/// the server is on loopback or a Unix socket, where it is off; `sslmode` overrides either
/// (`require` verifies the server's certificate against the system's roots and its name).
/// `schema` keeps the tables in a schema of their own (created if missing); `pool` caps the
/// node's connections (default 16).
public struct PostgresStoreConfiguration: Sendable, Equatable, CustomStringConvertible {
    /// Whether `url` carries a password (which a file such as `config.json` must not hold).
    public static func hasPassword(_ url: String) -> Bool {
        URLComponents(string: url)?.password != nil
    }

    public enum TLSMode: String, Sendable, Equatable {
        case disable
        case require
    }

    public var host: String
    public var port: Int
    /// A directory holding the server's Unix socket (`host=/path` in the URL), instead of TCP.
    public var socketDirectory: String?
    public var username: String
    public var password: String?
    public var database: String
    public var schema: String?
    public var tls: TLSMode
    public var maximumConnections: Int

    /// A database URL that cannot be used, and why.
    public struct Invalid: CodedError {
        public typealias Code = ErrorCodeOf<Invalid>

        public let code = Code.databaseURL
        public let message: String
        init(description message: String) { self.message = message }
    }

    public init(url: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? "") else {
            throw Invalid(description: "the database URL must begin postgres:// (postgres://user@host:port/database)")
        }
        guard let user = components.user, !user.isEmpty else { throw Invalid(description: "the database URL names no user") }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else { throw Invalid(description: "the database URL names no database") }
        var query: [String: String] = [:]
        for item in components.queryItems ?? [] {
            guard let value = item.value, query[item.name] == nil else { throw Invalid(description: "the database URL repeats \(item.name) or gives it no value") }
            query[item.name] = value
        }
        if let unknown = query.keys.first(where: { !["sslmode", "schema", "pool", "host"].contains($0) }) {
            throw Invalid(description: "the database URL has an unknown parameter \(unknown) (sslmode, schema, pool, host)")
        }
        self.username = user
        self.password = components.password ?? environment["PGPASSWORD"]
        var redacted = components
        redacted.password = nil
        self.description = redacted.string ?? "postgres://\(user)@…/\(database)"
        self.database = database
        self.host = components.host ?? ""
        self.port = components.port ?? 5432
        self.socketDirectory = query["host"]
        if let directory = socketDirectory, !directory.hasPrefix("/") {
            throw Invalid(description: "the database URL's host parameter must be a socket directory (an absolute path)")
        }
        if host.isEmpty && socketDirectory == nil { throw Invalid(description: "the database URL names no host") }
        if let schema = query["schema"] {
            // An identifier the store can put into SQL as it is.
            guard schema.range(of: "^[a-z_][a-z0-9_]{0,62}$", options: .regularExpression) != nil else {
                throw Invalid(description: "the schema must be a lower-case SQL identifier (letters, digits, _)")
            }
        }
        self.schema = query["schema"]
        let local = socketDirectory != nil || ["localhost", "127.0.0.1", "::1"].contains(host)
        switch query["sslmode"] {
        case nil: tls = local ? .disable : .require
        case let mode?:
            guard let mode = TLSMode(rawValue: mode) else { throw Invalid(description: "sslmode must be disable or require") }
            tls = mode
        }
        if let pool = query["pool"] {
            guard let size = Int(pool), (1...1000).contains(size) else { throw Invalid(description: "pool must be 1 to 1000 connections") }
            maximumConnections = size
        } else {
            maximumConnections = 16
        }
    }

    /// The URL without its password: what logs, errors and `config.json` may hold.
    public let description: String
}

extension ErrorCodeOf where Domain == PostgresStoreConfiguration.Invalid {
    public static var databaseURL: Self { Self("store.database-url") }
        
}
