import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// A request as the test server received it.
struct RecordedRequest: Sendable {
    var head: HTTPRequestHead
    var body: [UInt8]
}

/// A tiny HTTP/1.1 server on 127.0.0.1 (a port of the kernel's choosing) that records every request
/// and answers each with one scripted status and a body of `bodySize` bytes, or never answers
/// (`status: nil`) to provoke a timeout.
final class TestServer: Sendable {
    let port: Int
    private let group: MultiThreadedEventLoopGroup
    private let channel: any Channel
    private let recorded: NIOLockedValueBox<[RecordedRequest]>

    var requests: [RecordedRequest] { recorded.withLockedValue { $0 } }

    private init(port: Int, group: MultiThreadedEventLoopGroup, channel: any Channel, recorded: NIOLockedValueBox<[RecordedRequest]>) {
        self.port = port; self.group = group; self.channel = channel; self.recorded = recorded
    }

    static func start(status: HTTPResponseStatus?, bodySize: Int = 64) async throws -> TestServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let recorded = NIOLockedValueBox<[RecordedRequest]>([])
        do {
            let channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                        try channel.pipeline.syncOperations.addHandler(Handler(status: status, bodySize: bodySize, recorded: recorded))
                    }
                }
                .bind(host: "127.0.0.1", port: 0).get()
            return TestServer(port: channel.localAddress!.port!, group: group, channel: channel, recorded: recorded)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// Closes the listener and, with the event loop group, every connection still open.
    func stop() async throws {
        try? await channel.close()
        try await group.shutdownGracefully()
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let status: HTTPResponseStatus?
        let bodySize: Int
        let recorded: NIOLockedValueBox<[RecordedRequest]>
        var request: RecordedRequest?

        init(status: HTTPResponseStatus?, bodySize: Int, recorded: NIOLockedValueBox<[RecordedRequest]>) {
            self.status = status; self.bodySize = bodySize; self.recorded = recorded
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                request = RecordedRequest(head: head, body: [])
            case .body(let buffer):
                request?.body += buffer.readableBytesView
            case .end:
                if let request { recorded.withLockedValue { $0.append(request) } }
                guard let status else { return }  // never answer
                let body = ByteBuffer(repeating: UInt8(ascii: "x"), count: bodySize)  // never to appear in a reason
                var headers = HTTPHeaders([("Content-Length", String(body.readableBytes))])
                headers.add(name: "Content-Type", value: "text/plain")
                // A redirect points back at this server, so a client that follows it is seen.
                if (300..<400).contains(status.code) { headers.add(name: "Location", value: "/elsewhere") }
                context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))),
                              promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
        }
    }
}
