#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MPOSTransport
import NIOConcurrencyHelpers
public import NIOCore
public import NIOPosix

/// A TCP proxy on loopback between a load's terminals and the host that injects a
/// ``FaultPlan``'s faults: each accepted connection gets one of its own to the host, and whole
/// frames are relayed each way, so that faults apply per frame.
///
/// What TCP allows within one connection is what is done: a frame can be dropped, duplicated,
/// delayed (the frames behind it in its direction wait behind it: TCP delivers in order, so a
/// reordering of frames within a connection cannot happen, and delay is its only form here),
/// cut short (then both sides are closed), or both sides reset (`SO_LINGER` 0, so each peer
/// gets an RST rather than an orderly close). Plain frames only: the proxy reads the length
/// prefixes, which TLS would hide.
public final class FaultProxy: Sendable {
    /// The loopback port the terminals connect to.
    public let port: Int
    private let plan: FaultPlan
    private let server: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
    private let state = NIOLockedValueBox(State())
    private let accepting = NIOLockedValueBox<Task<Void, Never>?>(nil)

    private struct State {
        var counters = FaultCounters()
        var open: [ObjectIdentifier: any Channel] = [:]
    }

    /// Faults injected so far.
    public var counters: FaultCounters { state.withLockedValue { $0.counters } }

    /// Listens on `127.0.0.1` (any free port) and starts relaying to `host`:`port`.
    public static func start(plan: FaultPlan, host: String, port: Int, connectTimeout: Duration = .seconds(10),
                             group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> FaultProxy {
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture { try Self.framed(channel) }
            }
        let proxy = FaultProxy(port: server.channel.localAddress?.port ?? 0, plan: plan, server: server)
        proxy.state.withLockedValue { $0.counters.spec = plan.spec }
        let target = Target(host: host, port: port, connectTimeout: connectTimeout, group: group)
        proxy.accepting.withLockedValue { $0 = Task { await proxy.accept(to: target) } }
        return proxy
    }

    private init(port: Int, plan: FaultPlan, server: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>) {
        self.port = port
        self.plan = plan
        self.server = server
    }

    /// Stops listening, closes every proxied connection and waits for the relays to end.
    public func stop() async {
        server.channel.close(promise: nil)
        let open = state.withLockedValue { $0.open.values }
        for channel in open { channel.close(promise: nil) }
        let task = accepting.withLockedValue { $0 }
        task?.cancel()
        await task?.value
    }

    private struct Target: Sendable {
        let host: String
        let port: Int
        let connectTimeout: Duration
        let group: any EventLoopGroup
    }

    /// The frame decoder only: frames arrive whole and leave as bytes this side writes itself
    /// (a truncation writes part of one).
    private static func framed(_ channel: any Channel) throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        try channel.pipeline.syncOperations.addHandler(
            ByteToMessageHandler(LengthPrefixedFrameDecoder(maximumFrameLength: LengthPrefixedFraming.absoluteMaximumFrameLength)))
        return try NIOAsyncChannel(wrappingChannelSynchronously: channel)
    }

    private func accept(to target: Target) async {
        try? await server.executeThenClose { inbound in
            try await withThrowingDiscardingTaskGroup { group in
                var number = 0
                for try await terminal in inbound {
                    let connection = number
                    number += 1
                    state.withLockedValue { $0.counters.connections += 1 }
                    group.addTask { await self.relay(terminal, connection: connection, to: target) }
                }
            }
        }
    }

    /// One terminal's connection: a connection to the host, then frames each way until either
    /// side closes (or a fault closes both).
    private func relay(_ terminal: NIOAsyncChannel<ByteBuffer, ByteBuffer>, connection: Int, to target: Target) async {
        track(terminal.channel)
        defer { untrack(terminal.channel) }
        let host: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            host = try await ClientBootstrap(group: target.group)
                .connectTimeout(TimeAmount(target.connectTimeout))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connect(host: target.host, port: target.port) { channel in
                    channel.eventLoop.makeCompletedFuture { try Self.framed(channel) }
                }
        } catch {
            try? await terminal.channel.close()
            return
        }
        track(host.channel)
        defer { untrack(host.channel) }
        let pair = Pair(terminal: terminal.channel, host: host.channel)
        try? await terminal.executeThenClose { fromTerminal, _ in
            try await host.executeThenClose { fromHost, _ in
                await withTaskGroup(of: Void.self) { group in
                    group.addTask {
                        await self.pump(fromTerminal, to: pair.host, pair: pair,
                                        decider: FaultDecider(plan: self.plan, connection: connection, direction: .toHost))
                    }
                    group.addTask {
                        await self.pump(fromHost, to: pair.terminal, pair: pair,
                                        decider: FaultDecider(plan: self.plan, connection: connection, direction: .toTerminal))
                    }
                    // Either side gone: the other goes too (what a proxy that relays only
                    // whole connections does).
                    _ = await group.next()
                    pair.close()
                }
            }
        }
    }

    /// The two channels of one proxied connection.
    private struct Pair: Sendable {
        let terminal: any Channel
        let host: any Channel

        func close() {
            terminal.close(promise: nil)
            host.close(promise: nil)
        }

        /// RST both ways: linger on, for zero seconds, then close.
        func reset() async {
            for channel in [terminal, host] {
                try? await (channel as? any SocketOptionProvider)?.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
                try? await channel.close()
            }
        }
    }

    /// Relays the frames from one side to the other, each with its fault, until the source ends
    /// or a write fails.
    private func pump(_ frames: NIOAsyncChannelInboundStream<ByteBuffer>, to destination: any Channel, pair: Pair,
                      decider: FaultDecider) async {
        var decider = decider
        do {
            for try await frame in frames {
                let fault = decider.next(frameLength: frame.readableBytes)
                state.withLockedValue { $0.counters.count(fault) }
                var wire = destination.allocator.buffer(capacity: frame.readableBytes + 2)
                wire.writeInteger(UInt16(frame.readableBytes))
                wire.writeImmutableBuffer(frame)
                switch fault {
                case .none:
                    try await destination.writeAndFlush(wire).get()
                case .drop:
                    continue
                case .duplicate:
                    destination.write(wire, promise: nil)
                    try await destination.writeAndFlush(wire).get()
                case .delay(let pause):
                    try await Task.sleep(for: pause)
                    try await destination.writeAndFlush(wire).get()
                case .truncate(let keeping):
                    // Written out before the close, so the receiver does see a frame begun.
                    try await destination.writeAndFlush(wire.getSlice(at: wire.readerIndex, length: keeping)!).get()
                    pair.close()
                    return
                case .reset:
                    await pair.reset()
                    return
                }
            }
        } catch {
            // The source failed (a reset, a frame cut short) or the destination is gone.
        }
    }

    private func track(_ channel: any Channel) {
        state.withLockedValue { $0.open[ObjectIdentifier(channel)] = channel }
    }

    private func untrack(_ channel: any Channel) {
        _ = state.withLockedValue { $0.open.removeValue(forKey: ObjectIdentifier(channel)) }
    }
}
