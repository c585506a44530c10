import Foundation
public import MPOSCrypto

/// The host's working keys, unwrapped from the store under the LMK once at start. Each does
/// one job (its type says which); none is ever written anywhere in clear.
public struct HostKeys: Sendable {
    public let signing: SigningPrivateKey
    public let sealing: SealingPrivateKey
    let operatorVerification: AESKey<OperatorVerification>
    let pinVerification: AESKey<PINVerification>
    let cardLookup: AESKey<Tokenization>
    let customerIdentifier: AESKey<Tokenization>
    let cardEncryption: AESKey<DataEncryption>
    let auditChain: AESKey<MessageAuthentication>
    let adminSecrets: AESKey<DataEncryption>
}

/// The key-management module: creates and loads the host's keys, keeps the versions of the
/// base master key (the patent's master key), derives each terminal's master key, and issues
/// fresh session keys at every sign-on. Every key at rest is a TR-31 block under the LMK.
public enum KeyManagement {
    /// The TMK of an enrolled terminal's device under base master key version `version`.
    static func terminalMasterKey(base: AESKey<BaseDerivation>, terminal: TerminalRecord, version: Int) throws -> AESKey<KeyBlockProtection> {
        guard let device = terminal.deviceSigningKey else { throw HostError(.invalidRequest, "terminal \(terminal.id) has no enrolled device") }
        return try base.deriveTerminalMasterKey(terminalID: terminal.id, baseKeyVersion: UInt32(version), device: SigningPublicKey(x963: device))
    }

    /// Creates every host key role that does not exist yet (a fresh store), and returns them all.
    static func createHostKeys(lmk: LocalMasterKey, in tx: any HostTransaction, now: Date) async throws {
        for role in HostKeyRole.allCases where try await tx.hostKey(role) == nil {
            let block: String, checkValue: String
            switch role {
            case .signing:
                let key = SigningPrivateKey()
                (block, checkValue) = (try lmk.store(key), key.publicKey.fingerprint)
            case .sealing:
                let key = SealingPrivateKey()
                (block, checkValue) = (try lmk.store(key), key.publicKey.fingerprint)
            case .operatorVerification: (block, checkValue) = try fresh(OperatorVerification.self, lmk)
            case .pinVerification: (block, checkValue) = try fresh(PINVerification.self, lmk)
            case .cardLookup, .customerIdentifier: (block, checkValue) = try fresh(Tokenization.self, lmk)
            case .cardEncryption: (block, checkValue) = try fresh(DataEncryption.self, lmk)
            case .auditChain: (block, checkValue) = try fresh(MessageAuthentication.self, lmk)
            case .adminSecrets: (block, checkValue) = try fresh(DataEncryption.self, lmk)
            }
            try await tx.insertHostKey(StoredHostKey(role: role, block: block, checkValue: checkValue, createdAt: now))
        }
    }

    private static func fresh<U: KeyUsage>(_ usage: U.Type, _ lmk: LocalMasterKey) throws -> (String, String) {
        let key = try AESKey<U>(generating: .bits256)
        return (try lmk.store(key), try key.checkValue().hex)
    }

    /// Loads the host's keys; fails with ``HostError/Code/notInitialized`` if a role is missing
    /// and with ``HostError/Code/wrongLocalMasterKey`` if the blocks do not open under `lmk`.
    static func loadHostKeys(lmk: LocalMasterKey, in tx: any HostTransaction) async throws -> HostKeys {
        var blocks: [HostKeyRole: String] = [:]
        for key in try await tx.hostKeys() { blocks[key.role] = key.block }
        func block(_ role: HostKeyRole) throws -> String {
            guard let block = blocks[role] else { throw HostError(.notInitialized, "the store has no \(role.rawValue) key: run `mpos-host init`") }
            return block
        }
        do {
            // A key of a role newer than the store is made now, under an LMK the other keys
            // have just proved right.
            let signing = try lmk.loadSigningKey(block(.signing))
            if blocks[.adminSecrets] == nil, !blocks.isEmpty {
                let (created, checkValue) = try fresh(DataEncryption.self, lmk)
                let now = Date()
                try await tx.insertHostKey(StoredHostKey(role: .adminSecrets, block: created, checkValue: checkValue, createdAt: now))
                blocks[.adminSecrets] = created
                let audit = try lmk.load(block(.auditChain), as: MessageAuthentication.self)
                try await AuditTrail.append(AuditEvent("key.created", actor: "host:upgrade", subject: "key:\(HostKeyRole.adminSecrets.rawValue)",
                                                       details: "a key role new in schema version 4"), key: audit, in: tx, now: now)
            }
            return HostKeys(
                signing: signing,
                sealing: try lmk.loadSealingKey(block(.sealing)),
                operatorVerification: try lmk.load(block(.operatorVerification), as: OperatorVerification.self),
                pinVerification: try lmk.load(block(.pinVerification), as: PINVerification.self),
                cardLookup: try lmk.load(block(.cardLookup), as: Tokenization.self),
                customerIdentifier: try lmk.load(block(.customerIdentifier), as: Tokenization.self),
                cardEncryption: try lmk.load(block(.cardEncryption), as: DataEncryption.self),
                auditChain: try lmk.load(block(.auditChain), as: MessageAuthentication.self),
                adminSecrets: try lmk.load(block(.adminSecrets), as: DataEncryption.self))
        } catch let error as HostError {
            throw error
        } catch let error as StoreError {
            throw error
        } catch {
            throw HostError(.wrongLocalMasterKey, "the host's keys do not open under this local master key (check value \((try? lmk.checkValue().hex) ?? "?"))")
        }
    }

    /// The active base master key version and its key.
    static func activeBaseMasterKey(lmk: LocalMasterKey, in tx: any HostTransaction) async throws -> (version: Int, key: AESKey<BaseDerivation>) {
        guard let record = try await tx.baseMasterKeys().first(where: { $0.state == .active }) else {
            throw HostError(.notInitialized, "there is no active base master key: run `mpos-host init` or `mpos-host key rotate`")
        }
        return (record.version, try lmk.load(record.block, as: BaseDerivation.self))
    }

    /// Stores `key` as the next base master key version and makes it the active one; the
    /// previous active version is superseded: terminals move to the new one at their next
    /// sign-on, and it retires (``retireUnusedBaseMasterKeys(in:now:)``) when none holds it.
    @discardableResult
    static func installBaseMasterKey(_ key: AESKey<BaseDerivation>, origin: String, lmk: LocalMasterKey, in tx: any HostTransaction, now: Date) async throws -> BaseMasterKeyRecord {
        let existing = try await tx.baseMasterKeys()
        let version = (existing.map(\.version).max() ?? 0) + 1
        guard version <= 9999 else { throw HostError(.invalidRequest, "base master key versions are 4 digits") }
        for var record in existing where record.state == .active {
            record.state = .superseded
            try await tx.updateBaseMasterKey(record)
        }
        let record = BaseMasterKeyRecord(version: version, block: try lmk.store(key, keyVersion: twoCharacterVersion(version)),
                                         checkValue: try key.checkValue().hex, state: .active, origin: origin, createdAt: now)
        try await tx.insertBaseMasterKey(record)
        return record
    }

    /// Retires every superseded version no terminal holds any more: its block is erased.
    @discardableResult
    static func retireUnusedBaseMasterKeys(in tx: any HostTransaction, now: Date) async throws -> [Int] {
        var retired: [Int] = []
        for var record in try await tx.baseMasterKeys() where record.state == .superseded {
            guard try await tx.terminalCount(masterKeyVersion: record.version) == 0 else { continue }
            record.state = .retired
            record.block = ""
            record.retiredAt = now
            try await tx.updateBaseMasterKey(record)
            retired.append(record.version)
        }
        return retired
    }

    /// Ends a session and erases its key blocks in the same update (the schema refuses an
    /// ended session that keeps them): nothing can use its keys again.
    static func endSession(_ number: Int64, reason: SessionRecord.EndReason, in tx: any HostTransaction, now: Date) async throws {
        guard var session = try await tx.session(number: number), session.isActive else { return }
        session.endedAt = now
        session.endReason = reason
        session.pinKeyBlock = ""
        session.macKeyBlock = ""
        session.dataKeyBlock = ""
        try await tx.updateSession(session)
    }

    /// TR-31's key version field is two characters: the version modulo 100, for people only
    /// (the store's version column is the authority).
    private static func twoCharacterVersion(_ version: Int) -> String {
        let v = version % 100
        return v < 10 ? "0\(v)" : "\(v)"
    }
}
