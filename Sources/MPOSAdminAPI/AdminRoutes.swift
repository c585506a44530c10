public import Foundation
public import Hummingbird
public import MPOSHost

/// Who may call a route.
public enum AdminAccess: Sendable, Hashable {
    /// No sign-in (health, readiness, metrics, signing in).
    case anyone
    /// Anyone signed in, whatever their role (their own session and tokens).
    case signedIn
    /// A role with this permission.
    case permission(AdminPermission)
}

/// One operation of the API as docs/admin-api.yaml names it: method, path (`{id}` for a
/// parameter) and who may call it. The role tests and the document's test walk this table.
public struct AdminRouteDescription: Sendable, Hashable {
    public let method: HTTPRequest.Method
    public let path: String
    public let access: AdminAccess
}

/// What every route handler has: the request, its context (with the caller) and the host.
struct AdminCall: Sendable {
    let request: Request
    let context: AdminRequestContext
    let api: AdminAPI

    var identity: AdminIdentity? { context.identity }

    /// The administration acting for the caller (the audit trail names them and their role).
    var administration: HostAdministration {
        get throws { api.administration.acting(as: try context.requireIdentity()) }
    }

    /// A path parameter, percent-decoded (`/api/v1/terminals/T%2F1` names terminal `T/1`).
    func parameter(_ name: String) throws -> String {
        guard let raw = context.parameters.get(name), raw.utf8.count <= 3 * 64, let value = raw.removingPercentEncoding,
              AdminNames.isPrintable(value, limit: 64) else {
            throw AdminProblem(.badRequest, code: "api.bad-request", "the path's \(name) is missing or not 1-64 printable characters")
        }
        return value
    }

    func integerParameter(_ name: String) throws -> Int64 {
        guard let value = Int64(try parameter(name)), value > 0 else {
            throw AdminProblem(.badRequest, code: "api.bad-request", "the path's \(name) is a positive whole number")
        }
        return value
    }

    /// A query value of at most 64 printable characters, or nil.
    func query(_ name: String) throws -> String? {
        guard let value = request.uri.queryParameters[name[...]].map(String.init) else { return nil }
        guard AdminNames.isPrintable(value, limit: 64) else {
            throw AdminProblem(.badRequest, code: "api.bad-request", "the query's \(name) is 1-64 printable characters")
        }
        return value
    }

    func integerQuery(_ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = try query(name) else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw AdminProblem(.badRequest, code: "api.bad-request", "the query's \(name) is a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    /// The JSON body; any other media type is refused (a form another site posts is
    /// `text/plain` or `application/x-www-form-urlencoded`, never JSON without CORS).
    func body<T: Decodable>(_ type: T.Type) async throws -> T {
        guard let contentType = request.headers[.contentType], contentType.lowercased().hasPrefix("application/json") else {
            throw AdminProblem(.unsupportedMediaType, code: "api.media-type", "send the body as application/json")
        }
        return try await request.decode(as: type, context: context)
    }

    /// The request's `offset` and `limit` (1–1,000, default 100).
    func paging() throws -> (offset: Int, limit: Int) {
        (try integerQuery("offset", default: 0, range: 0...10_000_000), try integerQuery("limit", default: 100, range: 1...1000))
    }

    /// A page the store read, as the API answers it.
    func page<Record: Sendable, Item: Codable & Sendable>(_ page: RecordPage<Record>, _ view: (Record) -> Item) throws -> Page<Item> {
        let (offset, limit) = try paging()
        return Page(items: page.rows.map(view), total: page.total, offset: offset, limit: limit)
    }

    /// `offset` and `limit` (1–1,000, default 100) applied to a whole list.
    func page<Item: Codable & Sendable>(_ items: [Item]) throws -> Page<Item> {
        let offset = try integerQuery("offset", default: 0, range: 0...10_000_000)
        let limit = try integerQuery("limit", default: 100, range: 1...1000)
        let slice = offset < items.count ? Array(items[offset..<min(items.count, offset + limit)]) : []
        return Page(items: slice, total: items.count, offset: offset, limit: limit)
    }
}

/// JSON answers: snake_case keys, ISO 8601 times, never cached (they may hold personal data).
func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
    let data = try AdminJSON.encoder.encode(value)
    var headers = HTTPFields()
    headers[.contentType] = "application/json"
    headers[.cacheControl] = "no-store"
    return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
}

func noContent() -> Response { Response(status: .noContent, headers: [.cacheControl: "no-store"]) }

/// The API's JSON coding, shared with its clients (the CLI's `--url` mode).
public enum AdminJSON {
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    public static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}

extension AdminRequestContext {
    public var requestDecoder: JSONDecoder { AdminJSON.decoder }
    public var responseEncoder: JSONEncoder { AdminJSON.encoder }
}

/// Registers routes on the router and keeps their descriptions.
final class AdminRouteTable: @unchecked Sendable {
    // Only touched while the router is built, before the server starts.
    private(set) var descriptions: [AdminRouteDescription] = []
    /// The web console's pages and forms (not part of docs/admin-api.yaml).
    var consoleDescriptions: [AdminRouteDescription] = []
    let router: Router<AdminRequestContext>
    let api: AdminAPI

    init(router: Router<AdminRequestContext>, api: AdminAPI) {
        self.router = router; self.api = api
    }

    func add(_ method: HTTPRequest.Method, _ path: String, _ access: AdminAccess,
             _ handler: @escaping @Sendable (AdminCall) async throws -> Response) {
        descriptions.append(AdminRouteDescription(method: method, path: path, access: access))
        on(method, path) { [api] request, context in
            switch access {
            case .anyone: break
            case .signedIn: _ = try context.requireIdentity()
            case .permission(let permission): _ = try context.require(permission)
            }
            return try await handler(AdminCall(request: request, context: context, api: api))
        }
    }

    /// Registers a responder on the router, and HEAD beside each GET.
    func on(_ method: HTTPRequest.Method, _ path: String, _ respond: @escaping @Sendable (Request, AdminRequestContext) async throws -> Response) {
        router.on(Self.routerPath(path), method: method, use: respond)
        // HEAD is GET without the body (RFC 9110 §9.3.2).
        if method == .get {
            router.on(Self.routerPath(path), method: .head) { request, context in
                let response = try await respond(request, context)
                return Response(status: response.status, headers: response.headers)
            }
        }
    }

    /// The methods each known path takes, for ``MethodNotAllowed``.
    var allowedMethods: [(segments: [Substring], allow: String)] {
        var byPath: [String: [String]] = [:]
        for route in descriptions + consoleDescriptions { byPath[route.path, default: []].append(route.method.rawValue) }
        for (path, methods) in byPath where methods.contains("GET") { byPath[path] = methods + ["HEAD"] }
        return byPath.map { (segments: $0.key.split(separator: "/"), allow: $0.value.joined(separator: ", ")) }
    }

    /// `/api/v1/terminals/{id}` as Hummingbird writes it: `/api/v1/terminals/:id`.
    static func routerPath(_ path: String) -> RouterPath {
        RouterPath(path.split(separator: "/").map { $0.hasPrefix("{") ? ":" + $0.dropFirst().dropLast() : $0 }.joined(separator: "/"))
    }
}

/// Any other method on a known path — TRACE, QUERY, whatever a client invents — answers 405
/// with the `Allow` header (RFC 9110 §15.5.6), not 404.
struct MethodNotAllowed: RouterMiddleware {
    typealias Context = AdminRequestContext
    /// Filled once the routes are registered, before the server starts.
    final class Paths: @unchecked Sendable {
        var known: [(segments: [Substring], allow: String)] = []
    }
    let paths: Paths

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as any HTTPResponseError where error.status == .notFound {
            let segments = request.uri.path.split(separator: "/")
            guard let known = paths.known.first(where: { pattern in
                pattern.segments.count == segments.count && zip(pattern.segments, segments).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
            }) else { throw error }
            var response = try AdminProblem(.methodNotAllowed, code: "api.method", "this path takes \(known.allow)").response(from: request, context: context)
            response.headers[.allow] = known.allow
            return response
        }
    }
}
