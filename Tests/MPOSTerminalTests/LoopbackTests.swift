import Foundation
import MPOSProtocol
import MPOSTransport
import NIOCore
import NIOPosix
import Testing
import MPOSTerminal

/// The scripted host behind a real socket: a tiny NIO server with the mpos framing, which can
/// lose the first requests (closing the connection, or keeping silent).
final class LoopbackHost: @unchecked Sendable {
    enum Loss { case close, silence }

    private let lock = NSLock()
    private var host = ScriptedHost()
    private var losses: [Loss] = []
    private(set) var connections = 0
    private var channel: (any Channel)?

    var codeText: String { lock.withLock { host.codeText } }
    var processed: [MessageKind] { lock.withLock { host.processed } }
    func lose(_ losses: [Loss]) { lock.withLock { self.losses = losses } }

    func start() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LengthPrefixedFrameDecoder()))
                    try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(LengthPrefixedFrameEncoder()))
                    try channel.pipeline.syncOperations.addHandler(Handler(host: self))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        lock.withLock { self.channel = channel }
        return channel.localAddress!.port!
    }

    func stop() async throws { try await lock.withLock { channel }?.close() }

    /// The response, or nil with what to do instead.
    fileprivate func handle(_ frame: [UInt8]) -> Result<[UInt8], LossError> {
        lock.withLock {
            if !losses.isEmpty { return .failure(LossError(loss: losses.removeFirst())) }
            return Result { try host.handle(frame) }.mapError { _ in LossError(loss: .close) }
        }
    }

    fileprivate func connected() { lock.withLock { connections += 1 } }

    fileprivate struct LossError: Error { let loss: Loss }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let host: LoopbackHost
        init(host: LoopbackHost) { self.host = host }

        func channelActive(context: ChannelHandlerContext) {
            host.connected()
            context.fireChannelActive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch host.handle(Array(buffer: unwrapInboundIn(data))) {
            case .success(let response): context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: response)), promise: nil)
            case .failure(let error) where error.loss == .close: context.close(promise: nil)
            case .failure: break
            }
        }
    }
}

@Suite("Terminal SDK over a loopback socket")
struct LoopbackTests {
    @Test("the flow over TCP; a dropped connection and a silent host are retransmitted to on new connections")
    func overTCP() async throws {
        let server = LoopbackHost()
        let port = try await server.start()
        var configuration = TerminalConfiguration(host: "127.0.0.1", port: port)
        // Long enough that no answer is late on a loaded machine (an extra timeout would mean
        // an extra connection); the silent host's turn costs this once.
        configuration.responseTimeout = .seconds(2)
        configuration.retransmissionDelay = .milliseconds(10)
        let terminal = try await Terminal(configuration: configuration, keyStore: InMemoryKeyStore())

        try await terminal.enroll(terminalID: ScriptedHost.terminalID, enrollmentCode: server.codeText)
        server.lose([.close])
        try await terminal.signOn(operatorNumber: "01", operatorKey: "111111")
        server.lose([.silence])
        try await terminal.echo()
        let pinPad = TestPINPad()
        #expect(try await terminal.openCard(cardNumber: "4367123412341234126", identityType: "01", identityNumber: "410102196905185559", pinPad: pinPad) == "000000000001")
        try await terminal.signOff(operatorNumber: "01", operatorKey: "111111")
        #expect(server.processed == [.enrollment, .signOn, .echoTest, .cardOpening, .signOff])
        #expect(server.connections == 3, "one, then a new one after the close, and another after the timeout")
        try await server.stop()
    }

    @Test("nothing listening: a transport error, the terminal unchanged")
    func nothingListening() async throws {
        let server = LoopbackHost()
        let port = try await server.start()
        try await server.stop()
        var configuration = TerminalConfiguration(host: "127.0.0.1", port: port)
        configuration.retransmissionDelay = .milliseconds(10)
        let terminal = try await Terminal(configuration: configuration, keyStore: InMemoryKeyStore())
        await #expect(throws: TerminalError(.transport, "")) {
            try await terminal.enroll(terminalID: ScriptedHost.terminalID, enrollmentCode: "00112233-44556677-8899AABB-CCDDEEFF")
        }
        #expect(terminal.state == .unenrolled)
    }
}
