public import Logging
import Metrics
public import NIOCore
import NIOConcurrencyHelpers
public import NIOPosix
import MPOSTransport
public import ServiceLifecycle

/// The limits a hostile or broken client cannot exceed, and where to listen.
public struct HostServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port (tests); ``HostServer/listeningAddress()`` tells which.
    public var port = 8583
    /// Connections beyond this are closed as soon as they are accepted.
    public var maximumConnections = 10_000
    /// Frames announcing more are refused when their two length bytes arrive.
    public var maximumFrameLength = LengthPrefixedFraming.defaultMaximumFrameLength
    /// A connection with nothing read for this long is closed.
    public var idleTimeout = TimeAmount.minutes(5)
    /// A frame, once begun, must be complete within this.
    public var frameTimeout = TimeAmount.seconds(10)
    /// Requests read ahead of the one being processed, per connection; beyond them the server
    /// stops reading from that connection (TCP back-pressure) until it catches up. (One read
    /// takes at most one largest frame's worth of bytes, so a burst of small frames may put a
    /// few more in the queue.) On a graceful shutdown, requests read ahead but not yet started
    /// are dropped unanswered; the terminal resends them.
    public var maximumRequestsInFlight = 4
    /// Adds a TLS handler (or anything else) first in each connection's pipeline.
    public var tls: (@Sendable (any Channel) throws -> Void)?

    public init() {}
}

/// The host's TCP server: one child task per connection (a discarding task group, as in
/// SwiftNIO's `NIOTCPEchoServer`), frames of `MPOSTransport`, each request handed to
/// `handler` and its response written back, one at a time per connection.
///
/// A `Service`: on graceful shutdown (SIGTERM/SIGINT through a `ServiceGroup`) it stops
/// accepting, lets every connection finish the request it is processing, closes them, and
/// returns; the store is closed after it.
public final class HostServer: Service {
    /// Processes one request frame; nil closes the connection (nothing could be answered).
    public typealias RequestHandler = @Sendable ([UInt8]) async -> [UInt8]?

    public let configuration: HostServerConfiguration
    private let handler: RequestHandler
    private let logger: Logger
    private let group: any EventLoopGroup
    private let state = NIOLockedValueBox(State())

    private struct State {
        var connections: [ObjectIdentifier: Connection] = [:]
        var busyConnections = 0
        var shuttingDown = false
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

    /// One connection: its channel, and whether a request is being processed (a graceful
    /// shutdown closes an idle connection at once, a busy one after its response).
    private struct Connection {
        let channel: any Channel
        var busy = false
    }

    private let connectionsAccepted = Counter(label: "mpos_connections_total")
    private let connectionsRefused = Counter(label: "mpos_connections_refused_total")
    private let connectionsOpen = Gauge(label: "mpos_connections_open")
    /// Open connections by state: `busy` (a request in processing) and `idle`.
    private let connectionsBusy = Gauge(label: "mpos_connections", dimensions: [("state", "busy")])
    private let connectionsIdle = Gauge(label: "mpos_connections", dimensions: [("state", "idle")])
    private let requestDuration = Metrics.Timer(label: "mpos_request_duration_seconds")
    private let connectionErrors = Counter(label: "mpos_connection_errors_total")

    public init(configuration: HostServerConfiguration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                logger: Logger = Logger(label: "mpos.server"), handler: @escaping RequestHandler) {
        precondition(configuration.maximumConnections > 0 && configuration.maximumRequestsInFlight > 0)
        self.configuration = configuration
        self.group = group
        self.logger = logger
        self.handler = handler
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
        let server: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
        do {
            server = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 1024)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                // One read, at most one largest frame's worth of bytes, at a time: with the
                // back-pressure below, what a connection can have read ahead stays bounded.
                .childChannelOption(.maxMessagesPerRead, value: 1)
                .childChannelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: configuration.maximumFrameLength + 2))
                .bind(host: configuration.host, port: configuration.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try configuration.tls?(channel)
                        let pipeline = channel.pipeline.syncOperations
                        try pipeline.addHandler(IdleStateHandler(readTimeout: configuration.idleTimeout))
                        try pipeline.addHandler(IdleConnectionCloser())
                        try pipeline.addHandler(ByteToMessageHandler(LengthPrefixedFrameDecoder(maximumFrameLength: configuration.maximumFrameLength)))
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
                        guard admit(connection.channel) else {
                            connectionsRefused.increment()
                            logger.warning("connection refused: the connection limit is reached",
                                           metadata: ["limit": "\(configuration.maximumConnections)"])
                            // Closed through the async channel's own scope, as NIO requires.
                            group.addTask { try? await connection.executeThenClose { _, _ in } }
                            continue
                        }
                        group.addTask {
                            await self.serve(connection)
                            self.release(connection.channel)
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

    private func admit(_ channel: any Channel) -> Bool {
        state.withLockedValue { state in
            guard !state.shuttingDown, state.connections.count < configuration.maximumConnections else { return false }
            state.connections[ObjectIdentifier(channel)] = Connection(channel: channel)
            connectionsAccepted.increment()
            recordConnections(state)
            return true
        }
    }

    private func release(_ channel: any Channel) {
        state.withLockedValue { state in
            if state.connections.removeValue(forKey: ObjectIdentifier(channel))?.busy == true { state.busyConnections -= 1 }
            recordConnections(state)
        }
    }

    /// Marks the connection busy or idle; false when it should stop (shutting down).
    private func setBusy(_ channel: any Channel, _ busy: Bool) -> Bool {
        state.withLockedValue { state in
            if let was = state.connections[ObjectIdentifier(channel)]?.busy, was != busy {
                state.connections[ObjectIdentifier(channel)]?.busy = busy
                state.busyConnections += busy ? 1 : -1
                recordConnections(state)
            }
            return !state.shuttingDown
        }
    }

    private func recordConnections(_ state: State) {
        connectionsOpen.record(state.connections.count)
        connectionsBusy.record(state.busyConnections)
        connectionsIdle.record(state.connections.count - state.busyConnections)
    }

    /// Stops accepting, closes idle connections now; busy ones close after their response.
    private func beginShutdown(server: any Channel) {
        let idle = state.withLockedValue { state -> [any Channel] in
            state.shuttingDown = true
            return state.connections.values.filter { !$0.busy }.map(\.channel)
        }
        logger.info("graceful shutdown: no new connections; finishing requests in flight", metadata: ["idle": "\(idle.count)"])
        server.close(promise: nil)
        idle.forEach { $0.close(promise: nil) }
    }

    private func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>) async {
        let channel = connection.channel
        let peer = channel.remoteAddress.map { "\($0)" } ?? "?"
        do {
            try await connection.executeThenClose { inbound, outbound in
                for try await frame in inbound {
                    guard setBusy(channel, true) else { return }
                    let start = ContinuousClock.now
                    let response = await handler(Array(buffer: frame))
                    let elapsed = (ContinuousClock.now - start).components
                    requestDuration.recordNanoseconds(elapsed.seconds * 1_000_000_000 + elapsed.attoseconds / 1_000_000_000)
                    guard let response else {
                        logger.notice("closing a connection: a frame that names no operation", metadata: ["peer": "\(peer)"])
                        return
                    }
                    try await outbound.write(ByteBuffer(bytes: response))
                    guard setBusy(channel, false) else { return }
                }
            }
        } catch {
            connectionErrors.increment()
            // Framing errors, deadlines, resets: the connection goes, the server stays.
            logger.notice("connection closed on an error", metadata: ["peer": "\(peer)", "error": "\(Self.describe(error))"])
        }
    }

    /// Transport errors carry no payload; anything else is named by its type only.
    private static func describe(_ error: any Error) -> String {
        switch error {
        case let error as FramingError: error.description
        case let error as FrameDeadlineExceeded: error.description
        case let error as ChannelError: "\(error)"
        case let error as IOError: "\(error)"
        default: String(describing: type(of: error))
        }
    }
}
