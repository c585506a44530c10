import Foundation
import Testing
@testable import MPOSProtocol

@Suite("Freshness: transmission time and retransmissions")
struct FreshnessTests {
    static let utc: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    static func date(_ y: Int, _ mo: Int, _ d: Int, _ h: Int, _ mi: Int, _ s: Int) -> Date {
        utc.date(from: DateComponents(year: y, month: mo, day: d, hour: h, minute: mi, second: s))!
    }

    @Test("field 7 is written and read as MMDDhhmmss in UTC")
    func format() throws {
        let now = Self.date(2026, 11, 27, 7, 43, 5)
        let field = TransmissionDateTime(now)
        #expect(field.field == "1127074305")
        #expect(field.date(closestTo: now) == now)
    }

    @Test("malformed or impossible times are refused", arguments: ["", "112707430", "11270743051", "1327074305", "0230074305", "1127244305", "1127076005", "1127074360", "11270743a5"])
    func malformed(text: String) {
        #expect(TransmissionDateTime(field: text) == nil)
    }

    @Test("within the skew passes; beyond it, either way, is A4")
    func skew() throws {
        let now = Self.date(2026, 11, 27, 7, 43, 5)
        try TransmissionDateTime(now.addingTimeInterval(-299)).checkFreshness(now: now, skew: 300)
        try TransmissionDateTime(now.addingTimeInterval(299)).checkFreshness(now: now, skew: 300)
        let stale = #expect(throws: ProtocolError.self) { try TransmissionDateTime(now.addingTimeInterval(-301)).checkFreshness(now: now, skew: 300) }
        #expect(stale?.responseCode == .staleMessage)
        #expect(throws: ProtocolError(.staleOrFutureMessage, "")) { try TransmissionDateTime(now.addingTimeInterval(301)).checkFreshness(now: now, skew: 300) }
        #expect(throws: ProtocolError(.staleOrFutureMessage, "")) { try TransmissionDateTime(now.addingTimeInterval(-86_400 * 30)).checkFreshness(now: now, skew: 300) }
    }

    @Test("across New Year the year is chosen closest to now")
    func newYear() throws {
        let now = Self.date(2027, 1, 1, 0, 0, 30)
        let sent = TransmissionDateTime(field: "1231235950")!  // 40 s earlier, in 2026
        #expect(sent.date(closestTo: now) == Self.date(2026, 12, 31, 23, 59, 50))
        try sent.checkFreshness(now: now, skew: 300)
        // 29 February exists only in leap years: read in 2028 from early 2028.
        #expect(TransmissionDateTime(field: "0229120000")!.date(closestTo: Self.date(2028, 3, 1, 0, 0, 0)) == Self.date(2028, 2, 29, 12, 0, 0))
    }

    @Test("the order of signed requests: field 7 first, then the STAN within one second (docs/protocol.md §5.7's example)")
    func orderExample() throws {
        let now = Self.date(2026, 11, 27, 9, 5, 0)
        func at(_ field: String) throws -> Date { try #require(TransmissionDateTime(field: field)?.date(closestTo: now)) }
        var order = NetworkRequestOrder(lastTime: try at("1127090100"), lastSTAN: "000002")
        var copy = order
        try copy.accept(time: try at("1127090100"), stan: "000003")
        try order.accept(time: try at("1127090101"), stan: "000001")
        #expect(throws: ProtocolError(.staleOrFutureMessage, "")) { try order.accept(time: try at("1127090100"), stan: "000002") }
        #expect(throws: ProtocolError(.staleOrFutureMessage, "")) { try order.accept(time: try at("1127090059"), stan: "000009") }
    }

    @Test("signed network requests must come in order, across sessions: a replayed sign-off is refused (A4)")
    func networkRequestOrder() throws {
        var order = NetworkRequestOrder()
        let t0 = Self.date(2026, 11, 27, 7, 0, 0)
        try order.accept(time: t0, stan: "000001")                          // sign-on
        try order.accept(time: t0.addingTimeInterval(60), stan: "000002")   // sign-off
        try order.accept(time: t0.addingTimeInterval(120), stan: "000003")  // sign-on again
        let replay = #expect(throws: ProtocolError.self) { try order.accept(time: t0.addingTimeInterval(60), stan: "000002") }
        #expect(replay?.responseCode == .staleMessage)
        #expect(throws: ProtocolError(.staleOrFutureMessage, "")) { try order.accept(time: t0.addingTimeInterval(120), stan: "000003") }
        try order.accept(time: t0.addingTimeInterval(120), stan: "000004")  // same second, later STAN
        #expect(order.lastSTAN == "000004")
    }

    @Test("exactly the skew passes")
    func skewBoundary() throws {
        let now = Self.date(2026, 11, 27, 7, 43, 5)
        try TransmissionDateTime(now.addingTimeInterval(-300)).checkFreshness(now: now, skew: 300)
        try TransmissionDateTime(now.addingTimeInterval(300)).checkFreshness(now: now, skew: 300)
    }
}
