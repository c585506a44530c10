import Dispatch
import Metrics

/// What a store reports to the metrics system: how long each `COMMIT` takes (the durable
/// write, for SQLite one `fsync` per group) and how many transactions each group commit holds.
public struct StoreMetrics: Sendable {
    private let commitDuration: Metrics.Timer
    private let groupSize: Recorder

    /// `store`: `sqlite` or `postgres`, the metrics' `store` label.
    public init(store: String) {
        commitDuration = Metrics.Timer(label: "mpos_store_commit_duration_seconds", dimensions: [("store", store)], preferredDisplayUnit: .seconds)
        groupSize = Recorder(label: "mpos_store_group_size", dimensions: [("store", store)])
    }

    /// The moment a `COMMIT` begins.
    public static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    public func committed(startedAt start: UInt64, transactions: Int) {
        commitDuration.recordNanoseconds(Int64(clamping: DispatchTime.now().uptimeNanoseconds &- start))
        groupSize.record(transactions)
    }
}
