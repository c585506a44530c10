import Foundation
import MPOSProtocol
import MPOSTestSupport
import Testing

/// The words the console shows for each response code are docs/protocol.md §4.3's, word for word.
@Suite("Response codes in plain words")
struct ResponseCodeExplanationTests {
    @Test("every code's meaning and operator action match docs/protocol.md §4.3, and the table lists every code")
    func matchesTheProtocolPage() throws {
        let page = try String(contentsOf: PythonScript.repositoryRoot.appendingPathComponent("docs/protocol.md"), encoding: .utf8)
        let section = try #require(page.components(separatedBy: "### 4.3 Response codes").dropFirst().first)
        var rows: [String: (meaning: String, action: String)] = [:]
        for line in section.split(separator: "\n").prefix(40) where line.hasPrefix("| `") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            rows[cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))] = (cells[1], cells[2])
        }
        #expect(rows.count == ResponseCode.allCases.count)
        for code in ResponseCode.allCases {
            let row = try #require(rows[code.rawValue], "docs/protocol.md §4.3 lists \(code.rawValue)")
            #expect(code.meaning == row.meaning)
            #expect((code.operatorAction ?? "—") == row.action)
        }
    }
}
