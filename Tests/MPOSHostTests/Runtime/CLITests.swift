import Foundation
import MPOSCrypto
import MPOSHostSQLite
import MPOSTestSupport
import Testing

/// `mpos-host` as an administrator runs it: a real process on a temporary data directory.
@Suite("mpos-host administration commands", .timeLimit(.minutes(10)))
struct CLITests {
    static var executable: URL { ProcessRunner.executable("mpos-host") }

    func run(_ arguments: [String], dataDirectory: String, input: String = "") async throws -> ProcessRunner.Run {
        try await ProcessRunner.run("mpos-host", arguments + ["--data-dir", dataDirectory], input: input, environment: ["USER": "cli-test"])
    }

    @Test("init, operators, terminals, keys and the audit trail, then a tampered audit row and a readable LMK file")
    func administration() async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.executable.path) else {
            Issue.record("mpos-host is not built at \(Self.executable.path): run `swift build --build-tests`")
            return
        }
        let folder = try TemporaryFolder.make()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("data").path

        let initialised = try await run(["init"], dataDirectory: data)
        #expect(initialised.status == 0, "\(initialised.error)")
        #expect(initialised.output.contains("base master key            version 1"))
        #expect(try await run(["init"], dataDirectory: data).status == 1)  // once

        #expect(try await run(["operator", "add", "01", "--name", "Operator 01"], dataDirectory: data, input: "Op#5417\n").status == 0)
        let badKey = try await run(["operator", "add", "02", "--name", "Two"], dataDirectory: data, input: "ab\n")
        #expect(badKey.status == 1)
        #expect(badKey.error.contains("4-16 printable characters"))

        let added = try await run(["terminal", "add", "--label", "Counter 1", "--json"], dataDirectory: data)
        #expect(added.status == 0)
        let terminal = try JSONDecoder().decode([String: String].self, from: Data(added.output.utf8))
        #expect(terminal["terminal_id"] == "00000001")
        #expect(terminal["enrollment_code"]?.count == 39)

        // Many terminals' one-time codes go to a new owner-only file, never over an existing one.
        let codes = folder.appendingPathComponent("terminals.json").path
        #expect(try await run(["terminal", "add", "--count", "3", "--label", "load", "--output", codes], dataDirectory: data).status == 0)
        #expect(try FileManager.default.attributesOfItem(atPath: codes)[.posixPermissions] as? Int == 0o600)
        let listed = try JSONDecoder().decode([[String: String]].self, from: Data(contentsOf: URL(fileURLWithPath: codes)))
        #expect(listed.map { $0["terminal_id"] } == ["00000002", "00000003", "00000004"])
        #expect(try await run(["terminal", "add", "--count", "1", "--label", "load", "--output", codes], dataDirectory: data).status == 64)
        #expect(try await run(["terminal", "show", "00000005"], dataDirectory: data).status == 1)  // no code issued in vain

        let operators = try await run(["operator", "list", "--json"], dataDirectory: data)
        #expect(operators.output.contains("\"number\" : \"01\"") && operators.output.contains("\"state\" : \"active\""))
        #expect(!operators.output.contains("Op#5417"))
        #expect(try await run(["terminal", "block", "00000001"], dataDirectory: data).status == 0)
        #expect(try await run(["terminal", "show", "00000001"], dataDirectory: data).output.contains("blocked"))
        #expect(try await run(["terminal", "show", "99999999"], dataDirectory: data).status == 1)
        let keys = try await run(["key", "list"], dataDirectory: data)
        #expect(keys.output.contains("base master key v1") && keys.output.contains("pin-verification"))
        #expect(try await run(["key", "rotate"], dataDirectory: data).output.contains("version 2 is active"))

        let verified = try await run(["audit", "verify"], dataDirectory: data)
        #expect(verified.status == 0)
        #expect(verified.output.contains("intact"))
        #expect(try await run(["audit", "tail", "-n", "3", "--json"], dataDirectory: data).output.contains("key.bmk.rotated"))

        // Reading personal data is recorded; the recorded head finds rows cut from the end.
        #expect(try await run(["card", "list"], dataDirectory: data).status == 0)
        let head = try await run(["audit", "head"], dataDirectory: data).output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try await run(["audit", "tail", "-n", "1"], dataDirectory: data).output.contains("admin.read.cards"))
        #expect(try await run(["audit", "tail", "-n", "1"], dataDirectory: data).output.contains("admin:"))
        #expect(try await run(["audit", "verify", "--expect-head", head], dataDirectory: data).status == 0)
        let sequence = try #require(Int(head.split(separator: ":")[0]))
        do {
            let store = try await SQLiteHostStore.open(path: folder.appendingPathComponent("data/mpos.sqlite").path)
            _ = try await store.rawScalar("DELETE FROM audit WHERE sequence = \(sequence)")
            try await store.close()
        }
        #expect(try await run(["audit", "verify"], dataDirectory: data).status == 0)
        let cut = try await run(["audit", "verify", "--expect-head", head], dataDirectory: data)
        #expect(cut.status == 1)
        #expect(cut.error.contains("cut short"))
        #expect(try await run(["audit", "tail", "-n", "0"], dataDirectory: data).status == 1)

        // An administrator's row edited behind the host's back.
        let store = try await SQLiteHostStore.open(path: folder.appendingPathComponent("data/mpos.sqlite").path)
        _ = try await store.rawScalar("UPDATE audit SET actor = 'admin:nobody' WHERE sequence = 12")
        try await store.close()
        let broken = try await run(["audit", "verify"], dataDirectory: data)
        #expect(broken.status == 1)
        #expect(broken.error.contains("broken at entry 12"))

        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: folder.appendingPathComponent("data/lmk.key").path)
        let refused = try await run(["key", "list"], dataDirectory: data)
        #expect(refused.status == 1)
        #expect(refused.error.contains("readable or writable by others"))
    }

    @Test("key ceremonies: each component confirmed by its check value; the combined check value is the key's")
    func ceremony() async throws {
        guard FileManager.default.isExecutableFile(atPath: Self.executable.path) else {
            Issue.record("mpos-host is not built at \(Self.executable.path)")
            return
        }
        let folder = try TemporaryFolder.make()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("data").path
        func input(_ components: [KeyComponent]) -> String {
            components.map { "\($0.unsafeHexDigits)\n\($0.checkValue)\n" }.joined()
        }

        let first = try AESKey<BaseDerivation>(generating: .bits256)
        let initialised = try await run(["init", "--ceremony", "2"], dataDirectory: data, input: input(try KeyComponents.split(first, into: 2)))
        #expect(initialised.status == 0, "\(initialised.error)")
        #expect(initialised.output.contains("check value \(try first.checkValue()) (ceremony (2 components))"))

        // A refused ceremony at init creates nothing: a second init then works.
        let other = folder.appendingPathComponent("other").path
        let wrong = try await run(["init", "--ceremony", "2"], dataDirectory: other,
                            input: "\(try KeyComponents.split(first, into: 2).map(\.unsafeHexDigits).joined(separator: "\n000000\n"))\n000000\n")
        #expect(wrong.status == 1)
        #expect(!FileManager.default.fileExists(atPath: other))

        let second = try AESKey<BaseDerivation>(generating: .bits256)
        var components = try KeyComponents.split(second, into: 3)
        // A custodian's typo is caught by the check value; nothing changes.
        let typo = try KeyComponent(hex: String(components[1].unsafeHexDigits.reversed()))
        let refused = try await run(["key", "ceremony", "--components", "3"], dataDirectory: data,
                              input: "\(components[0].unsafeHexDigits)\n\(components[0].checkValue)\n\(typo.unsafeHexDigits)\n\(components[1].checkValue)\n")
        #expect(refused.status == 1)
        #expect(refused.error.contains("does not match its check value"))
        #expect(!refused.error.contains(typo.unsafeHexDigits))

        let rotated = try await run(["key", "ceremony", "--components", "3", "--json"], dataDirectory: data, input: input(components))
        #expect(rotated.status == 0, "\(rotated.error)")
        #expect(rotated.output.contains("\"check_value\" : \"\(try second.checkValue())\""))
        #expect(rotated.output.contains("\"version\" : \"2\""))
        components.removeAll()
    }
}
