import Metrics
import MPOSProtocol
import NIOConcurrencyHelpers

/// `mpos_requests_total{operation, code}`: one count per request, by operation and response
/// code. Each counter is made once, the first time its pair is seen, and kept.
final class RequestMetrics: Sendable {
    private struct Key: Hashable {
        let kind: MessageKind
        let code: ResponseCode
    }

    private let counters = NIOLockedValueBox([Key: Counter]())
    let recent = RecentOutcomes()

    func count(_ kind: MessageKind, _ code: ResponseCode) {
        let key = Key(kind: kind, code: code)
        let counter = counters.withLockedValue { counters in
            if let counter = counters[key] { return counter }
            let counter = Counter(label: "mpos_requests_total", dimensions: [("operation", kind.auditName), ("code", code.rawValue)])
            counters[key] = counter
            return counter
        }
        counter.increment()
        recent.record(code.rawValue)
    }
}
