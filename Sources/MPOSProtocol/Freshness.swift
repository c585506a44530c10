public import Foundation
import Crypto

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

/// What the host remembers of one sign-on session's STANs, so that an exact retransmission
/// gets the original response and a reused STAN with other content is refused (`94`).
///
/// Requests are remembered by SHA-256 digest, not in full; the oldest are forgotten beyond
/// ``capacity``. A forgotten request replayed would look new, so replay protection is this cache
/// *and* the transmission-time skew together: a replay older than the skew is refused by time,
/// and no terminal sends 1,024 messages within one skew window (each needs a card and a person).
/// Messages from an earlier session fail their MAC (those keys are revoked). A value type: the
/// host keeps one per signed-in terminal.
public struct RetransmissionCache: Sendable {
    public enum Verdict: Sendable, Equatable {
        /// First time this STAN is seen: process the request, then ``record(response:forSTAN:)``.
        case new
        /// The same request again, already answered: send this response again, process nothing.
        case retransmission(response: [UInt8])
        /// The same request again while the first is still being processed: send nothing yet.
        case inProgress
        /// The STAN was used for a different request: refuse with `94`.
        case conflict
    }

    private struct Entry: Sendable {
        let requestDigest: [UInt8]
        var response: [UInt8]?
    }

    public let capacity: Int
    private var entries: [String: Entry] = [:]
    private var order: [String] = []

    public init(capacity: Int = 1024) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    public mutating func check(stan: String, request: [UInt8]) -> Verdict {
        let digest = Array(SHA256.hash(data: request))
        if let entry = entries[stan] {
            guard entry.requestDigest == digest else { return .conflict }
            return entry.response.map { .retransmission(response: $0) } ?? .inProgress
        }
        entries[stan] = Entry(requestDigest: digest, response: nil)
        order.append(stan)
        if order.count > capacity {
            entries[order.removeFirst()] = nil
        }
        return .new
    }

    /// Remembers the response sent for a STAN that ``check(stan:request:)`` called new.
    public mutating func record(response: [UInt8], forSTAN stan: String) {
        entries[stan]?.response = response
    }

    /// Forgets a STAN whose processing failed before any response was sent, so that its
    /// retransmission is processed again rather than left waiting.
    public mutating func abandon(stan: String) {
        guard entries[stan]?.response == nil else { return }
        entries[stan] = nil
        order.removeAll { $0 == stan }
    }
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
