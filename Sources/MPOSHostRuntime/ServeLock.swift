import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One `mpos-host serve` per SQLite data directory: an exclusive lock (`flock`) on `serve.lock`
/// in it, held for the life of the process (the kernel releases it when the process ends,
/// however it ends), with the holder's process ID written in the file for the message a
/// second one gets. Administration commands do not take it: they share the store with a
/// running host, as SQLite allows.
///
/// PostgreSQL hosts do not take it: several nodes on one database is what that store is for.
public final class ServeLock: Sendable {
    private let descriptor: Int32

    private init(descriptor: Int32) { self.descriptor = descriptor }

    deinit { close(descriptor) }

    public static func path(in directory: DataDirectory) -> String {
        (directory.path as NSString).appendingPathComponent("serve.lock")
    }

    /// Takes the lock, or throws naming the process that holds it.
    public static func acquire(in directory: DataDirectory) throws -> ServeLock {
        let path = path(in: directory)
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw HostSetupError("cannot open \(path) (\(String(cString: strerror(errno)))): check the data directory's permissions")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            close(descriptor)
            let who = holder.flatMap(Int32.init).map { "process \($0)" } ?? "another process"
            throw HostSetupError("""
                another mpos-host serve (\(who)) is already serving from \(directory.path): stop it first, or give this one \
                a data directory of its own (two hosts on one SQLite store would each think its memory of sessions current)
                """)
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = pid.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        return ServeLock(descriptor: descriptor)
    }
}
