import MPOSTransport
public import NIOCore

/// Closes a connection whose first frame does not begin, or whose frame, once begun, is not
/// complete, within `deadline`: a client that sends half a frame and stalls (or trickles a
/// byte at a time, slowloris-style) holds a buffer and a connection slot, and would otherwise
/// keep them until the idle timeout.
///
/// It sits after the frame decoder, which reads the length prefixes: a timer is armed when a
/// frame begins (``FramingEvent/frameBegun``) and stopped when a frame arrives whole.
public final class FrameDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer

    private let deadline: TimeAmount
    private var timer: Scheduled<Void>?

    /// Public so that the fuzz package (Fuzz/) can drive it in an EmbeddedChannel.
    public init(deadline: TimeAmount) { self.deadline = deadline }

    /// A new connection must begin its first frame within the deadline too (after its TLS
    /// handshake, which this handler sits behind): a connection opened and left silent would
    /// otherwise hold a slot until the idle timeout.
    public func channelActive(context: ChannelHandlerContext) {
        arm(context)
        context.fireChannelActive()
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context) }
    }

    /// Arms the deadline, unless one runs already: it is per frame, from its first byte (or,
    /// for the first frame, from the connection).
    private func arm(_ context: ChannelHandlerContext) {
        guard timer == nil else { return }
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: deadline) {
            loopBound.value.fireErrorCaught(FrameDeadlineExceeded())
            loopBound.value.close(promise: nil)
        }
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .frameBegun? = event as? FramingEvent {
            arm(context)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// A whole frame: its deadline is met.
    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        timer?.cancel()
        timer = nil
        context.fireChannelRead(data)
    }

    public func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }
}

/// A frame begun but not completed in time.
struct FrameDeadlineExceeded: Error, CustomStringConvertible {
    var description: String { "transport.frame.deadline: a frame was not completed in time" }
}

/// Closes the connection when the idle-state handler reports no read for the idle timeout.
final class IdleConnectionCloser: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}
