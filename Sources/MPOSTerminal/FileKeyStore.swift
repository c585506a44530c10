import Crypto
import _CryptoExtras
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A key store in one file, for Linux and everywhere: `terminal.keys` in a directory of the
/// owner's only (created 0700; the file 0600; either one readable by others, owned by someone
/// else, or a symbolic link is refused), its contents encrypted with AES-256-GCM.
///
/// The key comes from either
/// - a passphrase the app supplies, through scrypt (N = 2^15, r = 8, p = 1, a random 16-byte
///   salt per store): a stolen disk image or backup gives nothing without the passphrase, but
///   someone must enter it (or the app must keep it elsewhere, e.g. a hardware keystore); or
/// - a random 32-byte key file `terminal.key` beside it (0600), through HKDF-SHA256: no
///   passphrase to enter, and a copy of `terminal.keys` alone is useless — but whoever can read
///   the directory (the same user, root, a whole-directory backup) reads both, so it protects
///   against less.
///
/// File format, version 1 (big-endian), everything before the nonce in the clear and all of it
/// authenticated as the GCM associated data (so the terminal ID, salt and cost cannot be
/// changed or swapped):
///
///     "MPOSKS" ‖ version 01 ‖ key source (01 scrypt, 02 key file) ‖ log2 N ‖ r ‖ p ‖
///     salt (16) ‖ terminal ID length (1) ‖ terminal ID (ASCII) ‖ nonce (12) ‖ ciphertext ‖ tag (16)
///
/// The plaintext is ``TerminalKeyRecord``'s JSON. Writes are atomic: a temporary file in the
/// same directory, written, fsynced, renamed over the old one, then the directory fsynced.
/// The derived key is kept in memory for the store's lifetime, so saving the STAN before each
/// request does not run scrypt each time.
public actor FileKeyStore: TerminalKeyStore {
    public enum Protection: Sendable {
        case passphrase(String)
        case keyFile
    }

    public static let fileName = "terminal.keys"
    public static let keyFileName = "terminal.key"

    public nonisolated let directory: String
    private let protection: Protection
    private var derived: (parameters: [UInt8], key: SymmetricKey)?

    private static let magic = Array("MPOSKS".utf8)
    private static let formatVersion: UInt8 = 1
    private static let scryptCost: (log2N: UInt8, r: UInt8, p: UInt8) = (15, 8, 1)

    public init(directory: String, protection: Protection) {
        self.directory = directory
        self.protection = protection
    }

    public nonisolated var path: String { directory + "/" + Self.fileName }
    private nonisolated var keyFilePath: String { directory + "/" + Self.keyFileName }

    public func load() throws -> TerminalKeyRecord? {
        guard try ownerOnly(directory, directory: true) else { return nil }
        guard let file = try readOwnerOnlyFile(path) else { return nil }
        let altered = TerminalError(.keyStore, "The key store does not open: wrong passphrase, or the file was altered")
        // The fixed header, then the terminal ID, then at least nonce and tag.
        guard file.count >= 28, Array(file[0..<6]) == Self.magic else { throw altered }
        guard file[6] == Self.formatVersion else {
            throw TerminalError(.keyStore, "The key store has format version \(file[6]), which this version of the SDK does not read")
        }
        let idLength = Int(file[27])
        guard file.count >= 28 + idLength + 12 + 16 else { throw altered }
        let header = Array(file[0..<(28 + idLength)])
        let key = try key(parameters: Array(header[7..<27]))
        let plaintext: [UInt8]
        do {
            let box = try AES.GCM.SealedBox(combined: file[header.count...])
            plaintext = Array(try AES.GCM.open(box, using: key, authenticating: header))
        } catch { throw altered }
        let record = try TerminalKeyRecord(encoded: plaintext)
        guard Array(record.credentials.terminalID.utf8) == Array(header[28...]) else { throw altered }
        return record
    }

    public func save(_ record: TerminalKeyRecord) throws {
        try createDirectory()
        let terminalID = Array(record.credentials.terminalID.utf8)
        guard terminalID.count <= 255 else { throw TerminalError(.keyStore, "The terminal ID is too long for the key store") }
        let parameters = try derived?.parameters ?? newParameters()
        let header = Self.magic + [Self.formatVersion] + parameters + [UInt8(terminalID.count)] + terminalID
        let sealed: [UInt8]
        do {
            let box = try AES.GCM.seal(try record.encoded(), using: try key(parameters: parameters), authenticating: header)
            sealed = Array(box.combined!)
        } catch let error as TerminalError {
            throw error
        } catch {
            throw TerminalError(.keyStore, "The key store cannot encrypt the terminal's keys: \(error)")
        }
        try writeAtomically(header + sealed, to: path)
    }

    public func erase() throws {
        for file in [path, keyFilePath] where unlink(file) != 0 && errno != ENOENT {
            throw failure("cannot delete \(file)")
        }
        derived = nil
    }

    // MARK: Keys

    /// Key source, cost and a fresh salt, as stored in the header (bytes 7..<27).
    private func newParameters() throws -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        let salt = (0..<16).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        switch protection {
        case .passphrase: return [1, Self.scryptCost.log2N, Self.scryptCost.r, Self.scryptCost.p] + salt
        case .keyFile: return [2, 0, 0, 0] + salt
        }
    }

    private func key(parameters: [UInt8]) throws -> SymmetricKey {
        if let derived, derived.parameters == parameters { return derived.key }
        let salt = Array(parameters[4...])
        let key: SymmetricKey
        switch (protection, parameters[0]) {
        case (.passphrase(let passphrase), 1):
            let (log2N, r, p) = (Int(parameters[1]), Int(parameters[2]), Int(parameters[3]))
            // Bounds, so that an altered header cannot make the terminal spend minutes or gigabytes.
            // The header is authenticated only after the key is derived, so a tampered one must
            // not buy a huge derivation: 128·r·N at most 32 MiB (this version writes 2^15, 8, 1).
            guard (10...15).contains(log2N), (1...8).contains(r), (1...2).contains(p) else {
                throw TerminalError(.keyStore, "The key store's scrypt parameters are out of range: the file was altered")
            }
            do {
                key = try KDF.Scrypt.deriveKey(from: Array(passphrase.utf8), salt: salt, outputByteCount: 32,
                                               rounds: 1 << log2N, blockSize: r, parallelism: p)
            } catch {
                throw TerminalError(.keyStore, "The key store's key cannot be derived: \(error)")
            }
        case (.keyFile, 2):
            let keyFile = try readOwnerOnlyFile(keyFilePath) ?? createKeyFile()
            guard keyFile.count == 32 else { throw TerminalError(.keyStore, "The key file \(keyFilePath) is not 32 bytes: it was altered") }
            key = HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: keyFile), salt: salt,
                                         info: Array("mpos terminal key store v1".utf8), outputByteCount: 32)
        case (.passphrase, _):
            throw TerminalError(.keyStore, "The key store is protected by a key file, not a passphrase")
        case (.keyFile, _):
            throw TerminalError(.keyStore, "The key store is protected by a passphrase, not a key file")
        }
        derived = (parameters, key)
        return key
    }

    private func createKeyFile() throws -> [UInt8] {
        guard access(path, F_OK) != 0 else {
            throw TerminalError(.keyStore, "The key file \(keyFilePath) is missing: the key store cannot be opened")
        }
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        try writeAtomically(bytes, to: keyFilePath)
        return bytes
    }

    // MARK: Files

    private func createDirectory() throws {
        if try !ownerOnly(directory, directory: true) {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                        attributes: [.posixPermissions: 0o700])
            } catch {
                throw TerminalError(.keyStore, "The key store directory \(directory) cannot be created: \(error.localizedDescription)")
            }
            _ = try ownerOnly(directory, directory: true)
        }
    }

    /// Whether `path` exists; throws if it does but is not the owner's alone (or is a link).
    private func ownerOnly(_ path: String, directory: Bool) throws -> Bool {
        var info = stat()
        guard lstat(path, &info) == 0 else {
            if errno == ENOENT { return false }
            throw failure("cannot inspect \(path)")
        }
        try check(info, path, directory: directory)
        return true
    }

    private func check(_ info: stat, _ path: String, directory: Bool) throws {
        let typeMask: mode_t = 0o170000, directoryType: mode_t = 0o040000, regularType: mode_t = 0o100000
        guard info.st_mode & typeMask == (directory ? directoryType : regularType) else {
            throw TerminalError(.keyStore, "\(path) is not a \(directory ? "directory" : "regular file") (symbolic links are refused)")
        }
        guard info.st_uid == geteuid() else { throw TerminalError(.keyStore, "\(path) belongs to another user") }
        guard info.st_mode & 0o077 == 0 else {
            throw TerminalError(.keyStore, "\(path) is accessible to other users: make it owner-only (chmod \(directory ? "700" : "600"))")
        }
    }

    private func readOwnerOnlyFile(_ path: String) throws -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw failure("cannot open \(path)")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw failure("cannot inspect \(path)") }
        try check(info, path, directory: false)
        guard info.st_size <= 1 << 20 else { throw TerminalError(.keyStore, "\(path) is too large to be a key store") }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw failure("cannot read \(path)") }
            if count == 0 { return bytes }
            bytes += buffer[..<count]
        }
    }

    private func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let temporary = path + ".tmp-" + String(UInt64.random(in: .min ... .max), radix: 16)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw failure("cannot create \(temporary)") }
        var renamed = false
        defer { if !renamed { unlink(temporary) } }
        do {
            defer { close(fd) }
            guard fchmod(fd, 0o600) == 0 else { throw failure("cannot set the mode of \(temporary)") }
            var written = 0
            while written < bytes.count {
                let count = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
                if count < 0, errno == EINTR { continue }
                guard count > 0 else { throw failure("cannot write \(temporary)") }
                written += count
            }
            guard fsync(fd) == 0 else { throw failure("cannot sync \(temporary)") }
        }
        guard rename(temporary, path) == 0 else { throw failure("cannot replace \(path)") }
        renamed = true
        // The rename itself must reach the disk too.
        let directoryFD = open(directory, O_RDONLY | O_CLOEXEC)
        if directoryFD >= 0 {
            _ = fsync(directoryFD)
            close(directoryFD)
        }
    }

    private func failure(_ what: String) -> TerminalError {
        TerminalError(.keyStore, "The key store failed: \(what): \(String(cString: strerror(errno)))")
    }
}
