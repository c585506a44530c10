import Foundation
import MPOSCrypto
import MPOSHost
import MPOSHostRuntime
import MPOSTestSupport
import Testing

@Suite("The host runtime: LMK file, configuration, process hardening")
struct RuntimeTests {
    @Test("the LMK file is created owner-only, loads back, and is refused once others can read it")
    func lmkFile() throws {
        let folder = try TemporaryFolder.make()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("lmk.key").path
        let created = try LocalMasterKeyFile.create(at: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(try LocalMasterKeyFile.load(path: path, environment: [:]).checkValue() == created.checkValue())
        #expect(throws: HostSetupError.self) { _ = try LocalMasterKeyFile.create(at: path) }  // never overwritten

        for mode in [0o640, 0o604, 0o620] {
            try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
            #expect(throws: HostSetupError.self) { _ = try LocalMasterKeyFile.load(path: path, environment: [:]) }
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: path)
        try Data("not a key\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: HostSetupError.self) { _ = try LocalMasterKeyFile.load(path: path, environment: [:]) }
        #expect(throws: HostSetupError.self) { _ = try LocalMasterKeyFile.load(path: path + ".missing", environment: [:]) }
    }

    @Test("an LMK file reached through a symbolic link is refused")
    func lmkSymlink() throws {
        let folder = try TemporaryFolder.make()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("lmk.key").path
        _ = try LocalMasterKeyFile.create(at: path)
        let link = folder.appendingPathComponent("link.key").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: path)
        #expect(throws: HostSetupError.self) { _ = try LocalMasterKeyFile.load(path: link, environment: [:]) }
    }

    @Test("MPOS_LMK, when set, is the LMK; a malformed one is refused")
    func lmkFromEnvironment() throws {
        let lmk = try LocalMasterKey()
        let hex = Hex.encode(lmk.unsafeRawBytes)
        let loaded = try LocalMasterKeyFile.load(path: "/nonexistent", environment: [LocalMasterKeyFile.environmentVariable: hex])
        #expect(try loaded.checkValue() == lmk.checkValue())
        #expect(throws: HostSetupError.self) {
            _ = try LocalMasterKeyFile.load(path: "/nonexistent", environment: [LocalMasterKeyFile.environmentVariable: String(hex.dropLast(2))])
        }
    }

    @Test("the data directory is owner-only and holds the default configuration")
    func dataDirectory() async throws {
        let folder = try TemporaryFolder.make()
        defer { try? FileManager.default.removeItem(at: folder) }
        let directory = DataDirectory(path: folder.appendingPathComponent("data").path)
        _ = try directory.create(environment: [:])
        let attributes = try FileManager.default.attributesOfItem(atPath: directory.path)
        #expect((attributes[.posixPermissions] as? Int) == 0o700)
        let settings = try directory.loadSettings()
        #expect(settings.carriers.map(\.code) == ["1", "2", "3"])
        #expect(settings.hostConfiguration.pinTryLimit == 3)
        let store = try await directory.openStore(creating: true)
        try await store.close()
        #expect(throws: HostSetupError.self) { _ = try directory.create(environment: [:]) }  // a store is there now
    }

    @Test("the config.json example in docs/host.md is a valid configuration")
    func documentedExample() throws {
        let doc = try String(contentsOf: PythonScript.repositoryRoot.appendingPathComponent("docs/host.md"), encoding: .utf8)
        let start = try #require(doc.range(of: "```json\n"))
        let end = try #require(doc.range(of: "\n```", range: start.upperBound..<doc.endIndex))
        let settings = try JSONDecoder().decode(HostSettings.self, from: Data(doc[start.upperBound..<end.lowerBound].utf8))
        #expect(settings.carriers.map(\.module) == ["ledger", "cu-webhook"])
        #expect(settings.webhooks.first?.secretEnvironmentVariable == "MPOS_WEBHOOK_CU")
        #expect(settings.binRanges.count == 2)
        #expect(settings.hostConfiguration.terminalOperatorFailureLimit == 10)
    }

    @Test("configuration: limits are bounded, every carrier's module must exist, webhook secrets come from the environment")
    func settings() async throws {
        #expect(throws: DecodingError.self) { _ = try JSONDecoder().decode(HostSettings.self, from: Data(#"{"pinTryLimit": 0}"#.utf8)) }
        #expect(throws: DecodingError.self) {
            _ = try JSONDecoder().decode(HostSettings.self, from: Data(#"{"carriers": [{"code":"1","name":"A","tariffs":["m"],"module":"ledger"},{"code":"1","name":"B","tariffs":["m"],"module":"ledger"}]}"#.utf8))
        }
        let json = #"""
            {"carriers": [{"code": "1", "name": "China Mobile", "tariffs": ["monthly"], "module": "cm-webhook"}],
             "webhooks": [{"name": "cm-webhook", "url": "https://carrier.example/contracts", "secretEnvironmentVariable": "CM_SECRET"}]}
            """#
        let settings = try JSONDecoder().decode(HostSettings.self, from: Data(json.utf8))
        try await StoreBackend.sqliteMemory.withStore { store in
            #expect(throws: HostSetupError.self) { _ = try settings.businessModules(store: store, environment: [:]) }
            let registry = try settings.businessModules(store: store, environment: ["CM_SECRET": String(repeating: "ab", count: 32)])
            #expect(registry.names == ["cm-webhook", "ledger"])
            var orphan = settings
            orphan.webhooks = []
            #expect(throws: HostSetupError.self) { _ = try orphan.businessModules(store: store, environment: [:]) }
        }
    }
}

extension RuntimeTests {
    @Test("the store: embedded SQLite by default; PostgreSQL from --database or config.json, whose URL may hold no password")
    func storeLocation() throws {
        let folder = try TemporaryFolder.make()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("data").path
        guard case .sqlite(let sqlitePath) = try DataDirectory(path: path).storeLocation() else { Issue.record("not SQLite"); return }
        #expect(sqlitePath.hasSuffix("/mpos.sqlite"))

        // init with a database URL records it in config.json — without the password.
        let named = DataDirectory(path: path, databaseURL: "postgres://mpos:s3cret@db.bank.example:5432/mpos?schema=host")
        _ = try named.create(environment: [:])
        let written = try String(contentsOf: URL(fileURLWithPath: named.configurationPath), encoding: .utf8)
        #expect(written.contains("postgres://mpos@db.bank.example:5432/mpos?schema=host") && !written.contains("s3cret"))
        guard case .postgres(let fromFile) = try DataDirectory(path: path).storeLocation() else { Issue.record("not PostgreSQL"); return }
        #expect(fromFile.host == "db.bank.example" && fromFile.schema == "host" && fromFile.password == nil)
        // The command line (or MPOS_DATABASE_URL) wins over the file.
        guard case .postgres(let fromFlag) = try DataDirectory(path: path, databaseURL: "postgres://other@10.0.0.9/mpos").storeLocation() else {
            Issue.record("not PostgreSQL"); return
        }
        #expect(fromFlag.host == "10.0.0.9")
        #expect(throws: HostSetupError.self) { _ = try DataDirectory(path: path, databaseURL: "mysql://x@y/z").storeLocation() }

        #expect(throws: DecodingError.self) {
            _ = try JSONDecoder().decode(HostSettings.self, from: Data(#"{"database": "postgres://mpos:pw@db/mpos"}"#.utf8))
        }
        #expect(throws: DecodingError.self) { _ = try JSONDecoder().decode(HostSettings.self, from: Data(#"{"outboxLeaseSeconds": 1}"#.utf8)) }
    }

    @Test("the TLS certificate names localhost, 127.0.0.1 and the names given (a load balancer's); nothing else is accepted")
    func tlsNames() throws {
        let names = try TLSIdentity.subjectNames(["mpos.bank.example", "10.0.0.5"])
        #expect(names.hostNames == ["localhost", "mpos.bank.example"])
        #expect(names.ipAddresses == [[127, 0, 0, 1], [10, 0, 0, 5]])
        for bad in ["", "bad name", "300.1.1.1", "1.2.3", "-lead.example", "a..b"] {
            #expect(throws: HostSetupError.self, "\(bad)") { _ = try TLSIdentity.subjectNames([bad]) }
        }
    }
}

@Suite("Process hardening")
struct ProcessHardeningTests {
    @Test("after disableCoreDumps the core limit is zero and the process is not dumpable")
    func coreDumpsOff() {
        #expect(ProcessHardening.disableCoreDumps())
        #expect(ProcessHardening.coreDumpLimit == 0)
        #expect(ProcessHardening.isDumpable == false)
    }
}
