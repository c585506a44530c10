import Foundation
import Histogram

/// One operation's latencies over a run, in milliseconds.
public struct OperationSummary: Sendable, Codable, Equatable {
    public var count: Int
    public var perSecond: Double
    public var p50: Double
    public var p90: Double
    public var p99: Double
    public var p999: Double
    public var max: Double
    public var mean: Double
}

/// What a load run measured.
public struct LoadSummary: Sendable, Codable, Equatable {
    public var mode: String
    public var targetRate: Double?
    public var terminals: Int
    public var seconds: Double
    /// Approved operations by kind (`sign-on-storm`: the sign-ons of the start).
    public var operations: [String: OperationSummary]
    /// Refusals by response code, and failures by kind (`unknown`: outcome never learnt).
    public var errors: [String: Int]
    /// The sign-on storm: how long until every terminal was signed in, all starting together
    /// (at most `setupConcurrency` at once).
    public var signOnStormSeconds: Double
    /// Requests whose outcome was unknown once the SDK's own retransmissions were spent, so the
    /// run resent them (setup included), and of those the ones still unanswered after the
    /// grace, given up (`errors["unknown"]` in the run): after a clean run, 0.
    public var unknownOutcomes = 0
    public var unknownOutcomesLeft = 0
    /// The faults injected (`--faults`), or nil.
    public var faults: FaultCounters?
    /// Approved card openings and contract signings: the operations the record holds.
    public var approved: Int {
        [LoadOperation.cardOpening, .contractSigning].reduce(0) { $0 + (operations[$1.name]?.count ?? 0) }
    }
}

/// A second of a run, for the progress line.
public struct LoadProgress: Sendable {
    public var elapsedSeconds: Int
    public var completed: Int
    public var totalCompleted: Int
    public var errors: Int
    public var p50: Double
    public var p99: Double

    public var line: String {
        String(format: "t=%3ds  %6d ops/s  p50 %7.2f ms  p99 %7.2f ms  total %8d  errors %d", elapsedSeconds, completed, p50, p99,
               totalCompleted, errors)
    }
}

/// Latencies (HDR histograms, microseconds, three significant digits) and errors, as they come.
actor LoadStatistics {
    private var histograms: [LoadOperation: Histogram<UInt64>] = [:]
    private var interval = LoadStatistics.histogram()
    private var errors: [String: Int] = [:]
    private var totalCompleted = 0
    private var errorCount = 0
    private var unknownOutcomes = 0
    private var unknownOutcomesLeft = 0

    static func histogram() -> Histogram<UInt64> {
        Histogram<UInt64>(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
    }

    func record(_ operation: LoadOperation, _ latency: Duration) {
        let microseconds = UInt64(max(1, latency.components.seconds * 1_000_000 + latency.components.attoseconds / 1_000_000_000_000))
        _ = histograms[operation, default: Self.histogram()].record(microseconds)
        guard operation != .signOnStorm else { return }
        _ = interval.record(microseconds)
        totalCompleted += 1
    }

    func error(_ kind: String) {
        errors[kind, default: 0] += 1
        errorCount += 1
    }

    func outcomeUnknown() { unknownOutcomes += 1 }
    func outcomeGivenUp() { unknownOutcomesLeft += 1 }

    /// The last second's figures; starts the next second.
    func takeProgress(elapsedSeconds: Int) -> LoadProgress {
        defer { interval.reset() }
        return LoadProgress(elapsedSeconds: elapsedSeconds, completed: Int(interval.totalCount), totalCompleted: totalCompleted, errors: errorCount,
                            p50: Double(interval.valueAtPercentile(50)) / 1000, p99: Double(interval.valueAtPercentile(99)) / 1000)
    }

    func summary(mode: String, targetRate: Double?, terminals: Int, seconds: Double, stormSeconds: Double) -> LoadSummary {
        var operations: [String: OperationSummary] = [:]
        for (operation, histogram) in histograms {
            let count = Int(histogram.totalCount)
            let span = operation == .signOnStorm ? stormSeconds : seconds
            func ms(_ value: UInt64) -> Double { Double(value) / 1000 }
            operations[operation.name] = OperationSummary(
                count: count, perSecond: span > 0 ? Double(count) / span : 0, p50: ms(histogram.valueAtPercentile(50)),
                p90: ms(histogram.valueAtPercentile(90)), p99: ms(histogram.valueAtPercentile(99)), p999: ms(histogram.valueAtPercentile(99.9)),
                max: ms(histogram.max), mean: histogram.mean / 1000)
        }
        return LoadSummary(mode: mode, targetRate: targetRate, terminals: terminals, seconds: seconds, operations: operations, errors: errors,
                           signOnStormSeconds: stormSeconds, unknownOutcomes: unknownOutcomes, unknownOutcomesLeft: unknownOutcomesLeft)
    }
}
