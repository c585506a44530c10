import Foundation
import MPOSCrypto
import MPOSHost
import MPOSHostSQLite
import MPOSProtocol
import Testing

@Suite("Key management: rotation, ceremony, start-up")
struct KeyManagementTests {
    @Test("a store made before the admin-secrets key gets it when a host opens it, and keeps it", arguments: [StoreBackend.sqliteFile])
    func upgradeAddsAdminSecretsKey(backend: StoreBackend) async throws {
        try await backend.withStore { store async throws in
            let lmk = try LocalMasterKey()
            _ = try await HostAdministration.initialize(store: store, lmk: lmk, actor: "test")
            let sqlite = try #require(store as? SQLiteHostStore)
            _ = try await sqlite.rawScalar("DELETE FROM host_keys WHERE role = 'admin-secrets'")
            #expect(try await store.transaction { tx in try await tx.hostKey(.adminSecrets) } == nil)
            _ = try await HostAdministration.open(store: store, lmk: lmk, actor: "test")
            let made = try #require(try await store.transaction { tx in try await tx.hostKey(.adminSecrets) })
            _ = try await HostEngine.start(store: store, lmk: lmk, modules: BusinessModuleRegistry())
            #expect(try await store.transaction { tx in try await tx.hostKey(.adminSecrets) } == made)
            // Under a wrong LMK nothing is made: the other keys refuse it first.
            _ = try await sqlite.rawScalar("DELETE FROM host_keys WHERE role = 'admin-secrets'")
            await #expect(throws: HostError(.wrongLocalMasterKey, "")) { _ = try await HostAdministration.open(store: store, lmk: try LocalMasterKey(), actor: "test") }
            #expect(try await store.transaction { tx in try await tx.hostKey(.adminSecrets) } == nil)
        }
    }

    @Test("rotation takes effect at each terminal's next sign-on; the old version retires when no terminal holds it", arguments: StoreBackend.allCases)
    func rotation(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            var one = try await h.terminal()
            var two = try await h.terminal()
            let oldMasterKey = try #require(one.machine.credentials.masterKey)
            let rotated = try await h.admin.rotateBaseMasterKey()
            #expect(rotated.version == 2)

            // Signed-in terminals keep working with version 1 until they sign on again.
            #expect(try await one.openCard(HostHarness.cardNumber(50)).code == .approved)
            var inventory = try await h.admin.keyInventory().baseMasterKeys.map { ($0.record.version, $0.record.state, $0.terminals) }
            #expect(inventory.map(\.0) == [1, 2])
            #expect(inventory[0].1 == .superseded && inventory[0].2 == 2)

            // The next sign-on brings version 2 and a new terminal master key (field 63).
            #expect(try await one.signOff() == .signedOff)
            guard case .signedIn(let keySet) = try await one.signOn() else { Issue.record("refused"); return }
            #expect(keySet.baseKeyVersion == 2)
            #expect(one.machine.credentials.masterKey != oldMasterKey)
            #expect(try await one.openCard(HostHarness.cardNumber(51)).code == .approved)

            // Version 1 is still held by terminal two; once two moves, it retires and is erased.
            inventory = try await h.admin.keyInventory().baseMasterKeys.map { ($0.record.version, $0.record.state, $0.terminals) }
            #expect(inventory[0].1 == .superseded && inventory[0].2 == 1)
            #expect(try await two.signOff() == .signedOff)
            guard case .signedIn = try await two.signOn() else { Issue.record("refused"); return }
            let records = try await h.admin.keyInventory().baseMasterKeys.map(\.record)
            #expect(records[0].state == .retired && records[0].block.isEmpty && records[0].retiredAt != nil)
            #expect(records[1].state == .active)
            #expect(try await h.admin.auditTail(50).contains { $0.event == "key.bmk.retired" })
        }
    }

    @Test("with a sign-on request, a signed-in terminal's next business message gets A1, and it signs on to the new version", arguments: StoreBackend.allCases)
    func rotationWithSignOnRequest(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            var terminal = try await h.terminal()
            _ = try await h.admin.rotateBaseMasterKey(requestSignOn: true)
            #expect(try await terminal.openCard(HostHarness.cardNumber(52)) == .refused(.keysOutdated))
            #expect(try await h.terminalRecord(terminal.id).displayState == .signedOut)
            guard case .signedIn(let keySet) = try await terminal.signOn() else { Issue.record("refused"); return }
            #expect(keySet.baseKeyVersion == 2)
            #expect(try await terminal.openCard(HostHarness.cardNumber(52)).code == .approved)
        }
    }

    @Test("a key ceremony: the base master key is the XOR of the components, and its check value is shown", arguments: StoreBackend.allCases)
    func ceremony(backend: StoreBackend) async throws {
        try await HostHarness.run(backend) { h in
            let key = try AESKey<BaseDerivation>(generating: .bits256)
            let components = try KeyComponents.split(key, into: 3)
            let typed = try components.map { try KeyComponent(hex: $0.unsafeHexDigits, expectedCheckValue: $0.checkValue) }
            let record = try await h.admin.rotateBaseMasterKey(components: typed)
            #expect(record.checkValue == (try key.checkValue().hex))
            #expect(record.origin == "ceremony (3 components)")
            // Terminals derive their master key from it.
            var terminal = try await h.terminal()
            let device = try SigningPublicKey(x963: try #require(try await h.terminalRecord(terminal.id).deviceSigningKey))
            let expected = try key.deriveTerminalMasterKey(terminalID: terminal.id, baseKeyVersion: 2, device: device)
            #expect(try terminal.machine.credentials.masterKey?.checkValue(length: 5) == expected.checkValue(length: 5))
            #expect(try await terminal.openCard(HostHarness.cardNumber(53)).code == .approved)
            // A mistyped component is refused by its check value before anything is stored.
            var digits = Array(components[0].unsafeHexDigits)
            digits[0] = digits[0] == "0" ? "1" : "0"
            #expect(throws: MPOSCryptoError.self) { try KeyComponent(hex: String(digits), expectedCheckValue: components[0].checkValue) }
        }
    }

    @Test("a store is initialised once; another LMK does not open it", arguments: StoreBackend.allCases)
    func startUp(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            let lmk = try LocalMasterKey()
            _ = try await HostAdministration.initialize(store: store, lmk: lmk, actor: "admin:test")
            await #expect(throws: HostError(.alreadyInitialized, "")) {
                _ = try await HostAdministration.initialize(store: store, lmk: lmk, actor: "admin:test")
            }
            await #expect(throws: HostError(.wrongLocalMasterKey, "")) {
                _ = try await HostEngine.start(store: store, lmk: try LocalMasterKey(), modules: BusinessModuleRegistry())
            }
        }
    }

    @Test("an empty store is not a host", arguments: StoreBackend.allCases)
    func uninitialised(backend: StoreBackend) async throws {
        try await backend.withStore { store in
            await #expect(throws: HostError(.notInitialized, "")) {
                _ = try await HostEngine.start(store: store, lmk: try LocalMasterKey(), modules: BusinessModuleRegistry())
            }
        }
    }
}
