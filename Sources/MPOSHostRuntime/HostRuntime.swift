public import Foundation
public import Logging
import MPOSCrypto
public import MPOSHost
public import MPOSServer
public import NIOSSL
public import ServiceLifecycle

/// A host ready to serve: its store, engine and modules, from a data directory.
public struct HostRuntime: Sendable {
    public let directory: DataDirectory
    public let store: any HostStore & LedgerStore
    public let engine: HostEngine
    public let settings: HostSettings
    /// True when this start created the data directory (a fresh setup).
    public let createdStore: Bool
    let lmk: LocalMasterKey

    /// Administration on this host's store, as `actor`.
    public func administration(actor: String) async throws -> HostAdministration {
        try await HostAdministration.open(store: store, lmk: lmk, actor: actor)
    }

    /// The TLS server context, from the data directory's TLS identity (created if missing).
    public func tlsContext() throws -> NIOSSLContext {
        if !TLSIdentity.exists(in: directory) { try TLSIdentity.create(in: directory, lmk: lmk) }
        return try TLSIdentity.serverContext(directory: directory, lmk: lmk)
    }

    /// Opens the data directory's store — setting a host up (a fresh LMK, host keys, the
    /// embedded SQLite default unless a PostgreSQL database is named) when there is none —
    /// and loads the host.
    public static func open(directory: DataDirectory, initializeIfMissing: Bool, logger: Logger,
                            environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> HostRuntime {
        var created = false
        let lmk: LocalMasterKey
        let store: any HostStore & LedgerStore
        if try await !directory.hasStore() {
            guard initializeIfMissing else { throw HostSetupError("no store in \(directory.path): run `mpos-host init` first") }
            lmk = try directory.create(environment: environment)
            store = try await directory.openStore(creating: true)
            do {
                _ = try await HostAdministration.initialize(store: store, lmk: lmk, actor: "host:first-start")
                try TLSIdentity.create(in: directory, lmk: lmk)
            } catch {
                try? await store.close()
                throw error
            }
            created = true
        } else {
            lmk = try directory.loadLocalMasterKey(environment: environment)
            store = try await directory.openStore()
        }
        do {
            let settings = try directory.loadSettings()
            let engine = try await HostEngine.start(store: store, lmk: lmk, configuration: settings.hostConfiguration,
                                                    modules: try settings.businessModules(store: store, environment: environment),
                                                    logger: logger)
            return HostRuntime(directory: directory, store: store, engine: engine, settings: settings, createdStore: created, lmk: lmk)
        } catch {
            try? await store.close()
            throw error
        }
    }

    /// The server and the outbox dispatcher, as services for one `ServiceGroup`.
    public func services(server configuration: HostServerConfiguration, node: String, logger: Logger) -> (server: HostServer, services: [any Service]) {
        let engine = self.engine
        let server = HostServer(configuration: configuration, logger: logger) { frame in
            let processed = await engine.process(frame)
            switch processed.reply {
            case .respond(let bytes): return HostServer.Reply(bytes, authenticated: processed.authenticated)
            case .close: return nil
            }
        }
        var dispatcher = OutboxDispatcher(host: engine, owner: node, retryPolicy: settings.deliveryRetry)
        dispatcher.lease = TimeInterval(settings.outboxLeaseSeconds)
        return (server, [server, OutboxDispatcherService(dispatcher: dispatcher), RefusalFlushService(engine: engine, logger: logger)])
    }
}

/// Writes the counts of refusal floods (``HostEngine/flushAggregatedRefusals(everything:)``)
/// every aggregation window, and all of them at shutdown.
public struct RefusalFlushService: Service {
    let engine: HostEngine
    let logger: Logger

    public func run() async throws {
        let window = Duration.seconds(engine.refusalAggregationWindow)
        await cancelWhenGracefulShutdown { [engine, logger] in
            while !Task.isCancelled {
                try? await Task.sleep(for: window)
                do { try await engine.flushAggregatedRefusals() } catch {
                    logger.error("could not write the counts of refused requests; they are written with the next", metadata: ["error": "\(type(of: error))"])
                }
            }
        }
        try? await engine.flushAggregatedRefusals(everything: true)
    }
}

/// The outbox dispatcher as a service: delivers due contracts every second until shutdown.
public struct OutboxDispatcherService: Service {
    let dispatcher: OutboxDispatcher

    public init(dispatcher: OutboxDispatcher) { self.dispatcher = dispatcher }

    public func run() async throws {
        await cancelWhenGracefulShutdown { [dispatcher] in await dispatcher.run(every: .seconds(1)) }
    }
}
