import Foundation
#if canImport(Glibc)
import Glibc
#endif
import MPOSHostRuntime

/// Where `mpos-host login` keeps the admin API's address and token: `$MPOS_ADMIN_TOKEN_FILE`,
/// else `~/.config/mpos/admin-token`, readable by its owner only (a token acts as its person).
enum AdminTokenFile {
    struct Contents: Codable {
        let url: String
        let token: String
    }

    static var path: String {
        if let path = ProcessInfo.processInfo.environment["MPOS_ADMIN_TOKEN_FILE"] { return path }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".config/mpos/admin-token").path
    }

    /// nil when there is none; an error when it is readable by others.
    static func read() throws -> Contents? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        if let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue, mode & 0o077 != 0 {
            throw HostSetupError("\(path) is readable by others: remove it and log in again")
        }
        guard let data = FileManager.default.contents(atPath: path), data.count < 4096,
              let contents = try? JSONDecoder().decode(Contents.self, from: data) else {
            throw HostSetupError("\(path) is not a token file: remove it and log in again")
        }
        return contents
    }

    /// Written to a new owner-only file (created 0600, never readable by others for a moment),
    /// then renamed over the old one.
    static func write(_ contents: Contents) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
        let temporary = path + ".new-\(getpid())"
        let data = Array(try JSONEncoder().encode(contents))
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw HostSetupError("cannot write \(temporary)") }
        let written = data.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == data.count, synced, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw HostSetupError("cannot write \(path)")
        }
    }

    static func remove() { try? FileManager.default.removeItem(atPath: path) }
}
