import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import MPOSAdminAPI
import MPOSCrypto
import MPOSHost
import MPOSHostSQLite
import NIOConcurrencyHelpers
import NIOCore

/// A host on an in-memory SQLite store and its administration API, called through
/// Hummingbird's in-process test client: real routes, middleware, store and audit trail.
struct AdminHarness {
    let store: SQLiteHostStore
    let administration: HostAdministration
    let api: AdminAPI
    let routes: [AdminRouteDescription]
    /// bcrypt's lowest cost: the same code, 2⁴ rounds instead of 2¹².
    static let hasher = BcryptPasswordHasher(cost: 4)
    static let password = "correct horse battery"

    static func make(policy: AdminPolicy = AdminPolicy(), clock: ManualClock = ManualClock()) async throws -> AdminHarness {
        let store = try await SQLiteHostStore.openInMemory()
        let lmk = try LocalMasterKey()
        _ = try await HostAdministration.initialize(store: store, lmk: lmk, actor: "test")
        let administration = try await HostAdministration.open(store: store, lmk: lmk, actor: "api", clock: { clock.now })
        var configuration = AdminAPI.Configuration()
        configuration.policy = policy
        let readiness = AdminAPI.Readiness()
        readiness.set(true)
        let api = AdminAPI(administration: administration, configuration: configuration, hasher: hasher, readiness: readiness)
        return AdminHarness(store: store, administration: administration, api: api, routes: api.router().routes)
    }

    /// Adds a person (if new) and returns a fresh API token acting as them.
    func token(_ role: AdminRole, name: String? = nil) async throws -> String {
        let name = name ?? role.rawValue
        if (try? await administration.adminUser(name)) == nil {
            _ = try await administration.addUser(name: name, role: role, password: Self.password, hasher: Self.hasher, policy: api.configuration.policy)
        }
        return try await administration.issueToken(for: AdminIdentity(name: name, role: role), label: "test", lifetime: nil,
                                                   policy: api.configuration.policy).token
    }

    func test(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = Application(router: api.router().router)
        try await app.test(.router, body)
    }

    func close() async throws { try await store.close() }
}

/// A decoded answer: status, headers and body.
struct Answer: Sendable {
    let status: HTTPResponse.Status
    let headers: HTTPFields
    let body: String

    /// A problem answer's stable code.
    var code: String? { (try? JSONDecoder().decode([String: AnyCodableString].self, from: Data(body.utf8)))?["code"]?.text }

    func decode<T: Decodable>(_ type: T.Type) throws -> T { try AdminJSON.decoder.decode(T.self, from: Data(body.utf8)) }
}

struct AnyCodableString: Decodable {
    let text: String?
    init(from decoder: any Decoder) throws {
        text = try? decoder.singleValueContainer().decode(String.self)
    }
}

extension TestClientProtocol {
    func call(_ method: HTTPRequest.Method, _ path: String, token: String? = nil, cookie: String? = nil, csrf: String? = nil,
              json: String? = nil) async throws -> Answer {
        var headers = HTTPFields()
        if let token { headers[.authorization] = "Bearer \(token)" }
        if let cookie { headers[.cookie] = "mpos_session=\(cookie)" }
        if let csrf { headers[HTTPField.Name("X-CSRF-Token")!] = csrf }
        if json != nil { headers[.contentType] = "application/json" }
        return try await execute(uri: path, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) }) { response in
            Answer(status: response.status, headers: response.headers, body: String(buffer: response.body))
        }
    }
}

/// Time that moves only when a test says so.
final class ManualClock: Sendable {
    private let time = NIOLockedValueBox(Date())
    var now: Date { time.withLockedValue { $0 } }
    func advance(_ seconds: TimeInterval) { time.withLockedValue { $0 += seconds } }
}
