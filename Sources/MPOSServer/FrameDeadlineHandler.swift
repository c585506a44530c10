import NIOCore

/// Closes a connection whose first frame does not begin, or whose frame, once begun, is not
/// complete, within `deadline`: a client
/// that sends half a frame and stalls (or trickles a byte at a time, slowloris-style) holds a
/// buffer and a connection slot, and would otherwise keep them until the idle timeout.
///
/// It sits before the frame decoder and follows the 2-byte length prefixes on the byte
/// stream itself (no buffering: it only counts), arming a timer at each frame's first byte
/// and cancelling it at its last.
final class FrameDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private enum Position {
        /// Between frames.
        case boundary
        /// One byte of the length prefix seen.
        case prefix(UInt8)
        /// Inside a frame's body, `remaining` bytes to go.
        case body(remaining: Int)

        var isBoundary: Bool { if case .boundary = self { true } else { false } }
    }

    private let deadline: TimeAmount
    private var position = Position.boundary
    private var timer: Scheduled<Void>?

    init(deadline: TimeAmount) { self.deadline = deadline }

    /// A new connection must begin its first frame within the deadline too (after its TLS
    /// handshake, which this handler sits behind): a connection opened and left silent would
    /// otherwise hold a slot until the idle timeout.
    func channelActive(context: ChannelHandlerContext) {
        arm(context)
        context.fireChannelActive()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context) }
    }

    private func arm(_ context: ChannelHandlerContext) {
        guard timer == nil else { return }
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(in: deadline) {
            loopBound.value.fireErrorCaught(FrameDeadlineExceeded())
            loopBound.value.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        var view = buffer.readableBytesView[...]
        var completedAFrame = false
        while !view.isEmpty {
            switch position {
            case .boundary:
                position = .prefix(view.removeFirst())
            case .prefix(let high):
                let length = Int(high) << 8 | Int(view.removeFirst())
                // An empty frame is the decoder's error to raise; for the deadline it is complete.
                position = length == 0 ? .boundary : .body(remaining: length)
            case .body(let remaining):
                let taken = min(remaining, view.count)
                view = view.dropFirst(taken)
                position = remaining == taken ? .boundary : .body(remaining: remaining - taken)
                completedAFrame = completedAFrame || remaining == taken
            }
        }
        // The deadline is per frame: a completed frame stops its timer, and the frame in
        // progress (if any) gets a fresh one.
        if completedAFrame || position.isBoundary {
            timer?.cancel()
            timer = nil
        }
        if !position.isBoundary { arm(context) }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
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
