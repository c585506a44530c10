public import Logging
import NIOConcurrencyHelpers

/// Log lines that a flood cannot multiply: the first event of a kind is logged at once; the
/// same kind again within `interval` is only counted, and the count goes out with the next
/// line of that kind after the interval ("… (and 4,211 more in the last 10 s)").
public final class RateLimitedLog: Sendable {
    private let logger: Logger
    private let interval: Duration
    private let now: @Sendable () -> ContinuousClock.Instant
    private let state = NIOLockedValueBox([String: Window]())

    struct Window {
        var loggedAt: ContinuousClock.Instant
        var suppressed = 0
    }

    public init(logger: Logger, interval: Duration = .seconds(10), now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.logger = logger; self.interval = interval; self.now = now
    }

    /// Logs `message` at `level` under `key`, unless a line of that key went out within the
    /// interval. Returns whether it was logged.
    @discardableResult
    public func log(_ level: Logger.Level, key: String, _ message: @autoclosure () -> String, metadata: Logger.Metadata = [:]) -> Bool {
        let now = now()
        let suppressed: Int? = state.withLockedValue { windows in
            if var window = windows[key], now - window.loggedAt < interval {
                window.suppressed += 1
                windows[key] = window
                return nil
            }
            let earlier = windows[key]?.suppressed ?? 0
            windows[key] = Window(loggedAt: now)
            return earlier
        }
        guard let suppressed else { return false }
        var metadata = metadata
        if suppressed > 0 { metadata["suppressed"] = "\(suppressed)" }
        let seconds = interval.components.seconds
        logger.log(level: level, "\(message())\(suppressed > 0 ? " (and \(suppressed) more in the last \(seconds) s)" : "")", metadata: metadata)
        return true
    }
}
