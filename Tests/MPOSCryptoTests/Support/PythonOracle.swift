import Foundation
import MPOSTestSupport

/// The independent implementation of the cryptography: `Tests/CrossCheck/crosscheck.py`
/// (psec and pyca/cryptography), run through ``PythonScript``.
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

    typealias OracleError = PythonScript.Failure

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
        try PythonScript.run("crosscheck.py", arguments, input: input)
    }
}
