public import Logging
import Metrics
public import NIOCore
import NIOConcurrencyHelpers
public import NIOPosix
import MPOSTransport
public import ServiceLifecycle

/// The host's TCP server: one child task per connection (a discarding task group, as in
/// SwiftNIO's `NIOTCPEchoServer`), frames of `MPOSTransport`, each request handed to
/// `handler` and its response written back, one at a time per connection.
///
/// Who may hold a connection is the ``ConnectionTable``'s decision (all, per address,
/// unauthenticated); a connection that has not sent an authenticated request within
/// ``HostServerConfiguration/unauthenticatedTimeout`` is closed. When `accept` fails for want of
/// descriptors, the listener backs off (``AcceptBackoff``) instead of spinning. Refusals are
/// logged at most once an interval per reason, with a count.
///
/// A `Service`: on graceful shutdown (SIGTERM/SIGINT through a `ServiceGroup`) it stops
/// accepting, lets every connection finish the request it is processing, closes them, and
/// returns; the store is closed after it.
public final class HostServer: Service {
    /// What the handler makes of one request frame.
    public struct Reply: Sendable, Equatable {
        public var frame: [UInt8]
        /// The request proved a terminal's key (a verified signature, MAC or enrollment code):
        /// the connection leaves the unauthenticated budget and its deadline.
        public var authenticated: Bool

        public init(_ frame: [UInt8], authenticated: Bool) {
            self.frame = frame
            self.authenticated = authenticated
        }
    }

    /// Processes one request frame; nil closes the connection (nothing could be answered).
    public typealias RequestHandler = @Sendable ([UInt8]) async -> Reply?

    public let configuration: HostServerConfiguration
    private let handler: RequestHandler
    private let logger: Logger
    private let refusals: RateLimitedLog
    private let group: any EventLoopGroup
    private let state: NIOLockedValueBox<State>

    private struct State {
        var table: ConnectionTable
        var channels: [Int: any Channel] = [:]
        var boundAddress: SocketAddress?
        var failed: (any Error)?
        /// Callers of listeningAddress() waiting for the bind.
        var waitingForAddress: [CheckedContinuation<SocketAddress, any Error>] = []

        /// Records the bind's outcome; returns who was waiting for it.
        mutating func bound(_ result: Result<SocketAddress, any Error>) -> [CheckedContinuation<SocketAddress, any Error>] {
            switch result {
            case .success(let address): boundAddress = address
            case .failure(let error): failed = error
            }
            defer { waitingForAddress = [] }
            return waitingForAddress
        }
    }

    private let connectionsAccepted = Counter(label: "mpos_connections_total")
    private let connectionsRefused = Dictionary(uniqueKeysWithValues: ConnectionTable.Refusal.allCases.map {
        ($0, Counter(label: "mpos_connections_refused_total", dimensions: [("reason", $0.rawValue)]))
    })
    private let connectionsEvicted = Counter(label: "mpos_connections_evicted_total")
    private let connectionsOpen = Gauge(label: "mpos_connections_open")
    /// Open connections by state: `busy` (a request in processing) and `idle`.
    private let connectionsBusy = Gauge(label: "mpos_connections", dimensions: [("state", "busy")])
    private let connectionsIdle = Gauge(label: "mpos_connections", dimensions: [("state", "idle")])
    private let connectionsUnauthenticated = Gauge(label: "mpos_connections_unauthenticated")
    private let requestDuration = Metrics.Timer(label: "mpos_request_duration_seconds")
    private let connectionErrors = Counter(label: "mpos_connection_errors_total")
    private let acceptErrors = Counter(label: "mpos_accept_errors_total")

    public init(configuration: HostServerConfiguration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                logger: Logger = Logger(label: "mpos.server"), handler: @escaping RequestHandler) {
        precondition(configuration.maximumConnections > 0 && configuration.maximumRequestsInFlight > 0
                     && configuration.maximumConnectionsPerAddress > 0)
        self.configuration = configuration
        self.group = group
        self.logger = logger
        self.refusals = RateLimitedLog(logger: logger, interval: configuration.logInterval)
        self.handler = handler
        self.state = NIOLockedValueBox(State(table: ConnectionTable(limits: configuration.limits)))
    }

    /// The address the server listens on, once it does.
    public func listeningAddress() async throws -> SocketAddress {
        try await withCheckedThrowingContinuation { continuation in
            let ready: Result<SocketAddress, any Error>? = state.withLockedValue { state in
                if let address = state.boundAddress { return .success(address) }
                if let error = state.failed { return .failure(error) }
                state.waitingForAddress.append(continuation)
                return nil
            }
            if let ready { continuation.resume(with: ready) }
        }
    }

    public func run() async throws {
        let configuration = self.configuration
        let refusals = self.refusals
        let acceptErrors = self.acceptErrors
        let server: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
        do {
            server = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 1024)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .serverChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(AcceptBackoff { error, pause in
                            acceptErrors.increment()
                            refusals.log(.error, key: "accept", """
                                cannot accept connections: \(error.description) — the host is out of descriptors or memory; \
                                pausing accepts for \(pause.nanoseconds / 1_000_000) ms (raise `ulimit -n` or lower --max-connections)
                                """)
                        })
                    }
                }
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                // One read, at most one largest frame's worth of bytes, at a time: with the
                // back-pressure below, what a connection can have read ahead stays bounded.
                .childChannelOption(.maxMessagesPerRead, value: 1)
                .childChannelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: configuration.maximumFrameLength + 2))
                .bind(host: configuration.host, port: configuration.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        let pipeline = channel.pipeline.syncOperations
                        if let tls = configuration.tls {
                            try pipeline.addHandler(PlainClientOnTLSPort { refusals.log(.notice, key: "plain-on-tls", $0) })
                            try tls(channel)
                        }
                        try pipeline.addHandler(IdleStateHandler(readTimeout: configuration.idleTimeout))
                        try pipeline.addHandler(IdleConnectionCloser())
                        try pipeline.addHandler(ByteToMessageHandler(LengthPrefixedFrameDecoder(maximumFrameLength: configuration.maximumFrameLength)))
                        if configuration.tls == nil { try pipeline.addHandler(TLSClientOnPlainPort()) }
                        try pipeline.addHandler(FrameDeadlineHandler(deadline: configuration.frameTimeout))
                        try pipeline.addHandler(MessageToByteHandler(LengthPrefixedFrameEncoder(maximumFrameLength: configuration.maximumFrameLength)))
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(
                            wrappingChannelSynchronously: channel,
                            configuration: .init(backPressureStrategy: .init(lowWatermark: 1, highWatermark: configuration.maximumRequestsInFlight)))
                    }
                }
        } catch {
            state.withLockedValue { $0.bound(.failure(error)) }.forEach { $0.resume(throwing: error) }
            throw error
        }
        guard let bound = server.channel.localAddress else {
            let error = ChannelError.unknownLocalAddress
            state.withLockedValue { $0.bound(.failure(error)) }.forEach { $0.resume(throwing: error) }
            try await server.executeThenClose { _ in }
            throw error
        }
        state.withLockedValue { $0.bound(.success(bound)) }.forEach { $0.resume(returning: bound) }
        logger.info("listening", metadata: ["address": "\(bound)"])

        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { inbound in
                    for try await connection in inbound {
                        guard let id = admit(connection.channel) else {
                            // Closed through the async channel's own scope, as NIO requires.
                            group.addTask { try? await connection.executeThenClose { _, _ in } }
                            continue
                        }
                        group.addTask {
                            await self.serve(connection, id: id)
                            self.release(id)
                        }
                    }
                }
            }
        } onGracefulShutdown: {
            self.beginShutdown(server: server.channel)
        }
        logger.info("stopped: every connection finished")
    }

    // MARK: Connections

    /// The connection's id in the table, or nil if it is refused (logged, counted).
    private func admit(_ channel: any Channel) -> Int? {
        let id = Int(bitPattern: ObjectIdentifier(channel))
        let address = Self.addressKey(channel.remoteAddress)
        let (admission, evicted) = state.withLockedValue { state -> (ConnectionTable.Admission, (any Channel)?) in
            let admission = state.table.admit(id, address: address)
            var evicted: (any Channel)?
            switch admission {
            case .refused: return (admission, nil)
            case .admittedEvicting(let victim): evicted = state.channels.removeValue(forKey: victim)
            case .admitted: break
            }
            state.channels[id] = channel
            recordConnections(state.table)
            return (admission, evicted)
        }
        switch admission {
        case .refused(let reason):
            connectionsRefused[reason]?.increment()
            refusals.log(.warning, key: "refused-\(reason.rawValue)", Self.refusalLine(reason, configuration.limits),
                         metadata: ["peer": "\(address)"])
            return nil
        case .admittedEvicting:
            connectionsEvicted.increment()
            refusals.log(.notice, key: "evicted", """
                closed an unauthenticated connection to make room: the unauthenticated budget \
                (\(configuration.limits.unauthenticated)) is full, most of it held by one address
                """)
            evicted?.close(promise: nil)
        case .admitted: break
        }
        connectionsAccepted.increment()
        armUnauthenticatedDeadline(id, channel)
        return id
    }

    static func refusalLine(_ reason: ConnectionTable.Refusal, _ limits: ConnectionTable.Limits) -> String {
        switch reason {
        case .connectionLimit: "connection refused: the connection limit (\(limits.connections), --max-connections) is reached"
        case .addressLimit: "connection refused: one address holds \(limits.perAddress) connections (--max-connections-per-address)"
        case .unauthenticatedLimit:
            "connection refused: \(limits.unauthenticated) connections have sent no authenticated request yet (--max-unauthenticated-connections)"
        case .shuttingDown: "connection refused: the host is shutting down"
        }
    }

    /// A connection that has not proved a terminal's key in time is closed — after the
    /// request in processing, if there is one (``serve(_:id:)`` checks again then).
    private func armUnauthenticatedDeadline(_ id: Int, _ channel: any Channel) {
        channel.eventLoop.scheduleTask(in: configuration.unauthenticatedTimeout) { [self] in
            let close = state.withLockedValue { $0.table.contains(id) && !$0.table.isAuthenticated(id) && !$0.table.isBusy(id) }
            if close { closeUnauthenticated(channel) }
        }
    }

    private func closeUnauthenticated(_ channel: any Channel) {
        refusals.log(.notice, key: "unauthenticated-timeout", """
            closed a connection that sent no authenticated request within \
            \(configuration.unauthenticatedTimeout.nanoseconds / 1_000_000_000) s
            """)
        channel.close(promise: nil)
    }

    private func release(_ id: Int) {
        state.withLockedValue { state in
            state.table.remove(id)
            state.channels[id] = nil
            recordConnections(state.table)
        }
    }

    /// Marks the connection busy or idle; false when it should stop: shutting down, or (with
    /// `overdueSince`) unauthenticated past its deadline counted from then.
    private func setBusy(_ id: Int, _ busy: Bool, authenticated: Bool = false, overdueSince opened: NIODeadline? = nil) -> Bool {
        state.withLockedValue { state in
            if authenticated { state.table.authenticated(id) }
            state.table.setBusy(id, busy)
            recordConnections(state.table)
            if let opened, !state.table.isAuthenticated(id), NIODeadline.now() - opened >= configuration.unauthenticatedTimeout {
                return false
            }
            return !state.table.shuttingDown
        }
    }

    private func recordConnections(_ table: ConnectionTable) {
        connectionsOpen.record(table.count)
        connectionsBusy.record(table.busy)
        connectionsIdle.record(table.count - table.busy)
        connectionsUnauthenticated.record(table.unauthenticated)
    }

    /// Stops accepting, closes idle connections now; busy ones close after their response.
    private func beginShutdown(server: any Channel) {
        let idle = state.withLockedValue { state in state.table.beginShutdown().compactMap { state.channels[$0] } }
        logger.info("graceful shutdown: no new connections; finishing requests in flight", metadata: ["idle": "\(idle.count)"])
        server.close(promise: nil)
        idle.forEach { $0.close(promise: nil) }
    }

    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, id: Int) async {
        let channel = connection.channel
        let peer = channel.remoteAddress.map { "\($0)" } ?? "?"
        let opened = NIODeadline.now()
        do {
            try await connection.executeThenClose { inbound, outbound in
                for try await frame in inbound {
                    guard setBusy(id, true) else { return }
                    let start = ContinuousClock.now
                    let reply = await handler(Array(buffer: frame))
                    let elapsed = (ContinuousClock.now - start).components
                    requestDuration.recordNanoseconds(elapsed.seconds * 1_000_000_000 + elapsed.attoseconds / 1_000_000_000)
                    guard let reply else {
                        refusals.log(.notice, key: "unanswerable", "closing a connection: a frame that names no operation", metadata: ["peer": "\(peer)"])
                        return
                    }
                    try await outbound.write(ByteBuffer(bytes: reply.frame))
                    guard setBusy(id, false, authenticated: reply.authenticated, overdueSince: opened) else {
                        if !state.withLockedValue({ $0.table.shuttingDown }) { closeUnauthenticated(channel) }
                        return
                    }
                }
            }
        } catch {
            connectionErrors.increment()
            // Framing errors, deadlines, resets: the connection goes, the server stays.
            refusals.log(.notice, key: "error-\(Self.errorKind(error))", "connection closed on an error: \(Self.describe(error))",
                         metadata: ["peer": "\(peer)"])
        }
    }

    /// The limit key of a peer: its IPv4 address, or its IPv6 /64.
    static func addressKey(_ address: SocketAddress?) -> String {
        switch address {
        case .v4(let v4)?:
            var raw = v4.address.sin_addr
            return withUnsafeBytes(of: &raw) { ConnectionTable.addressKey(ipv4: Array($0)) }
        case .v6(let v6)?:
            var raw = v6.address.sin6_addr
            return withUnsafeBytes(of: &raw) { ConnectionTable.addressKey(ipv6: Array($0)) }
        default: return "local"
        }
    }

    /// Groups errors for the rate-limited log: one line a kind an interval.
    private static func errorKind(_ error: any Error) -> String {
        switch error {
        case let error as FramingError: error.code.description
        case is FrameDeadlineExceeded: "deadline"
        case is TLSMismatch: "tls-mismatch"
        default: String(describing: type(of: error))
        }
    }

    /// Transport errors carry no payload; anything else is named by its type only.
    private static func describe(_ error: any Error) -> String {
        switch error {
        case let error as FramingError: error.description
        case let error as FrameDeadlineExceeded: error.description
        case let error as TLSMismatch: error.description
        case let error as ChannelError: "\(error)"
        case let error as IOError: "\(error)"
        default: String(describing: type(of: error))
        }
    }
}
