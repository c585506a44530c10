import Foundation
import MPOSHost
import MPOSHostSQLite
import MPOSTestSupport
import Testing

/// What only the SQLite backend promises: its file, its PRAGMAs, its migrations.
@Suite("SQLiteHostStore")
struct SQLiteHostStoreTests {
    private func withFolder(_ body: (URL) async throws -> Void) async throws {
        let folder = try TemporaryFolder.make()
        defer { try? FileManager.default.removeItem(at: folder) }
        try await body(folder)
    }

    private func permissions(_ url: URL) throws -> Int {
        try #require(FileManager.default.attributesOfItem(atPath: url.path)[.posixPermissions] as? Int)
    }

    @Test("a reopened file store sees committed data, in WAL mode with FULL sync")
    func reopen() async throws {
        try await withFolder { folder in
            let path = folder.appendingPathComponent("host.sqlite").path
            let store = try await SQLiteHostStore.open(path: path)
            try await store.transaction { tx async throws in try await tx.insertTerminal(Fixtures.fullTerminal("T1")) }
            try await store.close()

            let reopened = try await SQLiteHostStore.open(path: path)
            #expect(try await reopened.transaction { tx async throws in try await tx.terminal(id: "T1") } == Fixtures.fullTerminal("T1"))
            #expect(try await reopened.rawScalar("PRAGMA journal_mode") == "wal")
            #expect(try await reopened.rawScalar("PRAGMA synchronous") == "2")
            #expect(try await reopened.rawScalar("PRAGMA foreign_keys") == "1")
            #expect(try await reopened.rawScalar("PRAGMA secure_delete") == "1")
            #expect(try await reopened.rawScalar("PRAGMA busy_timeout") == "5000")
            #expect(try await reopened.rawScalar("PRAGMA temp_store") == "2")   // MEMORY
            #expect(try await reopened.rawScalar("PRAGMA wal_autocheckpoint") == "4000")
            #expect(try await reopened.rawScalar("SELECT group_concat(version) FROM schema_migrations")
                    == (1...SQLiteHostStore.schemaVersion).map(String.init).joined(separator: ","))
            try await reopened.close()
        }
    }

    @Test("group commit: concurrent transactions share commits; one that fails is rolled back alone; each caller gets its own result")
    func groupCommit() async throws {
        try await withFolder { folder in
            let store = try await SQLiteHostStore.open(path: folder.appendingPathComponent("host.sqlite").path)
            // A transaction holds the connection until all 200 are queued behind it.
            let (gate, opening) = AsyncStream<Void>.makeStream()
            let (held, holding) = AsyncStream<Void>.makeStream()
            async let holder: Void = store.transaction { _ async throws in
                holding.finish()
                for await _ in gate {}
            }
            for await _ in held {}
            let results = try await withThrowingTaskGroup(of: (Int, Result<Int64, StoreError>).self) { group in
                Task {
                    try await Deadline.poll("200 transactions queued behind the holder", within: .seconds(30)) { store.queuedTransactions >= 200 }
                    opening.finish()
                }
                for index in 0..<200 {
                    group.addTask {
                        do {
                            return (index, .success(try await store.transaction { tx async throws in
                                try await tx.insertTerminal(Fixtures.minimalTerminal("T\(index)"))
                                let value = try await tx.nextSequenceValue("s")
                                // Every fifth fails after writing: its terminal and its sequence step go.
                                if index % 5 == 0 { try await tx.insertTerminal(Fixtures.minimalTerminal("T\(index)")) }
                                return value
                            }))
                        } catch let error as StoreError {
                            return (index, .failure(error))
                        }
                    }
                }
                return try await group.reduce(into: [Int: Result<Int64, StoreError>]()) { $0[$1.0] = $1.1 }
            }
            try await holder
            // The holder's commit, then 200 queued transactions in groups of at most 64: 4 commits.
            #expect(store.committedGroups == 1 + 4)
            let succeeded = results.filter { (try? $0.value.get()) != nil }
            #expect(succeeded.count == 160)
            #expect(results.filter { $0.key % 5 == 0 }.allSatisfy { if case .failure(let error) = $0.value { error.code == .duplicate } else { false } })
            // The survivors' sequence values are 1...160, each once: the failed ones' steps were undone.
            #expect(Set(succeeded.compactMap { try? $0.value.get() }) == Set(1...160))
            #expect(Set(try await store.transaction { tx async throws in try await tx.terminals() }.map(\.id))
                    == Set(succeeded.keys.map { "T\($0)" }))
            try await store.close()
        }
    }

    @Test("every SQLite call runs on the store's own thread, never on a cooperative one: the whole flow, administration, concurrent requests")
    func noCooperativeThreadWaitsInSQLite() async throws {
        try await StoreBackend.sqliteFile.withStore { store in
            let sqlite = try #require(store as? SQLiteHostStore)
            let h = try await HostHarness(store: store)
            var terminals: [SimulatedTerminal] = []
            for _ in 0..<3 { terminals.append(try await h.terminal()) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, terminal) in terminals.enumerated() {
                    group.addTask {
                        var terminal = terminal
                        let opened = try await terminal.openCard(HostHarness.cardNumber(300 + index))
                        let signed = try await terminal.signContract(HostHarness.cardNumber(300 + index))
                        let signedOff = try await terminal.signOff()
                        #expect(opened.code == .approved && signed.code == .approved && signedOff == .signedOff)
                    }
                }
                try await group.waitForAll()
            }
            _ = try await h.admin.auditTail(10)
            _ = try await sqlite.liveSchema()
            _ = try await sqlite.rawScalar("PRAGMA journal_mode")
            #expect(sqlite.callsOffStoreThread == 0)
        }
    }

    @Test("an idle store holds no lock: another connection (an administration command) writes at once")
    func idleStoreHoldsNoLock() async throws {
        try await withFolder { folder in
            let path = folder.appendingPathComponent("host.sqlite").path
            let server = try await SQLiteHostStore.open(path: path)
            try await server.transaction { tx async throws in try await tx.insertTerminal(Fixtures.minimalTerminal("T1")) }
            _ = try await server.transaction { tx async throws in try await tx.terminal(id: "T1") }
            await #expect(throws: StoreError(.duplicate, "")) {
                try await server.transaction { tx async throws in try await tx.insertTerminal(Fixtures.minimalTerminal("T1")) }
            }
            let admin = try await SQLiteHostStore.open(path: path)
            try await admin.transaction { tx async throws in try await tx.insertTerminal(Fixtures.minimalTerminal("T2")) }
            #expect(try await server.transaction { tx async throws in try await tx.terminals() }.map(\.id) == ["T1", "T2"])
            try await admin.close()
            try await server.close()
        }
    }

    @Test("the database file and its WAL are created owner-only (0600)")
    func ownerOnlyFiles() async throws {
        try await withFolder { folder in
            let url = folder.appendingPathComponent("host.sqlite")
            let store = try await SQLiteHostStore.open(path: url.path)
            try await store.transaction { tx async throws in try await tx.insertTerminal(Fixtures.minimalTerminal("T1")) }
            #expect(try permissions(url) == 0o600)
            let wal = URL(fileURLWithPath: url.path + "-wal")
            #expect(FileManager.default.fileExists(atPath: wal.path))
            #expect(try permissions(wal) == 0o600)
            try await store.close()
        }
    }

    @Test("a database of a newer schema version is refused")
    func futureSchema() async throws {
        try await withFolder { folder in
            let path = folder.appendingPathComponent("host.sqlite").path
            let store = try await SQLiteHostStore.open(path: path)
            _ = try await store.rawScalar("INSERT INTO schema_migrations (version, applied_at) VALUES (999, 0)")
            try await store.close()
            await #expect(throws: StoreError(.schema, "")) { _ = try await SQLiteHostStore.open(path: path) }
        }
    }

    @Test("a file that is not a database is refused")
    func notADatabase() async throws {
        try await withFolder { folder in
            let url = folder.appendingPathComponent("host.sqlite")
            try Data(repeating: 0x5A, count: 4096).write(to: url)
            let error = await #expect(throws: StoreError.self) { _ = try await SQLiteHostStore.open(path: url.path) }
            #expect(error?.code == .schema)
        }
    }

    @Test("a closed store refuses transactions")
    func closed() async throws {
        let store = try await SQLiteHostStore.openInMemory()
        try await store.close()
        try await store.close()
        await #expect(throws: StoreError(.failure, "")) { try await store.transaction { tx async throws in try await tx.terminals() } }
    }

    @Test("a nested transaction on the same store fails instead of deadlocking")
    func nested() async throws {
        let store = try await SQLiteHostStore.openInMemory()
        await #expect(throws: StoreError(.failure, "")) {
            try await store.transaction { _ in try await store.transaction { tx async throws in try await tx.terminals() } }
        }
        #expect(try await store.transaction { tx async throws in try await tx.terminals() }.isEmpty)
        try await store.close()
    }

    @Test("a retired base master key and an ended session must have their key blocks erased")
    func erasureEnforced() async throws {
        let store = try await SQLiteHostStore.openInMemory()
        try await store.transaction { tx async throws in
            try await tx.insertBaseMasterKey(Fixtures.baseMasterKey(1, .superseded))
            try await tx.insertTerminal(Fixtures.minimalTerminal("T1"))
            try await tx.insertSession(Fixtures.session(1, terminal: "T1"))
        }
        await #expect(throws: StoreError(.failure, "")) {
            try await store.transaction { tx async throws in try await tx.updateBaseMasterKey(Fixtures.baseMasterKey(1, .retired)) }
        }
        await #expect(throws: StoreError(.failure, "")) {
            try await store.transaction { tx async throws in
                try await tx.updateSession(modified(Fixtures.session(1, terminal: "T1")) { $0.endedAt = Fixtures.time(5); $0.endReason = .signedOff })
            }
        }
        try await store.close()
    }
}
