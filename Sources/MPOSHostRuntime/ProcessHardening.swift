import CMPOSHardening
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What a process holding the LMK does first: no core dumps (a dump would hold every key the
/// process has unwrapped), and on Linux not dumpable at all (no ptrace attach by other
/// processes of the same user, no /proc/PID/mem for them).
public enum ProcessHardening {
    /// Returns whether both measures took effect.
    @discardableResult
    public static func disableCoreDumps() -> Bool {
        var limit = rlimit(rlim_cur: 0, rlim_max: 0)
        #if canImport(Glibc)
        let coreLimitSet = setrlimit(Int32(RLIMIT_CORE.rawValue), &limit) == 0
        let notDumpable = cmpos_set_not_dumpable() == 0
        return coreLimitSet && notDumpable
        #else
        return setrlimit(RLIMIT_CORE, &limit) == 0
        #endif
    }

    /// Whether the process may be dumped (nil where the system cannot say).
    public static var isDumpable: Bool? {
        let value = cmpos_is_dumpable()
        return value < 0 ? nil : value == 1
    }

    /// The current core-size limit (for tests and `mpos-host` start-up messages).
    public static var coreDumpLimit: UInt64 {
        var limit = rlimit()
        #if canImport(Glibc)
        getrlimit(Int32(RLIMIT_CORE.rawValue), &limit)
        #else
        getrlimit(RLIMIT_CORE, &limit)
        #endif
        return UInt64(limit.rlim_cur)
    }
}
