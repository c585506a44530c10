public import Foundation
import NIOConcurrencyHelpers

/// How many requests this node answered with each response code, minute by minute over the
/// last hour: what the fleet summary and the console's charts show. In memory, per node (a
/// restart starts it afresh; Prometheus keeps the long history).
public final class RecentOutcomes: Sendable {
    /// One minute's counts, by response code.
    public struct Minute: Sendable, Hashable {
        /// The minute's start.
        public let start: Date
        public let counts: [String: Int]

        public var total: Int { counts.values.reduce(0, +) }
    }

    private struct Bucket {
        var minute: Int64
        var counts: [String: Int]
    }

    private let buckets = NIOLockedValueBox([Bucket]())
    private let clock: @Sendable () -> Date

    public init(clock: @escaping @Sendable () -> Date = Date.init) { self.clock = clock }

    func record(_ code: String) {
        let minute = Self.minute(of: clock())
        buckets.withLockedValue { buckets in
            if let last = buckets.indices.last, buckets[last].minute == minute {
                buckets[last].counts[code, default: 0] += 1
            } else {
                buckets.append(Bucket(minute: minute, counts: [code: 1]))
                buckets.removeAll { $0.minute <= minute - 60 }
            }
        }
    }

    /// The last 60 minutes, oldest first, the current minute last; minutes with no request
    /// are there with no counts.
    public func lastHour() -> [Minute] {
        let now = Self.minute(of: clock())
        let kept = buckets.withLockedValue { $0 }
        return (now - 59...now).map { minute in
            Minute(start: Date(timeIntervalSince1970: TimeInterval(minute * 60)), counts: kept.first { $0.minute == minute }?.counts ?? [:])
        }
    }

    private static func minute(of date: Date) -> Int64 { Int64((date.timeIntervalSince1970 / 60).rounded(.down)) }
}
