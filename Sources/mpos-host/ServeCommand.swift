import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Metrics
import MPOSAdminAPI
import Prometheus
import MPOSHost
import MPOSHostRuntime
import MPOSServer
import NIOCore
import NIOSSL
import ServiceLifecycle

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the host: the TCP server for terminals and the outbox dispatcher, until SIGTERM or SIGINT.",
        discussion: """
            With no store in the data directory, it creates the embedded SQLite default there first and says so. \
            With --database (or MPOS_DATABASE_URL, or database in config.json) it serves from PostgreSQL: run any \
            number of nodes on one database, each with a copy of the data directory and its own --node name.
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port).") var port = 8583
    @Option(help: "Most connections at once (default 10000, lowered to what the descriptor limit allows).") var maxConnections: Int?
    @Option(help: "Most connections from one IPv4 address or IPv6 /64 (terminals behind one NAT share an address: raise it for them).")
    var maxConnectionsPerAddress = 256
    @Option(help: "Most connections that have not yet sent an authenticated request (default: a quarter of --max-connections).")
    var maxUnauthenticatedConnections: Int?
    @Option(help: "Seconds a connection has to send its first authenticated request.") var unauthenticatedTimeout = 10
    @Option(help: "Seconds a connection may stay silent.") var idleTimeout = 300
    @Option(help: "Seconds a frame, once begun, has to arrive whole.") var frameTimeout = 10
    @Option(help: "Largest frame accepted, in bytes.") var maxFrameLength = 4096
    @Option(help: "Requests read ahead per connection.") var maxInFlight = 4
    @Option(help: "This node's name in outbox leases (default: host name and process ID).") var node: String?
    @Flag(help: "Speak TLS (1.2+) with the data directory's certificate, which terminals pin.") var tls = false
    @Flag(help: "Log every request (operation, terminal, response code, time; never message contents).") var verbose = false
    @Option(help: "Log lines as `text` or `json` (one object a line), on standard error.") var logFormat: LogFormat = .text
    @Option(help: "Address of the administration API (HTTP on loopback only; elsewhere HTTPS with --admin-certificate).") var adminHost = "127.0.0.1"
    @Option(help: "Port of the administration API (0: any free port; -1: none).") var adminPort = 8580
    @Option(help: "The admin API's HTTPS certificate chain (PEM).") var adminCertificate: String?
    @Option(help: "The admin API's HTTPS private key (PEM, readable by the host's user only).") var adminPrivateKey: String?
    @Option(help: "Seconds between /ready turning 503 and the listeners closing, at a graceful shutdown (for a load balancer to notice).")
    var drainSeconds = 0
    @Option(help: "Seconds a browser session (the console's) lasts without a request.") var adminSessionIdleSeconds = 900

    enum LogFormat: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    func validate() throws {
        guard (512...65_535).contains(maxFrameLength) else { throw ValidationError("--max-frame-length is 512 to 65535") }
        guard (maxConnections ?? 1) >= 1, maxInFlight >= 1, idleTimeout >= 1, frameTimeout >= 1, maxConnectionsPerAddress >= 1,
              (maxUnauthenticatedConnections ?? 1) >= 1, unauthenticatedTimeout >= 1 else {
            throw ValidationError("""
                --max-connections, --max-connections-per-address, --max-unauthenticated-connections, --max-in-flight, \
                --idle-timeout, --unauthenticated-timeout and --frame-timeout are at least 1
                """)
        }
        guard (0...65_535).contains(port) else { throw ValidationError("--port is 0 to 65535") }
        guard (-1...65_535).contains(adminPort) else { throw ValidationError("--admin-port is -1 (none) or 0 to 65535") }
        guard (adminCertificate == nil) == (adminPrivateKey == nil) else { throw ValidationError("--admin-certificate and --admin-private-key go together") }
        guard (0...300).contains(drainSeconds) else { throw ValidationError("--drain-seconds is 0 to 300") }
        guard (5...86_400).contains(adminSessionIdleSeconds) else { throw ValidationError("--admin-session-idle-seconds is 5 to 86400") }
    }

    func run() async throws {
        try await runReportingErrors {
            LoggingSystem.bootstrap { [logFormat, verbose] label in
                switch logFormat {
                case .text:
                    var handler = StreamLogHandler.standardError(label: label)
                    handler.logLevel = verbose ? .debug : .info
                    return handler
                case .json:
                    var handler = JSONLogHandler(label: label)
                    handler.logLevel = verbose ? .debug : .info
                    return handler
                }
            }
            // Before anything makes a counter: every metric goes to the registry /metrics shows.
            let registry = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
            let logger = Logger(label: "mpos.host")
            AllocatorTuning.keepFreedMemoryForReuse()
            let directory = global.directory
            // Held until the process ends: a second serve on this SQLite store refuses to start.
            var lock: ServeLock?
            if case .sqlite = try directory.storeLocation() {
                try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                lock = try ServeLock.acquire(in: directory)
            }
            defer { withExtendedLifetime(lock) {} }
            let connections = try connectionLimit(logger: logger)
            let runtime = try await HostRuntime.open(directory: directory, initializeIfMissing: true, logger: logger)
            var configuration = HostServerConfiguration()
            configuration.host = host
            configuration.port = port
            configuration.maximumConnections = connections
            configuration.maximumConnectionsPerAddress = maxConnectionsPerAddress
            configuration.maximumUnauthenticatedConnections = maxUnauthenticatedConnections
            configuration.unauthenticatedTimeout = .seconds(Int64(unauthenticatedTimeout))
            configuration.idleTimeout = .seconds(Int64(idleTimeout))
            configuration.frameTimeout = .seconds(Int64(frameTimeout))
            configuration.maximumFrameLength = maxFrameLength
            configuration.maximumRequestsInFlight = maxInFlight
            if tls {
                let context = try runtime.tlsContext()
                configuration.tls = { channel in try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context)) }
            }
            let nodeName = node ?? "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
            let (server, hostServices) = runtime.services(server: configuration, node: nodeName, logger: logger)
            let readiness = AdminAPI.Readiness()
            var services = hostServices
            let adminAddress = AdminAddress()
            if adminPort >= 0 {
                var adminConfiguration = AdminAPI.Configuration()
                adminConfiguration.host = adminHost
                adminConfiguration.port = adminPort
                adminConfiguration.policy.sessionIdleTimeout = TimeInterval(adminSessionIdleSeconds)
                adminConfiguration.enrollmentCodeLifetime = runtime.settings.hostConfiguration.enrollmentCodeLifetime
                if let adminCertificate, let adminPrivateKey {
                    adminConfiguration.tls = try AdminTLS.configuration(certificate: adminCertificate, privateKey: adminPrivateKey)
                }
                let api = AdminAPI(administration: try await runtime.administration(actor: "api"), configuration: adminConfiguration,
                                   recentOutcomes: runtime.engine.recentOutcomes, metrics: registry, readiness: readiness)
                // Started first, so stopped last: it answers /ready (503) while the rest drains.
                services.insert(try api.application(logger: logger) { port in adminAddress.set(port) }, at: 0)
            }
            // Stopped first: /ready says 503 from the first moment of a shutdown.
            services.append(ReadinessService(readiness: readiness, drain: .seconds(drainSeconds)) { _ = try await server.listeningAddress() })
            // A graceful shutdown waits for requests in flight, but not for ever. SIGHUP, too,
            // shuts down cleanly (a supervisor restarts the host with its files read anew).
            var groupConfiguration = ServiceGroupConfiguration(services: services.map { .init(service: $0) },
                                                               gracefulShutdownSignals: [.sigterm, .sigint, .sighup], logger: logger)
            groupConfiguration.maximumGracefulShutdownDuration = .seconds(30)
            let group = ServiceGroup(configuration: groupConfiguration)

            // Say where, once listening: the address line is what scripts wait for.
            let announcement = Task {
                guard let address = try? await server.listeningAddress() else { return }
                if runtime.createdStore {
                    say("""
                        Created a new host in \(directory.path) (LMK, host keys, base master key v1; store \((try? directory.storeLocation())?.description ?? "?")).
                        Add an operator:    mpos-host operator add 01 --name "Operator 01" --data-dir \(directory.path)
                        Add a terminal:     mpos-host terminal add --label "Counter 1" --data-dir \(directory.path)
                        Enroll it:          mpos-terminal enroll --terminal-id 00000001 --host \(host) --port \(address.port ?? port)\(tls ? " --tls-certificate \(TLSIdentity.certificatePath(in: directory))" : "")
                        """)
                }
                if adminPort >= 0, let adminBound = await adminAddress.port() {
                    let base = "\(adminCertificate == nil ? "http" : "https")://\(adminHost):\(adminBound)"
                    say("mpos-host admin API on \(base) (console: \(base)/console/)")
                }
                say("mpos-host listening on \(host):\(address.port ?? port)\(tls ? " (TLS)" : "") (data: \(directory.path), node \(nodeName))")
            }
            do {
                try await group.run()
            } catch {
                announcement.cancel()
                try? await runtime.store.close()
                throw error
            }
            announcement.cancel()
            try await runtime.store.close()
            say("mpos-host stopped")
        }
    }
}

extension Serve {
    /// --max-connections as the descriptor limit allows (raised first as far as it can be).
    func connectionLimit(logger: Logger) throws -> Int {
        let budget = DescriptorBudget.raisingSoftLimit()
        let requested = maxConnections ?? 10_000
        let decision = budget.decide(maximumConnections: requested, explicit: maxConnections != nil)
        switch decision {
        case .fits(let maximum): return maximum
        case .lowered(let maximum):
            logger.warning("\(budget.explanation(decision, requested: requested) ?? "")")
            return maximum
        case .refused:
            throw HostSetupError(budget.explanation(decision, requested: requested) ?? "too few descriptors")
        }
    }
}

/// Unbuffered, so a script reading the pipe sees each line when it is written.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}

/// Says ready once the terminal listener is bound (the admin listener answers `/ready` itself),
/// and not ready from the first moment of a graceful shutdown; then waits `drain` before the
/// other services stop.
struct ReadinessService: Service {
    let readiness: AdminAPI.Readiness
    let drain: Duration
    let listening: @Sendable () async throws -> Void

    func run() async throws {
        let bound = (try? await cancelWhenGracefulShutdown { try await listening(); return true }) ?? false
        if bound { readiness.set(true) }
        try? await gracefulShutdown()
        readiness.set(false)
        if drain > .zero { try? await Task.sleep(for: drain) }
    }
}

/// The admin API's bound port, once it listens.
final class AdminAddress: Sendable {
    private let bound = AsyncStream<Int>.makeStream()

    func set(_ port: Int) {
        bound.continuation.yield(port)
        bound.continuation.finish()
    }

    func port() async -> Int? {
        for await port in bound.stream { return port }
        return nil
    }
}
