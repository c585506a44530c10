public import Foundation

/// The host's business rules and limits: everything a bank may set differently.
public struct HostConfiguration: Sendable {
    /// Field 7 may differ from the host clock by at most this (response `A4`).
    public var permittedClockSkew: TimeInterval = 300
    /// Consecutive wrong operator keys before the operator is locked.
    public var operatorLockoutThreshold = 5
    /// Consecutive wrong PINs before the card's PIN is locked (response `75`).
    public var pinTryLimit = 3
    /// Wrong enrollment codes before the terminal's code is void (an administrator issues another).
    public var enrollmentTryLimit = 5
    /// STANs remembered per terminal for retransmissions (the durable retransmission cache).
    public var retransmissionCacheCapacity = 1024
    /// Issuer BIN ranges whose cards may be opened.
    public var cardPolicy: CardNumberPolicy = .demonstration
    /// Carriers, their tariffs and the business module of each.
    public var carriers: CarrierRegistry = .standard

    public init() {}
}
