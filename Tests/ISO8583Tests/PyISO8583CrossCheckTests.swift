import Foundation
import MPOSTestSupport
import Testing
@testable import ISO8583

/// Two-way cross-check against pyiso8583 (`Tests/CrossCheck/iso8583_crosscheck.py`), which
/// builds its own specification from our table: Swift encodes and pyiso8583 decodes and
/// re-encodes; pyiso8583 encodes and Swift decodes and re-encodes.
@Suite("Cross-check against pyiso8583", .timeLimit(.minutes(5)))
struct PyISO8583CrossCheckTests {
    struct Case: Codable { let mti: String; let fields: [String: String]; let bytes: String }
    struct Request: Encodable { let spec: [[String]]; let cases: [Case]? }
    struct Verdict: Decodable { let checked: Int; let failures: [Failure] }
    struct Failure: Decodable, CustomStringConvertible { let index: Int; let reason: String; var description: String { "case \(index): \(reason)" } }
    struct Produced: Decodable { let cases: [Case] }

    static let table = testSpecification.tableRows

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02X", $0) }.joined() }
    static func unhex(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            out.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return out
    }

    @Test("Swift encodes 500 random messages; pyiso8583 decodes each to the same fields and re-encodes the same bytes")
    func swiftToPython() throws {
        var rng = SystemRandomNumberGenerator()
        let cases = try (0..<500).map { _ in
            let message = randomMessage(&rng)
            let fields = Dictionary(uniqueKeysWithValues: message.presentFields.map { (String($0), Self.hex(message[$0]!)) })
            return Case(mti: message.mti.rawValue, fields: fields, bytes: Self.hex(try codec.encode(message)))
        }
        let output = try PythonScript.run("iso8583_crosscheck.py", ["verify"], input: JSONEncoder().encode(Request(spec: Self.table, cases: cases)))
        let verdict = try JSONDecoder().decode(Verdict.self, from: output)
        #expect(verdict.checked == 500)
        #expect(verdict.failures.isEmpty, "\(verdict.failures.prefix(5))")
    }

    @Test("pyiso8583 encodes 500 random messages; Swift decodes each to the same fields and re-encodes the same bytes")
    func pythonToSwift() throws {
        let seed = UInt64.random(in: 0...UInt64(UInt32.max))
        let output = try PythonScript.run("iso8583_crosscheck.py", ["produce", "--count", "500", "--seed", String(seed)],
                                          input: JSONEncoder().encode(Request(spec: Self.table, cases: nil)))
        let cases = try JSONDecoder().decode(Produced.self, from: output).cases
        #expect(cases.count == 500)
        for (index, c) in cases.enumerated() {
            let bytes = Self.unhex(c.bytes)
            let message = try codec.decode(bytes)
            #expect(message.mti.rawValue == c.mti, "seed \(seed) case \(index)")
            #expect(Set(message.presentFields.map(String.init)) == Set(c.fields.keys), "seed \(seed) case \(index)")
            for (key, value) in c.fields {
                #expect(message[Int(key)!].map(Self.hex) == value, "seed \(seed) case \(index) field \(key)")
            }
            #expect(try codec.encode(message) == bytes, "seed \(seed) case \(index)")
        }
    }
}
