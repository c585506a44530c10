public import NIOCore
import NIOConcurrencyHelpers
import NIOPosix
import MPOSTransport

/// The default transport: one TCP connection (TLS if the configuration's channel initializer
/// adds it), opened on first use and again after it drops. One request at a time; on a timeout
/// the connection is closed, so a late response can never be read as the answer to the next
/// request — a retransmission goes out on a fresh connection and the host answers it from its
/// retransmission cache.
public actor NIOFrameTransport: FrameTransport {
    private let configuration: TerminalConfiguration
    private let group: any EventLoopGroup
    private var connection: Connection?

    /// - Parameter group: defaults to NIO's shared `MultiThreadedEventLoopGroup.singleton`.
    public init(configuration: TerminalConfiguration, group: (any EventLoopGroup)? = nil) {
        self.configuration = configuration
        self.group = group ?? MultiThreadedEventLoopGroup.singleton
    }

    deinit { connection?.close() }

    public func exchange(_ frame: [UInt8], timeout: Duration) async throws -> [UInt8] {
        try await connected().exchange(frame, timeout: timeout)
    }

    public func reset() { close() }

    /// Closes the connection, if any; the next exchange opens a new one.
    public func close() {
        connection?.close()
        connection = nil
    }

    private func connected() async throws -> Connection {
        if let connection, connection.isOpen { return connection }
        // A connection the host closed: end its task too (it would wait for requests forever).
        connection?.close()
        connection = nil
        let configuration = configuration
        do {
            let channel = try await ClientBootstrap(group: group)
                .connectTimeout(TimeAmount(configuration.connectTimeout))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connect(host: configuration.host, port: configuration.port) { channel in
                    let ready = configuration.channelInitializer?(channel) ?? channel.eventLoop.makeSucceededVoidFuture()
                    return ready.hop(to: channel.eventLoop).flatMapThrowing {
                        try channel.pipeline.syncOperations.addHandler(
                            ByteToMessageHandler(LengthPrefixedFrameDecoder(maximumFrameLength: configuration.maximumFrameLength)))
                        try channel.pipeline.syncOperations.addHandler(
                            MessageToByteHandler(LengthPrefixedFrameEncoder(maximumFrameLength: configuration.maximumFrameLength)))
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
            if let ready = configuration.connectionReady {
                do { try await ready(channel.channel).get() } catch {
                    try? await channel.channel.close()
                    throw error
                }
            }
            let connection = Connection(channel)
            self.connection = connection
            return connection
        } catch {
            throw FrameTransportError(.notDelivered, "cannot connect to \(configuration.host):\(configuration.port): \(error)")
        }
    }
}

/// One connection: a task owns the channel's inbound and outbound sides (NIOAsyncChannel's
/// scoped access) and serves exchanges one at a time; the caller waits for its answer with a
/// timeout scheduled on the channel's event loop.
private final class Connection: Sendable {
    private let channel: any Channel
    private let requests: AsyncStream<Exchange>.Continuation
    /// Set as soon as the connection is given up (timeout, cancellation), before the channel
    /// has finished closing, so that the next exchange opens a new one.
    private let closing = NIOLockedValueBox(false)

    init(_ asyncChannel: NIOAsyncChannel<ByteBuffer, ByteBuffer>) {
        channel = asyncChannel.channel
        let (stream, requests) = AsyncStream.makeStream(of: Exchange.self)
        self.requests = requests
        Task {
            defer { requests.finish() }
            try? await asyncChannel.executeThenClose { inbound, outbound in
                var responses = inbound.makeAsyncIterator()
                for await exchange in stream {
                    do {
                        try await outbound.write(ByteBuffer(bytes: exchange.frame))
                        guard let response = try await responses.next() else {
                            exchange.finish(.failure(FrameTransportError(.connectionLost, "the host closed the connection")))
                            return
                        }
                        exchange.finish(.success(Array(buffer: response)))
                    } catch let error as FramingError where error.code == .tlsMismatch {
                        // A TLS server cannot have taken the frame for a request.
                        exchange.finish(.failure(FrameTransportError(.notDelivered, """
                            the host answered in TLS: it serves TLS on this port and this terminal connects without it \
                            (a TLS/plain mismatch): configure the host's certificate to connect with TLS
                            """)))
                        return
                    } catch {
                        exchange.finish(.failure(FrameTransportError(.connectionLost, "the connection failed: \(error)")))
                        return
                    }
                }
            }
        }
    }

    var isOpen: Bool { !closing.withLockedValue { $0 } && channel.isActive }

    func close() {
        closing.withLockedValue { $0 = true }
        requests.finish()
        channel.close(promise: nil)
    }

    func exchange(_ frame: [UInt8], timeout: Duration) async throws -> [UInt8] {
        let exchange = Exchange(frame)
        var timer: Scheduled<Void>?
        defer { timer?.cancel() }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                exchange.start(continuation)
                guard case .enqueued = requests.yield(exchange) else {
                    exchange.finish(.failure(FrameTransportError(.notDelivered, "the connection is closed")))
                    return
                }
                timer = channel.eventLoop.scheduleTask(in: TimeAmount(timeout)) {
                    if exchange.finish(.failure(FrameTransportError(.timedOut, "no response in \(timeout)"))) { self.close() }
                }
            }
        } onCancel: {
            if exchange.finish(.failure(CancellationError())) { self.close() }
        }
    }
}

/// One request and the single answer it gets: the response, a timeout, or a failure —
/// whichever comes first.
private final class Exchange: Sendable {
    private enum State {
        case created
        case waiting(CheckedContinuation<[UInt8], any Error>)
        case finishedEarly(Result<[UInt8], any Error>)
        case done
    }

    let frame: [UInt8]
    private let state = NIOLockedValueBox(State.created)

    init(_ frame: [UInt8]) { self.frame = frame }

    func start(_ continuation: CheckedContinuation<[UInt8], any Error>) {
        let early: Result<[UInt8], any Error>? = state.withLockedValue { state in
            if case .finishedEarly(let result) = state { state = .done; return result }
            state = .waiting(continuation)
            return nil
        }
        if let early { continuation.resume(with: early) }
    }

    /// Delivers the outcome; false if the exchange was already over.
    @discardableResult
    func finish(_ result: Result<[UInt8], any Error>) -> Bool {
        let continuation: CheckedContinuation<[UInt8], any Error>?? = state.withLockedValue { state in
            switch state {
            case .created: state = .finishedEarly(result); return .some(nil)
            case .waiting(let continuation): state = .done; return continuation
            case .finishedEarly, .done: return nil
            }
        }
        guard let continuation else { return false }
        continuation?.resume(with: result)
        return true
    }
}
