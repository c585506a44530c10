import Logging
import MPOSServer
import NIOConcurrencyHelpers
import Testing

/// Collects what is logged through it.
struct CollectingLogHandler: LogHandler {
    let lines: NIOLockedValueBox<[String]>
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) { lines.withLockedValue { $0.append("\(event.message)") } }

    static func logger() -> (Logger, NIOLockedValueBox<[String]>) {
        let lines = NIOLockedValueBox<[String]>([])
        return (Logger(label: "test") { _ in CollectingLogHandler(lines: lines) }, lines)
    }
}

@Suite("Rate-limited log lines")
struct RateLimitedLogTests {
    @Test("a flood of one kind logs once an interval, the next line carrying the count; other kinds are separate")
    func oncePerInterval() {
        let (logger, lines) = CollectingLogHandler.logger()
        let start = ContinuousClock.now
        let now = NIOLockedValueBox(start)
        let log = RateLimitedLog(logger: logger, interval: .seconds(10)) { now.withLockedValue { $0 } }
        #expect(log.log(.warning, key: "refused", "connection refused"))
        for _ in 1...4_211 { #expect(!log.log(.warning, key: "refused", "connection refused")) }
        #expect(log.log(.warning, key: "other", "something else"))
        now.withLockedValue { $0 = start + .seconds(10) }
        #expect(log.log(.warning, key: "refused", "connection refused"))
        #expect(lines.withLockedValue { $0 } == [
            "connection refused", "something else", "connection refused (and 4211 more in the last 10 s)",
        ])
    }
}
