import CMPOSHardening
import Foundation

/// How the server process uses glibc's allocator.
///
/// By default glibc hands the free memory at the top of each heap back to the kernel once it
/// exceeds 128 kB; under load every request then faults those pages back in (`perf` on
/// `mpos-host serve`: ~7% of the host's CPU in page faults and ~3% in `madvise`). Keeping up to
/// 32 MB per heap raises contract signings per second by ~15% on the 2-vCPU benchmark machine
/// (BENCHMARKS.md) for a bounded amount of memory held back. Setting it also fixes glibc's mmap
/// threshold at its initial 128 kB (no longer raised as large blocks are freed): the host's
/// allocations under load are far smaller. An operator's own `MALLOC_TRIM_THRESHOLD_` wins.
public enum AllocatorTuning {
    public static let trimThreshold = 32 << 20

    /// Returns whether the setting was applied.
    @discardableResult
    public static func keepFreedMemoryForReuse() -> Bool {
        guard ProcessInfo.processInfo.environment["MALLOC_TRIM_THRESHOLD_"] == nil else { return false }
        return cmpos_set_malloc_trim_threshold(Int32(trimThreshold)) == 0
    }
}
