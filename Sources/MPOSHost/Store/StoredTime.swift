public import Foundation

/// How every store keeps a moment: whole microseconds since 1970 UTC. Whatever is computed
/// from a stored time (the audit chain's MACs) must use the time as stored, so the host
/// rounds a moment the same way before it uses it.
public enum StoredTime {
    /// Microseconds since 1970, rounded to the nearest. Whole seconds and the fraction are
    /// converted apart, so no multiplication of a large `Double` loses the last microsecond.
    public static func microseconds(_ date: Date) -> Int64 {
        let interval = date.timeIntervalSince1970
        let seconds = interval.rounded(.down)
        return Int64(seconds) * 1_000_000 + Int64(((interval - seconds) * 1_000_000).rounded())
    }

    /// The `Date` nearest to the stored microsecond: `microseconds(date(microseconds: m)) == m`.
    public static func date(microseconds: Int64) -> Date {
        Date(timeIntervalSince1970: Double(microseconds) / 1_000_000)
    }

    /// `date` as a store will give it back.
    public static func rounded(_ date: Date) -> Date {
        Self.date(microseconds: microseconds(date))
    }
}
