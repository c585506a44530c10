import NIOCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Stops the listener from spinning when `accept` fails for want of descriptors or memory
/// (EMFILE, ENFILE, ENOBUFS, ENOMEM).
///
/// The kernel keeps the connection in the backlog and the listening socket readable, and NIO
/// leaves its read interest registered after such an error (its own `AcceptBackoffHandler`
/// delays the next `read()` but the event loop still wakes at once, over and over: 100 % of a
/// core). Here reading is switched off (`autoRead`), which removes the interest, and on again
/// after a pause that doubles, from 50 ms to 1 s, while the errors go on; any `read()` asked for
/// meanwhile is held back. Each failure is reported to `failed` (which logs at most once an
/// interval, with a count).
final class AcceptBackoff: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel
    typealias OutboundIn = any Channel

    static let firstPause = TimeAmount.milliseconds(50)
    static let longestPause = TimeAmount.seconds(1)

    private let failed: @Sendable (IOError, TimeAmount) -> Void
    private var pause = AcceptBackoff.firstPause
    private var resume: Scheduled<Void>?

    init(failed: @escaping @Sendable (IOError, TimeAmount) -> Void) { self.failed = failed }

    static func isResourceExhaustion(_ error: IOError) -> Bool {
        [EMFILE, ENFILE, ENOBUFS, ENOMEM].contains(error.errnoCode)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let error = error as? IOError, Self.isResourceExhaustion(error) else {
            context.fireErrorCaught(error)
            return
        }
        failed(error, pause)
        guard resume == nil else { return }
        context.channel.setOptionSynchronously(autoRead: false)
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        resume = context.eventLoop.scheduleTask(in: pause) {
            let (handler, context) = loopBound.value
            handler.resume = nil
            context.channel.setOptionSynchronously(autoRead: true)
        }
        pause = min(.nanoseconds(pause.nanoseconds * 2), Self.longestPause)
    }

    /// A connection was accepted: the descriptors are back.
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        pause = Self.firstPause
        context.fireChannelRead(data)
    }

    func read(context: ChannelHandlerContext) {
        guard resume == nil else { return }
        context.read()
    }

    func channelInactive(context: ChannelHandlerContext) {
        resume?.cancel()
        resume = nil
        context.fireChannelInactive()
    }
}

extension Channel {
    fileprivate func setOptionSynchronously(autoRead: Bool) {
        try? syncOptions?.setOption(.autoRead, value: autoRead)
    }
}
