import Foundation
import NIOConcurrencyHelpers

/// Refusals of requests that prove nothing — a signature or MAC that does not verify, a
/// blocked terminal — cost an audit row each, and so a durable commit each: a flood of forged
/// requests naming a real terminal would turn into a flood of commits. So per terminal, event
/// and code, the first such refusal in a window is recorded as usual and the ones after it in
/// the same window are only counted; the count is written as one entry when the window ends
/// (by ``HostEngine/flushAggregatedRefusals()``, which `serve` runs every window and at
/// shutdown) or with the next refusal after it. The answer to each request is unchanged.
///
/// What this gives up: a host killed mid-window loses that window's count (not its first
/// entry). Refusals of requests that did authenticate are recorded one by one, as before.
final class RefusalAggregator: Sendable {
    struct Key: Hashable, Sendable {
        /// The audit subject: `terminal:ID`.
        let subject: String
        let event: String
        let outcome: String
    }

    enum Decision: Equatable, Sendable {
        /// Record the refusal; `earlier` more were counted, not recorded, since `since`.
        case record(earlier: Int, since: Date?)
        case count
    }

    /// The counts due to be written: a window ended with refusals only counted.
    struct Due: Sendable, Equatable {
        let key: Key
        let count: Int
        let since: Date
        let until: Date
    }

    private struct Window {
        var opened: Date
        var counted = 0
        var lastCounted: Date?
    }

    let window: TimeInterval
    let capacity: Int
    private let windows = NIOLockedValueBox([Key: Window]())

    init(window: TimeInterval = 60, capacity: Int = 10_000) {
        self.window = window
        self.capacity = capacity
    }

    /// Whether refusals like `key` are being counted now (a flood is under way).
    func isCounting(_ key: Key, now: Date) -> Bool {
        windows.withLockedValue { windows in windows[key].map { now.timeIntervalSince($0.opened) < window } ?? false }
    }

    func decide(_ key: Key, now: Date) -> Decision {
        windows.withLockedValue { windows in
            if var open = windows[key], now.timeIntervalSince(open.opened) < window {
                open.counted += 1
                open.lastCounted = now
                windows[key] = open
                return .count
            }
            let earlier = windows[key]
            if earlier == nil, windows.count >= capacity {
                windows = windows.filter { now.timeIntervalSince($0.value.opened) < window || $0.value.counted > 0 }
                // Still full: every window is live. Record this one without a window of its own.
                if windows.count >= capacity { return .record(earlier: 0, since: nil) }
            }
            windows[key] = Window(opened: now)
            return .record(earlier: earlier?.counted ?? 0, since: earlier?.counted ?? 0 > 0 ? earlier?.opened : nil)
        }
    }

    /// Takes the counts of windows that have ended (all of them with `everything`, at
    /// shutdown), forgetting those windows.
    func takeDue(now: Date, everything: Bool = false) -> [Due] {
        windows.withLockedValue { windows in
            var due: [Due] = []
            for (key, open) in windows where everything || now.timeIntervalSince(open.opened) >= window {
                if open.counted > 0 { due.append(Due(key: key, count: open.counted, since: open.opened, until: open.lastCounted ?? now)) }
                windows[key] = nil
            }
            return due
        }
    }
}
