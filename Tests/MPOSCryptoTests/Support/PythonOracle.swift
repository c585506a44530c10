import Foundation

/// The independent implementation: `Tests/CrossCheck/crosscheck.py`, run with the test venv's
/// Python (psec and pyca/cryptography, pinned in `Tests/CrossCheck/requirements.txt`).
///
/// `scripts/test` creates the venv at `.venv`; `MPOS_PYTHON` may name another interpreter.
enum PythonOracle {
    struct Failure: Decodable, CustomStringConvertible {
        let index: Int
        let reason: String
        var description: String { "case \(index): \(reason)" }
    }

    struct Verdict: Decodable {
        let kind: String
        let checked: Int
        let failures: [Failure]
    }

    struct Cases<Case: Codable>: Codable {
        let kind: String
        let cases: [Case]
    }

    struct OracleError: Error, CustomStringConvertible {
        let description: String
    }

    static var python: URL {
        get throws {
            if let path = ProcessInfo.processInfo.environment["MPOS_PYTHON"] { return URL(fileURLWithPath: path) }
            let venv = repositoryRoot.appendingPathComponent(".venv/bin/python")
            guard FileManager.default.isExecutableFile(atPath: venv.path) else {
                throw OracleError(description: "no Python venv at \(venv.path): run scripts/test, which creates it")
            }
            return venv
        }
    }

    static let script = repositoryRoot.appendingPathComponent("Tests/CrossCheck/crosscheck.py")

    /// Swift produced the cases; Python checks each one with its own implementation.
    static func verify<Case: Codable>(kind: String, cases: [Case]) throws -> Verdict {
        let input = try JSONEncoder().encode(Cases(kind: kind, cases: cases))
        let output = try run(["verify"], input: input)
        return try JSONDecoder().decode(Verdict.self, from: output)
    }

    /// Python produces cases with its own implementation, for Swift to check.
    static func produce<Case: Codable>(kind: String, count: Int, seed: UInt64, as: Case.Type) throws -> [Case] {
        let output = try run(["produce", "--kind", kind, "--count", String(count), "--seed", String(seed)], input: Data())
        return try JSONDecoder().decode(Cases<Case>.self, from: output).cases
    }

    private static func run(_ arguments: [String], input: Data) throws -> Data {
        let inputFile = FileManager.default.temporaryDirectory.appendingPathComponent("mpos-oracle-\(UUID().uuidString).json")
        try input.write(to: inputFile)
        defer { try? FileManager.default.removeItem(at: inputFile) }

        let process = Process()
        process.executableURL = try python
        process.arguments = [script.path] + arguments
        process.standardInput = try FileHandle(forReadingFrom: inputFile)
        // stderr goes to a file, so a chatty failure cannot fill a pipe while stdout is read.
        let errorFile = inputFile.appendingPathExtension("stderr")
        guard FileManager.default.createFile(atPath: errorFile.path, contents: nil) else {
            throw OracleError(description: "cannot create \(errorFile.path)")
        }
        defer { try? FileManager.default.removeItem(at: errorFile) }
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = try FileHandle(forWritingTo: errorFile)
        try process.run()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let errors = (try? Data(contentsOf: errorFile)) ?? Data()
        guard process.terminationStatus == 0 else {
            throw OracleError(description: "crosscheck.py \(arguments.first ?? "") exited \(process.terminationStatus): \(String(decoding: errors, as: UTF8.self))")
        }
        return output
    }
}
