public import Foundation
public import Hummingbird
import HummingbirdCore
import HummingbirdTLS
public import Logging
public import MPOSHost
public import NIOSSL
import NIOConcurrencyHelpers
public import NIOCore
public import Prometheus


/// The administration API as `mpos-host serve` runs it on its own listener: people with roles
/// (sessions for browsers, tokens for scripts), every administration task over
/// ``HostAdministration``, dual control for key changes, `/metrics`, `/health` and `/ready`.
public struct AdminAPI: Sendable {
    public struct Configuration: Sendable {
        public var host = "127.0.0.1"
        public var port = 8580
        /// Required unless `host` is a loopback address: people's passwords and tokens cross it.
        public var tls: TLSConfiguration?
        public var policy = AdminPolicy()
        /// How long a new terminal's enrollment code works (the host's configuration).
        public var enrollmentCodeLifetime: TimeInterval = HostConfiguration().enrollmentCodeLifetime

        public init() {}

        /// Whether `host` is a loopback address (plain HTTP is allowed there alone): an IPv4
        /// address in 127.0.0.0/8 or `::1`, written as an address — no name, which could
        /// resolve elsewhere.
        public var isLoopback: Bool {
            if host == "::1" { return true }
            let parts = host.split(separator: ".", omittingEmptySubsequences: false)
            return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { part in
                !part.isEmpty && part.count <= 3 && part.allSatisfy(\.isASCII) && part.allSatisfy(\.isNumber) && (Int(part) ?? 256) <= 255
            }
        }
        /// A connection with no request for this long is closed (slow clients hold nothing).
        public var idleTimeout: TimeAmount = .seconds(60)
    }

    /// The administration the API acts through; each request acts as its caller.
    public let administration: HostAdministration
    public let configuration: Configuration
    let hasher: any PasswordHasher
    /// Requests by response code over the last hour, from this node's engine.
    let recentOutcomes: RecentOutcomes?
    let metrics: PrometheusCollectorRegistry?
    let readiness: Readiness
    let storeGauges = StoreGauges()
    let auditStatus = AuditStatusCache()

    public init(administration: HostAdministration, configuration: Configuration, hasher: any PasswordHasher = BcryptPasswordHasher(),
                recentOutcomes: RecentOutcomes? = nil, metrics: PrometheusCollectorRegistry? = nil, readiness: Readiness = Readiness()) {
        self.administration = administration; self.configuration = configuration; self.hasher = hasher
        self.recentOutcomes = recentOutcomes; self.metrics = metrics; self.readiness = readiness
    }

    var policy: AdminPolicy { configuration.policy }
    var enrollmentCodeLifetime: TimeInterval { configuration.enrollmentCodeLifetime }

    /// The router with every route; `routes` describes them (for the role and document tests).
    public func router() -> (router: Router<AdminRequestContext>, routes: [AdminRouteDescription]) {
        let router = Router(context: AdminRequestContext.self)
        router.add(middleware: SecurityHeaders())
        router.add(middleware: ProblemMiddleware())
        let knownPaths = MethodNotAllowed.Paths()
        router.add(middleware: MethodNotAllowed(paths: knownPaths))
        router.add(middleware: AdminAuthentication(administration: administration, policy: policy))
        let table = AdminRouteTable(router: router, api: self)
        ServiceRoutes.register(on: table)
        SessionRoutes.register(on: table)
        UserRoutes.register(on: table)
        FleetRoutes.register(on: table)
        OperatorRoutes.register(on: table)
        TerminalRoutes.register(on: table)
        KeyRoutes.register(on: table)
        RecordRoutes.register(on: table)
        AuditRoutes.register(on: table)
        Console.register(on: table)
        knownPaths.known = table.allowedMethods
        return (router, table.descriptions)
    }

    /// The HTTP(S) server as a service; `onListening` gets the bound port.
    public func application(logger: Logger, onListening: @escaping @Sendable (Int) async -> Void = { _ in }) throws -> some ApplicationProtocol {
        guard configuration.tls != nil || configuration.isLoopback else {
            throw HostError(.invalidRequest, "the admin API on \(configuration.host) needs HTTPS (--admin-certificate and --admin-private-key): plain HTTP is for a loopback address only")
        }
        let http1 = HTTPServerBuilder.http1(configuration: .init(idleTimeout: configuration.idleTimeout))
        let server: HTTPServerBuilder = try configuration.tls.map { try .tls(http1, tlsConfiguration: $0) } ?? http1
        return Application(router: router().router, server: server,
                           configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
                           onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) }, logger: logger)
    }

    /// Whether `/ready` says yes: false until the host has loaded, and from the moment a
    /// graceful shutdown begins (so a load balancer stops sending work before the listener closes).
    public final class Readiness: Sendable {
        private let state = NIOLockedValueBox(false)
        public init() {}
        public var isReady: Bool { state.withLockedValue { $0 } }
        public func set(_ ready: Bool) { state.withLockedValue { $0 = ready } }
    }

    var secureCookies: Bool { configuration.tls != nil }
}

/// Headers every answer carries: no caching of personal data, no framing, no sniffing.
struct SecurityHeaders<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.init("X-Content-Type-Options")!] = "nosniff"
        response.headers[.init("X-Frame-Options")!] = "DENY"
        response.headers[.init("Referrer-Policy")!] = "no-referrer"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        return response
    }
}
