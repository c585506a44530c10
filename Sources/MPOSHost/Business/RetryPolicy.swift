import Foundation

/// When the outbox dispatcher tries a failed delivery again: exponential backoff with "equal jitter".
///
/// Exponential growth stops a receiver that is down from being hammered; the cap keeps a long
/// outage from pushing retries days apart; the jitter spreads the retries of many contracts that
/// failed together (a receiver outage) so they do not all come back in the same second. "Equal
/// jitter" keeps half of each delay fixed, so a retry never comes back almost immediately.
/// Defaults: 10 attempts, waits of 2 s, 4 s … 512 s before jitter (8.5 to 17 minutes in all), capped at an hour
/// when a caller raises `maximumAttempts`.
public struct RetryPolicy: Sendable, Hashable, Codable {
    /// Seconds before the second attempt (before jitter).
    public var initialDelay: Double
    /// Growth factor of the delay from one attempt to the next.
    public var multiplier: Double
    /// Seconds no delay exceeds (before jitter halves part of it).
    public var maximumDelay: Double
    /// Attempts after which the delivery is dead-lettered.
    public var maximumAttempts: Int

    public init(initialDelay: Double = 2, multiplier: Double = 2, maximumDelay: Double = 3600, maximumAttempts: Int = 10) {
        self.initialDelay = initialDelay
        self.multiplier = multiplier
        self.maximumDelay = maximumDelay
        self.maximumAttempts = maximumAttempts
    }

    /// Seconds to wait after attempt `n` (1-based) failed. `jitter` is a random value in 0..<1 that
    /// the caller draws (`Double.random(in: 0..<1)`), so tests can pin it; it is clamped to 0...1.
    /// The result lies in [base / 2, base], where base = min(initialDelay × multiplier^(n−1), maximumDelay).
    public func delay(afterAttempt n: Int, jitter: Double) -> Double {
        // pow overflows to +infinity for large n, which the cap then absorbs.
        let base = min(initialDelay * pow(multiplier, Double(max(n, 1) - 1)), maximumDelay)
        return base / 2 + base / 2 * min(max(jitter, 0), 1)
    }

    /// Whether `attempts` failed attempts use up the policy: the delivery should be dead-lettered.
    public func isExhausted(attempts: Int) -> Bool {
        attempts >= maximumAttempts
    }
}
