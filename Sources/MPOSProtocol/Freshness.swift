public import Foundation

/// Field 7, transmission date and time: `MMDDhhmmss` in UTC. It has no year, so it is read as
/// the moment closest to the receiver's clock (within a year either way).
public struct TransmissionDateTime: Sendable, Hashable, CustomStringConvertible {
    public let field: String
    let month: Int, day: Int, hour: Int, minute: Int, second: Int

    private static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    /// Parses field 7; nil unless it is ten digits naming a real month, day and time.
    public init?(field: String) {
        let bytes = Array(field.utf8)
        guard bytes.count == 10, bytes.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        func pair(_ i: Int) -> Int { Int(bytes[i] - 0x30) * 10 + Int(bytes[i + 1] - 0x30) }
        (month, day, hour, minute, second) = (pair(0), pair(2), pair(4), pair(6), pair(8))
        guard (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60 else { return nil }
        // The day must exist in that month in some year (29 February does, in leap years).
        let daysInMonth = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard day <= daysInMonth[month - 1] else { return nil }
        self.field = field
    }

    /// Field 7 for a moment (UTC).
    public init(_ date: Date) {
        let c = Self.utc.dateComponents([.month, .day, .hour, .minute, .second], from: date)
        func two(_ v: Int?) -> String { let v = v ?? 0; return v < 10 ? "0\(v)" : "\(v)" }
        self.init(field: two(c.month) + two(c.day) + two(c.hour) + two(c.minute) + two(c.second))!
    }

    /// The moment this field most plausibly names, seen from `now`: the same month, day and time
    /// in the year before, of, or after `now`'s, whichever is closest (a date that does not exist
    /// in a year, 29 February, is skipped for that year).
    public func date(closestTo now: Date) -> Date? {
        let year = Self.utc.component(.year, from: now)
        let candidates = (year - 1...year + 1).compactMap { y -> Date? in
            let components = DateComponents(year: y, month: month, day: day, hour: hour, minute: minute, second: second)
            guard components.isValidDate(in: Self.utc) else { return nil }
            return Self.utc.date(from: components)
        }
        return candidates.min { abs($0.timeIntervalSince(now)) < abs($1.timeIntervalSince(now)) }
    }

    /// Refuses a time more than `skew` seconds before or after `now` (response `A4`).
    public func checkFreshness(now: Date, skew: TimeInterval) throws(ProtocolError) {
        precondition(skew.isFinite && skew >= 0, "the skew is a configured, finite, non-negative interval")
        guard let date = date(closestTo: now), abs(date.timeIntervalSince(now)) <= skew else {
            throw ProtocolError(.staleOrFutureMessage, "the transmission time is outside the permitted skew of \(Int(skew)) s")
        }
    }

    public var description: String { field }
}

/// Replay protection for the signed network management requests (enrollment, sign-on, echo,
/// sign-off), which carry no session MAC and so could otherwise be replayed into a later
/// session within the clock skew: per terminal, across sessions, their (field 7, STAN) must
/// strictly increase. The host keeps one per terminal, with the terminal's record.
public struct NetworkRequestOrder: Sendable, Equatable {
    public private(set) var lastTime: Date?
    public private(set) var lastSTAN: String?

    public init(lastTime: Date? = nil, lastSTAN: String? = nil) {
        self.lastTime = lastTime
        self.lastSTAN = lastSTAN
    }

    /// Accepts a request sent at `time` (field 7, resolved against the host clock) with `stan`
    /// only if it comes after the last one accepted; otherwise `A4`.
    public mutating func accept(time: Date, stan: String) throws(ProtocolError) {
        if let lastTime, let lastSTAN {
            guard time > lastTime || (time == lastTime && stan > lastSTAN) else {
                throw ProtocolError(.staleOrFutureMessage, "the request is not later than the terminal's last accepted network request")
            }
        }
        lastTime = time
        lastSTAN = stan
    }
}
