import Foundation
import MPOSCrypto
import MPOSProtocol
import Testing
@testable import MPOSTerminal

@Suite("Key stores")
struct KeyStoreTests {
    /// A record as after enrollment and sign-on: device keys, pinned host keys, a TMK and its key set.
    static func record() async throws -> TerminalKeyRecord {
        let store = InMemoryKeyStore()
        let transport = ScriptedTransport(store: store)
        let terminal = try await Terminal(configuration: TerminalConfiguration(host: "unused", port: 0), keyStore: store, transport: transport)
        try await terminal.enroll(terminalID: ScriptedHost.terminalID, enrollmentCode: await transport.codeText)
        try await terminal.signOn(operatorNumber: "01", operatorKey: "111111")
        let record = try #require(await store.load())
        #expect(record.credentials.masterKey != nil && record.credentials.isEnrolled)
        return record
    }

    static func directory() -> String {
        NSTemporaryDirectory() + "mpos-keystore-\(UUID().uuidString)/terminal"
    }

    static func mode(_ path: String) throws -> Int {
        try (FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as! NSNumber).intValue
    }

    static func same(_ a: TerminalKeyRecord, _ b: TerminalKeyRecord) -> Bool {
        let (x, y) = (a.credentials.storedParts, b.credentials.storedParts)
        return a.lastSTAN == b.lastSTAN && x.terminalID == y.terminalID && x.deviceSigningKey == y.deviceSigningKey
            && x.deviceSealingKey == y.deviceSealingKey && x.hostSigningKey == y.hostSigningKey && x.hostSealingKey == y.hostSealingKey
            && x.masterKey == y.masterKey && x.masterKeyModeOfUse == y.masterKeyModeOfUse
            && x.masterKeyExportability == y.masterKeyExportability && x.masterKeySet == y.masterKeySet
    }

    @Test("file store: round trip, owner-only permissions, no key bytes in clear")
    func fileRoundTrip() async throws {
        let record = try await Self.record()
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = FileKeyStore(directory: directory, protection: .passphrase("correct horse battery staple"))
        #expect(try await store.load() == nil)
        try await store.save(record)
        #expect(try Self.mode(directory) == 0o700)
        #expect(try Self.mode(store.path) == 0o600)

        let reopened = FileKeyStore(directory: directory, protection: .passphrase("correct horse battery staple"))
        let loaded = try #require(try await reopened.load())
        #expect(Self.same(loaded, record))

        let contents = try Data(contentsOf: URL(fileURLWithPath: store.path))
        let parts = record.credentials.storedParts
        for secret in [parts.deviceSigningKey, parts.deviceSealingKey, try #require(parts.masterKey)] {
            #expect(contents.range(of: Data(secret)) == nil)
            #expect(contents.range(of: Data(Data(secret).base64EncodedString().utf8)) == nil)
        }
        #expect(contents.range(of: Data("MPOSKS".utf8)) == 0..<6)

        try await reopened.erase()
        #expect(!FileManager.default.fileExists(atPath: store.path))
        #expect(try await reopened.load() == nil)
    }

    @Test("file store: a wrong passphrase or an altered file fails with .keyStore")
    func fileRefusals() async throws {
        let record = try await Self.record()
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = FileKeyStore(directory: directory, protection: .passphrase("correct horse battery staple"))
        try await store.save(record)

        await #expect(throws: TerminalError(.keyStore, "")) {
            try await FileKeyStore(directory: directory, protection: .passphrase("wrong")).load()
        }
        await #expect(throws: TerminalError(.keyStore, "")) {
            try await FileKeyStore(directory: directory, protection: .keyFile).load()
        }

        let original = try Data(contentsOf: URL(fileURLWithPath: store.path))
        // A flipped byte in the ciphertext, in the salt, and in the clear terminal ID.
        for offset in [original.count - 20, 12, 30] {
            var altered = original
            altered[offset] ^= 0x01
            try altered.write(to: URL(fileURLWithPath: store.path))
            await #expect(throws: TerminalError(.keyStore, "")) {
                try await FileKeyStore(directory: directory, protection: .passphrase("correct horse battery staple")).load()
            }
        }
        try original.write(to: URL(fileURLWithPath: store.path))
        #expect(try await FileKeyStore(directory: directory, protection: .passphrase("correct horse battery staple")).load() != nil)

        // Readable by others: refused.
        chmod(store.path, 0o644)
        let error = try await #require(throws: TerminalError.self) {
            try await FileKeyStore(directory: directory, protection: .passphrase("correct horse battery staple")).load()
        }
        #expect(error.code == .keyStore && error.message.contains("other users"))
        chmod(store.path, 0o600)
        chmod(directory, 0o755)
        await #expect(throws: TerminalError(.keyStore, "")) {
            try await FileKeyStore(directory: directory, protection: .passphrase("correct horse battery staple")).load()
        }
        chmod(directory, 0o700)
    }

    @Test("file store with a key file: round trip; without its key file it does not open")
    func keyFile() async throws {
        let record = try await Self.record()
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = FileKeyStore(directory: directory, protection: .keyFile)
        try await store.save(record)
        let keyFile = directory + "/" + FileKeyStore.keyFileName
        #expect(try Self.mode(keyFile) == 0o600)
        #expect(Self.same(try #require(try await FileKeyStore(directory: directory, protection: .keyFile).load()), record))
        try FileManager.default.removeItem(atPath: keyFile)
        await #expect(throws: TerminalError(.keyStore, "")) { try await FileKeyStore(directory: directory, protection: .keyFile).load() }
    }

    @Test("a terminal on a file store: restarts enrolled, signs on again, STANs go on")
    func terminalOnFileStore() async throws {
        let directory = Self.directory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let transport = ScriptedTransport()
        let first = try await Terminal(configuration: TerminalConfiguration(host: "unused", port: 0),
                                       keyStore: FileKeyStore(directory: directory, protection: .passphrase("pass")), transport: transport)
        try await first.enroll(terminalID: ScriptedHost.terminalID, enrollmentCode: await transport.codeText)
        try await first.signOn(operatorNumber: "01", operatorKey: "111111")

        let second = try await Terminal(configuration: TerminalConfiguration(host: "unused", port: 0),
                                        keyStore: FileKeyStore(directory: directory, protection: .passphrase("pass")), transport: transport)
        #expect(second.state == .enrolled)
        try await second.signOn(operatorNumber: "01", operatorKey: "111111")
        try await second.echo()
        #expect(try await transport.sent.map { try stan(of: $0) } == ["000001", "000002", "000003", "000004"])
    }
}
