import AsyncHTTPClient
import Foundation
import MPOSAdminAPI
import MPOSErrors
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import NIOSSL

/// An error the administration API answered with: its stable code and its message.
typealias AdminAPIError = MPOSError<AdminAPIErrorDomain>
enum AdminAPIErrorDomain: Sendable {}

/// The administration API over HTTP(S), as the CLI's `--url` mode uses it: JSON in and out,
/// a token in the `Authorization` header, problems turned into errors with the API's codes.
struct AdminClient: Sendable {
    let baseURL: String
    let token: String?
    let http: HTTPClient
    /// Extra headers (a session's cookie and CSRF token, while logging in).
    var headers: [(String, String)] = []

    static let timeout = TimeAmount.seconds(60)

    /// Runs `body` with a client for `url`, trusting `caCertificate` (PEM) as well as the
    /// system's roots; shuts the client down after.
    static func with<T>(url: String, token: String?, caCertificate: String?, _ body: (AdminClient) async throws -> T) async throws -> T {
        guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), let host = parsed.host else {
            throw AdminAPIError(ErrorCodeOf("api.url"), "--url is http(s)://HOST:PORT (the admin API's address)")
        }
        // Passwords and tokens cross it: plain HTTP to this machine only.
        guard parsed.scheme == "https" || ["127.0.0.1", "::1", "[::1]", "localhost"].contains(host) else {
            throw AdminAPIError(ErrorCodeOf("api.url"), "--url must be https:// for any host but this one (127.0.0.1)")
        }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        if let caCertificate {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caCertificate))
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls, redirectConfiguration: .disallow)
        configuration.timeout = .init(connect: .seconds(10), read: timeout)
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let client = AdminClient(baseURL: url.hasSuffix("/") ? String(url.dropLast()) : url, token: token, http: http)
        do {
            let result = try await body(client)
            try await http.shutdown()
            return result
        } catch {
            try? await http.shutdown()
            throw error
        }
    }

    /// Sends a request; returns the body of a 2xx answer, throws the problem of any other.
    func send(_ method: HTTPMethod, _ path: String, json body: (any Encodable)? = nil) async throws -> (body: Data, headers: HTTPHeaders) {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try AdminJSON.encoder.encode(body)))
        }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: Self.timeout)
        } catch {
            throw AdminAPIError(ErrorCodeOf("api.unreachable"), "cannot reach the admin API at \(baseURL): is `mpos-host serve` running there (see --admin-host/--admin-port)?")
        }
        let data = Data(buffer: try await response.body.collect(upTo: 64 * 1024 * 1024))
        guard (200..<300).contains(response.status.code) else {
            struct Problem: Decodable { let code: String; let detail: String }
            if let problem = try? JSONDecoder().decode(Problem.self, from: data) {
                throw AdminAPIError(ErrorCodeOf(problem.code), problem.detail)
            }
            throw AdminAPIError(ErrorCodeOf("api.http"), "the admin API answered \(response.status.code) \(response.status.reasonPhrase)")
        }
        return (data, response.headers)
    }

    func get<T: Decodable>(_ path: String, as type: T.Type = T.self) async throws -> T {
        try AdminJSON.decoder.decode(T.self, from: try await send(.GET, path).body)
    }

    func post<T: Decodable>(_ path: String, _ body: (any Encodable)? = nil, as type: T.Type = T.self) async throws -> T {
        try AdminJSON.decoder.decode(T.self, from: try await send(.POST, path, json: body ?? [String: String]()).body)
    }

    /// Every item of a paged list (or the first `upTo`), a page of 1,000 at a time.
    func all<Item: Codable & Sendable>(_ path: String, as type: Item.Type = Item.self, upTo limit: Int = .max) async throws -> [Item] {
        var items: [Item] = []
        let separator = path.contains("?") ? "&" : "?"
        while items.count < limit {
            let page: Page<Item> = try await get("\(path)\(separator)offset=\(items.count)&limit=\(min(1000, limit - items.count))")
            items += page.items
            if page.items.isEmpty || items.count >= page.total { break }
        }
        return Array(items.prefix(limit))
    }
}

/// A path segment with everything but unreserved characters percent-encoded.
func segment(_ text: String) -> String {
    text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
}
