public import Foundation

/// Runs a built executable of this package (`mpos-host`, `mpos-terminal`) as a separate
/// process, as an operator would: arguments, standard input, and what it printed.
public enum ProcessRunner {
    public struct Run: Sendable {
        public let status: Int32
        public let output: String
        public let error: String
    }

    /// The built executable `name`, next to the test bundle (both are in the build folder); a
    /// path (with a `/`) is taken as it is.
    public static func executable(_ name: String) -> URL {
        if name.contains("/") { return URL(fileURLWithPath: name) }
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(name)
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return PythonScript.repositoryRoot.appendingPathComponent(".build/debug/\(name)")
    }

    /// Runs the program to its end. The waiting happens on a thread of its own, never on one
    /// of Swift concurrency's few cooperative threads: a test blocking those while its child
    /// waits for something the test process must do (release a database lock, say) would
    /// deadlock.
    public static func run(_ name: String, _ arguments: [String], input: String = "", environment: [String: String] = [:]) async throws -> Run {
        try await withCheckedThrowingContinuation { continuation in
            Thread {
                continuation.resume(with: Result { try runBlocking(name, arguments, input: input, environment: environment) })
            }.start()
        }
    }

    private static func runBlocking(_ name: String, _ arguments: [String], input: String, environment: [String: String]) throws -> Run {
        let process = Process()
        process.executableURL = executable(name)
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment
        merged.removeValue(forKey: "MPOS_LMK")
        merged.merge(environment) { $1 }
        process.environment = merged
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        // stderr is read on another thread so neither pipe can fill and stall the process.
        let errorData = CollectedData()
        let errorReader = Thread { errorData.value = stderr.fileHandleForReading.readDataToEndOfFile() }
        errorReader.start()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while errorData.value == nil { Thread.sleep(forTimeInterval: 0.001) }
        return Run(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self),
                   error: String(decoding: errorData.value ?? Data(), as: UTF8.self))
    }
}

/// A box the stderr reader thread fills once (read after the process has ended).
private final class CollectedData: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Data?
    var value: Data? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
