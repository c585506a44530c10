public import Foundation

/// Runs the test suite's Python scripts (`Tests/CrossCheck/…`), the independent
/// implementations every cross-check compares against, with the venv's interpreter.
///
/// `scripts/test` creates the venv at `.venv` with the pinned packages of
/// `Tests/CrossCheck/requirements.txt`; `MPOS_PYTHON` may name another interpreter.
public enum PythonScript {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    /// The repository root, found from this file's path (Tests/MPOSTestSupport/…).
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var python: URL {
        get throws {
            if let path = ProcessInfo.processInfo.environment["MPOS_PYTHON"] { return URL(fileURLWithPath: path) }
            let venv = repositoryRoot.appendingPathComponent(".venv/bin/python")
            guard FileManager.default.isExecutableFile(atPath: venv.path) else {
                throw Failure("no Python venv at \(venv.path): run scripts/test, which creates it")
            }
            return venv
        }
    }

    /// Runs `Tests/CrossCheck/<script>` with `arguments`, `input` on stdin; returns stdout.
    /// A non-zero exit is an error carrying the script's stderr.
    public static func run(_ script: String, _ arguments: [String], input: Data) throws -> Data {
        try run(script, arguments, input: input, timeLimit: nil)
    }

    /// The same, for an async test: on a thread of its own (never one of Swift concurrency's
    /// few cooperative threads), and killed after `timeLimit`, which is then the error.
    public static func run(_ script: String, _ arguments: [String], input: Data = Data(), timeLimit: Duration) async throws -> Data {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result { try run(script, arguments, input: input, timeLimit: timeLimit) })
            }.start()
        }
    }

    private static func run(_ script: String, _ arguments: [String], input: Data, timeLimit: Duration?) throws -> Data {
        let inputFile = FileManager.default.temporaryDirectory.appendingPathComponent("mpos-python-\(UUID().uuidString).json")
        try input.write(to: inputFile)
        defer { try? FileManager.default.removeItem(at: inputFile) }
        // stderr goes to a file, so a chatty failure cannot fill a pipe while stdout is read.
        let errorFile = inputFile.appendingPathExtension("stderr")
        guard FileManager.default.createFile(atPath: errorFile.path, contents: nil) else {
            throw Failure("cannot create \(errorFile.path)")
        }
        defer { try? FileManager.default.removeItem(at: errorFile) }

        let process = Process()
        process.executableURL = try python
        process.arguments = [repositoryRoot.appendingPathComponent("Tests/CrossCheck/\(script)").path] + arguments
        process.standardInput = try FileHandle(forReadingFrom: inputFile)
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = try FileHandle(forWritingTo: errorFile)
        try process.run()
        let killed = KilledFlag()
        if let timeLimit {
            let seconds = Double(timeLimit.components.seconds) + Double(timeLimit.components.attoseconds) / 1e18
            DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [process] in
                if process.isRunning { killed.set(); process.terminate() }
            }
        }
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        if killed.isSet, let timeLimit {
            throw Failure("\(script) did not finish within \(timeLimit) and was stopped")
        }
        guard process.terminationStatus == 0 else {
            let errors = (try? Data(contentsOf: errorFile)) ?? Data()
            throw Failure("\(script) \(arguments.first ?? "") exited \(process.terminationStatus): \(String(decoding: errors, as: UTF8.self))")
        }
        return output
    }
}

/// Set once, by the timer that stops a script past its time limit.
private final class KilledFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
