import Foundation
import MPOSTestSupport
import Testing

/// `mpos-host serve` in its own process on a temporary data directory, and `mpos-host`
/// administration commands against the same directory: what an operator runs.
final class HostProcess: @unchecked Sendable {
    let dataDirectory: URL
    let port: Int
    /// The admin API's port (`--admin-port 0` unless the test gives one; nil with `-1`).
    let adminPort: Int?
    private let process: Process
    private let output: Pipe

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Starts a host (creating its store) and waits for its "listening on" line.
    /// - Parameter descriptorLimit: started under `ulimit -n` (soft and hard) of this.
    static func start(dataDirectory: URL? = nil, arguments: [String] = [], logFile: URL? = nil, descriptorLimit: Int? = nil) async throws -> HostProcess {
        let directory = dataDirectory ?? FileManager.default.temporaryDirectory.appendingPathComponent("mpos-e2e-\(UUID().uuidString)")
        let process = Process()
        let serve = ["serve", "--data-dir", directory.path, "--port", "0"] + (arguments.contains("--admin-port") ? [] : ["--admin-port", "0"]) + arguments
        if let descriptorLimit {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "ulimit -n \(descriptorLimit) && exec \"$0\" \"$@\"", ProcessRunner.executable("mpos-host").path] + serve
        } else {
            process.executableURL = ProcessRunner.executable("mpos-host")
            process.arguments = serve
        }
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "MPOS_LMK")
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        if let logFile {
            _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
            process.standardError = try FileHandle(forWritingTo: logFile)
        } else {
            process.standardError = FileHandle.nullDevice
        }
        try process.run()
        // Read lines until the address line (or the process ends); a host that says nothing
        // for a minute is killed, which ends the read.
        let watchdog = Task {
            try await Task.sleep(for: .seconds(60))
            if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        }
        defer { watchdog.cancel() }
        let (port, adminPort): (Int, Int?) = try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                var text = ""
                let handle = output.fileHandleForReading
                while true {
                    let data = handle.availableData
                    if data.isEmpty { continuation.resume(throwing: Failure(description: "mpos-host exited before listening: \(text)")); return }
                    text += String(decoding: data, as: UTF8.self)
                    // "mpos-host listening on 127.0.0.1:PORT (…)"
                    if let line = text.split(separator: "\n").first(where: { $0.hasPrefix("mpos-host listening on ") }),
                       let address = line.dropFirst("mpos-host listening on ".count).split(separator: " ").first,
                       let portText = address.split(separator: ":").last, let port = Int(portText) {
                        // "mpos-host admin API on http://127.0.0.1:PORT (console: …)", said before the line above.
                        let admin = text.split(separator: "\n").first { $0.hasPrefix("mpos-host admin API on ") }
                            .flatMap { $0.dropFirst("mpos-host admin API on ".count).split(separator: " ").first }
                            .flatMap { $0.split(separator: ":").last.flatMap { Int($0) } }
                        continuation.resume(returning: (port, admin))
                        return
                    }
                }
            }
        }
        return HostProcess(dataDirectory: directory, port: port, adminPort: adminPort, process: process, output: output)
    }

    private init(dataDirectory: URL, port: Int, adminPort: Int?, process: Process, output: Pipe) {
        self.dataDirectory = dataDirectory
        self.port = port
        self.adminPort = adminPort
        self.process = process
        self.output = output
    }

    /// Runs `mpos-host ARGUMENTS --data-dir …`; returns its standard output.
    @discardableResult
    func admin(_ arguments: [String], input: String = "") async throws -> String {
        let run = try await ProcessRunner.run("mpos-host", arguments + ["--data-dir", dataDirectory.path], input: input)
        guard run.status == 0 else { throw Failure(description: "mpos-host \(arguments.joined(separator: " ")) failed: \(run.error)") }
        return run.output
    }

    /// Adds a terminal; returns its ID and enrollment code.
    func addTerminal() async throws -> (id: String, code: String) {
        let json = try await admin(["terminal", "add", "--label", "e2e", "--json"])
        let fields = try JSONDecoder().decode([String: String].self, from: Data(json.utf8))
        guard let id = fields["terminal_id"], let code = fields["enrollment_code"] else { throw Failure(description: "no terminal in \(json)") }
        return (id, code)
    }

    var processIdentifier: Int32 { process.processIdentifier }

    /// CPU time the process has used (user and system), in clock ticks (1/100 s on Linux).
    func cpuTicks() throws -> Int {
        let stat = try String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8)
        // Fields after the command name (in parentheses, which may hold spaces): utime and
        // stime are the 12th and 13th of them.
        let fields = stat[stat.index(after: try #require(stat.lastIndex(of: ")")))...].split(separator: " ")
        return try #require(Int(fields[11])) + #require(Int(fields[12]))
    }

    /// SIGTERM, and waits for the process to end; returns its exit status.
    @discardableResult
    func stop() -> Int32 {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return process.terminationStatus
    }

    /// SIGTERM, without waiting: a graceful shutdown begins.
    func terminate() { if process.isRunning { process.terminate() } }

    /// SIGSTOP / SIGCONT: a host that stops answering (its kernel still accepts connections).
    func pause() { Foundation.kill(process.processIdentifier, SIGSTOP) }
    func resume() { Foundation.kill(process.processIdentifier, SIGCONT) }

    /// SIGKILL: no chance to finish anything.
    func kill() {
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    func removeData() {
        try? FileManager.default.removeItem(at: dataDirectory)
    }

    deinit {
        if process.isRunning { process.terminate() }
    }
}

/// The store a host process serves from: the embedded SQLite default, or — when
/// `MPOS_TEST_POSTGRES_URL` names a server (README's test command always provides one) — a
/// fresh schema on PostgreSQL, given to `serve` as `--database`.
enum HostBackend: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite
    case postgres

    var description: String { rawValue }

    static var postgresURL: String? {
        ProcessInfo.processInfo.environment["MPOS_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
    }

    static var allCases: [HostBackend] {
        [.sqlite] + (postgresURL == nil ? [] : [.postgres])
    }

    /// For `serve` on a new data directory: nothing (SQLite), or a database URL naming a
    /// schema of its own (which `serve` creates, and records in the directory's config.json).
    func serveArguments() -> [String] {
        guard self == .postgres, let url = Self.postgresURL else { return [] }
        let schema = "e2e_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        return ["--database", url + (url.contains("?") ? "&" : "?") + "schema=\(schema)"]
    }
}
