public import MPOSErrors
public import NIOCore
import MPOSTransport

/// Where the host is and how patient the terminal is with it.
public struct TerminalConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var connectTimeout: Duration = .seconds(10)
    /// How long to wait for each response before retransmitting.
    public var responseTimeout: Duration = .seconds(15)
    /// How many times an unanswered request is resent, byte for byte, before its outcome is
    /// reported unknown.
    public var retransmissions = 2
    /// The pause before resending after a connection failure (a timeout has already waited).
    public var retransmissionDelay: Duration = .seconds(1)
    public var maximumFrameLength = LengthPrefixedFraming.defaultMaximumFrameLength
    /// Called first on each new connection, before the framing handlers: the place to add a
    /// TLS handler (e.g. swift-nio-ssl's `NIOSSLClientHandler`), which this module does not
    /// depend on. Must complete on the channel's event loop.
    public var channelInitializer: (@Sendable (any Channel) -> EventLoopFuture<Void>)?
    /// Completes when a new connection is ready for requests (e.g. when its TLS handshake is
    /// done); a failure means nothing was sent: the request is reported `transport`, not
    /// "outcome unknown" (a certificate that does not match the pinned one, say).
    public var connectionReady: (@Sendable (any Channel) -> EventLoopFuture<Void>)?
    /// Keep the session keys in the key store, so that a new process can carry on a session
    /// (`mpos-terminal`, where each command is a process). A real terminal app keeps its
    /// process, and its session keys in memory only: leave this off there. Either way they are
    /// erased at sign-off.
    public var keepsSessionAcrossRestarts = false

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }
}

/// Carries one request frame to the host and brings back its response frame (frames without
/// their 2-byte length). The SDK's default is ``NIOFrameTransport``; tests inject their own.
public protocol FrameTransport: Sendable {
    /// Sends `frame` and returns the next frame received. Throws ``FrameTransportError`` when
    /// no response comes; `.notDelivered` only when the frame certainly did not leave.
    func exchange(_ frame: [UInt8], timeout: Duration) async throws -> [UInt8]
    /// Drops the connection, so that a frame that was not the answer (and whatever else the
    /// host may still send on it) cannot be read as the answer to the next request.
    func reset() async
}

extension FrameTransport {
    public func reset() async {}
}

public typealias FrameTransportError = MPOSError<FrameTransportErrorDomain>
/// The domain of ``FrameTransportError``'s codes.
public enum FrameTransportErrorDomain: Sendable {}

extension ErrorCodeOf where Domain == FrameTransportErrorDomain {
    /// No connection could be made: the frame did not leave the terminal.
    public static var notDelivered: Self { Self("transport.not-delivered") }
    /// No response within the timeout (the connection is closed: a late answer must not be
    /// taken for the answer to a later request).
    public static var timedOut: Self { Self("transport.timed-out") }
    /// The connection dropped after the frame may have been sent.
    public static var connectionLost: Self { Self("transport.connection-lost") }
}
