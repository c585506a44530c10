public import MPOSErrors
public import Foundation
public import MPOSCrypto
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The LMK at rest: a file of 64 hex digits (and a newline), owned by the host's user and
/// readable by nobody else — or the environment variable `MPOS_LMK`, for deployments whose
/// secret manager injects it. A file that others can read is refused, not used: a key that
/// has been readable by others must be considered known.
public enum LocalMasterKeyFile {
    public static let environmentVariable = "MPOS_LMK"

    /// Writes a fresh LMK to `path`, created owner-only (0600); refuses to overwrite.
    public static func create(at path: String) throws -> LocalMasterKey {
        let lmk = try LocalMasterKey()
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            throw HostSetupError("cannot create the LMK file \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        let text = Array((Hex.encode(lmk.unsafeRawBytes) + "\n").utf8)
        guard text.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == text.count, fsync(fd) == 0 else {
            throw HostSetupError("cannot write the LMK file \(path)")
        }
        return lmk
    }

    /// The LMK from `MPOS_LMK` if it is set (and then removed from this process's environment,
    /// so no child process inherits it), else from `path`. The file is opened once, without
    /// following a symbolic link, and its owner and mode are checked on that same descriptor.
    public static func load(path: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> LocalMasterKey {
        if let hex = environment[environmentVariable] {
            unsetenv(environmentVariable)
            return try parse(hex, source: "$\(environmentVariable)")
        }
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT {
                throw HostSetupError("no LMK file at \(path) (and \(environmentVariable) is not set): run `mpos-host init` first")
            }
            throw HostSetupError("cannot open the LMK file \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw HostSetupError("the LMK file \(path) is not a regular file")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw HostSetupError("the LMK file \(path) is readable or writable by others (mode \(String(info.st_mode & 0o777, radix: 8))); refusing it. Treat the key as known: rotate to a new LMK.")
        }
        guard info.st_uid == geteuid() else {
            throw HostSetupError("the LMK file \(path) belongs to another user; refusing it")
        }
        var buffer = [UInt8](repeating: 0, count: 130)
        let count = read(fd, &buffer, buffer.count)
        guard count > 0, count < buffer.count else { throw HostSetupError("cannot read the LMK file \(path)") }
        defer { for index in buffer.indices { buffer[index] = 0 } }
        return try parse(String(decoding: buffer[..<count], as: UTF8.self), source: path)
    }

    private static func parse(_ text: String, source: String) throws -> LocalMasterKey {
        let digits = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard digits.utf8.count == 64, let bytes = try? Hex.decode(digits), let lmk = try? LocalMasterKey(unsafeRawBytes: bytes) else {
            throw HostSetupError("\(source) does not hold an LMK (64 hex digits)")
        }
        return lmk
    }
}

/// A problem with the host's data directory, LMK or configuration: what to fix, in words.
public struct HostSetupError: CodedError {
    public typealias Code = ErrorCodeOf<HostSetupError>

    public let code = Code.setup
    public let message: String
    public init(_ message: String) { self.message = message }
}

extension ErrorCodeOf where Domain == HostSetupError {
    public static var setup: Self { Self("host.setup") }
}
