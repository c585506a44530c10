import MPOSTransport
import NIOCore

/// On a plain port: a client that opens with a TLS ClientHello (the frame decoder reports it as
/// ``FramingError/Code/tlsMismatch``) is sent a TLS `handshake_failure` alert before the
/// connection closes, so that its TLS library reports a refused handshake, not a dropped
/// connection; the server's log names the mismatch.
///
/// Sits right after the frame decoder: what it writes goes out raw, without a length prefix.
final class TLSClientOnPlainPort: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let framing = error as? FramingError, framing.code == .tlsMismatch {
            context.writeAndFlush(NIOAny(ByteBuffer(bytes: TLSRecord.handshakeFailureAlert)), promise: nil)
            context.fireErrorCaught(TLSMismatch.tlsClientOnPlainPort)
            return
        }
        context.fireErrorCaught(error)
    }
}

/// On a TLS port: a client whose first bytes are not a TLS record is a plain mpos terminal
/// (its first bytes are a frame's length prefix). The TLS handler after this one answers it
/// with an alert, which the terminal's decoder recognises; this logs the mismatch by name.
final class PlainClientOnTLSPort: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let report: @Sendable (String) -> Void

    init(report: @escaping @Sendable (String) -> Void) { self.report = report }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let bytes = unwrapInboundIn(data)
        if TLSRecord.recognise(bytes.readableBytesView.prefix(3)) == .notTLS {
            report("\(TLSMismatch.plainClientOnTLSPort.description) (peer \(context.channel.remoteAddress.map { "\($0)" } ?? "?"))")
        }
        context.fireChannelRead(data)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}

/// The two TLS/plain mismatches, as the server's log names them.
enum TLSMismatch: Error, CustomStringConvertible {
    case tlsClientOnPlainPort
    case plainClientOnTLSPort

    var description: String {
        switch self {
        case .tlsClientOnPlainPort:
            "transport.tls.mismatch: a TLS client on this plain port: serve with --tls, or connect the terminal without TLS"
        case .plainClientOnTLSPort:
            "transport.tls.mismatch: a plain (non-TLS) client on this TLS port: the terminal must connect with TLS, pinning the host's certificate"
        }
    }
}
