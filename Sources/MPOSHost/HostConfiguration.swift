public import Foundation

/// The host's business rules and limits: everything a bank may set differently.
public struct HostConfiguration: Sendable {
    /// Field 7 may differ from the host clock by at most this (response `A4`).
    public var permittedClockSkew: TimeInterval = 300
    /// Consecutive wrong operator keys before the operator is locked.
    public var operatorLockoutThreshold = 5
    /// Consecutive wrong PINs before the card's PIN is locked (response `75`).
    public var pinTryLimit = 3
    /// How long an enrollment code works after it is issued.
    public var enrollmentCodeLifetime: TimeInterval = 7 * 24 * 3600
    /// Wrong operator numbers or keys in a row from one terminal before the terminal is
    /// blocked (whichever operators they named).
    public var terminalOperatorFailureLimit = 10
    /// STANs remembered per terminal for retransmissions (the durable retransmission cache), at
    /// least: it is cut back to this every 64th entry a node logs for the terminal.
    public var retransmissionCacheCapacity = 1024
    /// How many live sessions' keys a node keeps unwrapped in memory (see `SessionKeyCache`);
    /// beyond it the oldest are dropped and unwrapped again when next used. 0 turns it off.
    public var sessionKeyCacheCapacity = 20_000
    /// Issuer BIN ranges whose cards may be opened; none by default (fail closed): the bank
    /// lists its own (`mpos-host init` writes the demonstration ranges into config.json).
    public var cardPolicy = CardNumberPolicy(binRanges: [])
    /// Carriers, their tariffs and the business module of each.
    public var carriers: CarrierRegistry = .standard

    public init() {}
}
