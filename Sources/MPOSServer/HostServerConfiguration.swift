public import NIOCore
import MPOSTransport

/// The limits a hostile or broken client cannot exceed, and where to listen.
public struct HostServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port (tests); ``HostServer/listeningAddress()`` tells which.
    public var port = 8583
    /// Connections beyond this are closed as soon as they are accepted.
    public var maximumConnections = 10_000
    /// Connections from one IPv4 address (or IPv6 /64) at once. Terminals behind a carrier's
    /// NAT share an address: raise it for them.
    public var maximumConnectionsPerAddress = 256
    /// Connections that have not yet sent an authenticated request (nil: a quarter of
    /// ``maximumConnections``, at least 1); see ``ConnectionTable``.
    public var maximumUnauthenticatedConnections: Int?
    /// A connection must have sent an authenticated request within this, or it is closed.
    public var unauthenticatedTimeout = TimeAmount.seconds(10)
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
    /// Refusal and accept-failure log lines: at most one a kind per interval, with a count.
    public var logInterval = Duration.seconds(10)

    public init() {}

    var limits: ConnectionTable.Limits {
        ConnectionTable.Limits(connections: maximumConnections, perAddress: maximumConnectionsPerAddress,
                               unauthenticated: min(maximumConnections, maximumUnauthenticatedConnections ?? max(1, maximumConnections / 4)))
    }
}
