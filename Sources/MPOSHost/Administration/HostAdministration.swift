public import Foundation
public import MPOSCrypto
import MPOSProtocol

/// What administrators do (`mpos-host` subcommands): set up the store, manage operators,
/// terminals and keys, look at cards, contracts and the outbox, check the audit trail. Every
/// change is audited under the administrator's name, in the transaction that makes it.
public struct HostAdministration: Sendable {
    public let store: any HostStore
    /// Who acts, as the audit trail names them (e.g. `admin:alice`).
    public let actor: String
    let lmk: LocalMasterKey
    let keys: HostKeys
    let clock: @Sendable () -> Date

    // MARK: Setting up

    /// What `init` made: fingerprints and check values only.
    public struct Initialization: Sendable {
        public let signingKeyFingerprint: String
        public let sealingKeyFingerprint: String
        public let baseMasterKey: BaseMasterKeyRecord
    }

    /// Creates the host's keys and the first base master key — given (from a key ceremony) or
    /// generated — in an empty store. Refuses a store that has them already.
    public static func initialize(store: any HostStore, lmk: LocalMasterKey, actor: String, baseMasterKey: AESKey<BaseDerivation>? = nil,
                                  origin: String = "generated", clock: @escaping @Sendable () -> Date = Date.init) async throws -> Initialization {
        let now = clock()
        let record = try await store.transaction { tx in
            guard try await tx.hostKeys().isEmpty, try await tx.baseMasterKeys().isEmpty else {
                throw HostError(.alreadyInitialized, "the store already has its keys")
            }
            try await KeyManagement.createHostKeys(lmk: lmk, in: tx, now: now)
            let keys = try await KeyManagement.loadHostKeys(lmk: lmk, in: tx)
            let base = try baseMasterKey ?? AESKey<BaseDerivation>(generating: .bits256)
            let record = try await KeyManagement.installBaseMasterKey(base, origin: origin, lmk: lmk, in: tx, now: now)
            for role in HostKeyRole.allCases {
                try await AuditTrail.append(AuditEvent("key.created", actor: actor, subject: "key:\(role.rawValue)"), key: keys.auditChain, in: tx, now: now)
            }
            try await AuditTrail.append(AuditEvent("key.bmk.created", actor: actor, subject: "key:bmk/\(record.version)",
                                                   details: "check value \(record.checkValue), \(origin)"), key: keys.auditChain, in: tx, now: now)
            return record
        }
        let admin = try await open(store: store, lmk: lmk, actor: actor, clock: clock)
        return Initialization(signingKeyFingerprint: admin.keys.signing.publicKey.fingerprint,
                              sealingKeyFingerprint: admin.keys.sealing.publicKey.fingerprint, baseMasterKey: record)
    }

    public static func open(store: any HostStore, lmk: LocalMasterKey, actor: String, clock: @escaping @Sendable () -> Date = Date.init) async throws -> HostAdministration {
        let keys = try await store.retryingTransaction { tx in try await KeyManagement.loadHostKeys(lmk: lmk, in: tx) }
        return HostAdministration(store: store, actor: actor, lmk: lmk, keys: keys, clock: clock)
    }

    /// Runs `body` in a transaction and appends `event` (built from its result) to the audit trail in it.
    func change<T: Sendable>(_ body: @Sendable @escaping (any HostTransaction, Date) async throws -> (T, AuditEvent)) async throws -> T {
        let now = clock()
        return try await store.retryingTransaction { [keys] tx in
            let (result, event) = try await body(tx, now)
            try await AuditTrail.append(event, key: keys.auditChain, in: tx, now: now)
            return result
        }
    }

    func read<T: Sendable>(_ body: @Sendable @escaping (any HostTransaction) async throws -> T) async throws -> T {
        try await store.transaction(body)
    }

    // MARK: Operators

    /// Adds an operator (number 1–8 digits, key 4–16 printable characters); only the key's
    /// keyed verification value is stored.
    public func addOperator(number: String, name: String, key: String) async throws -> OperatorRecord {
        let value = try verificationValue(number: number, key: key)
        return try await change { [actor] tx, now in
            guard try await tx.operatorRecord(number: number) == nil else { throw HostError(.alreadyExists, "operator \(number) exists") }
            let record = OperatorRecord(number: number, name: name, verificationValue: value.bytes, createdAt: now)
            try await tx.insertOperator(record)
            return (record, AuditEvent("admin.operator.add", actor: actor, subject: "operator:\(number)", details: "name \(name)"))
        }
    }

    public func operators() async throws -> [OperatorRecord] {
        try await read { tx in try await tx.operators() }
    }

    public func setOperatorDisabled(_ number: String, _ disabled: Bool) async throws {
        try await updateOperator(number, event: disabled ? "admin.operator.disable" : "admin.operator.enable") { $0.isDisabled = disabled }
    }

    /// Clears a lock and the failure count.
    public func unlockOperator(_ number: String) async throws {
        try await updateOperator(number, event: "admin.operator.unlock") { record in
            record.isLocked = false
            record.consecutiveFailures = 0
        }
    }

    /// Gives an operator a new key (and unlocks it).
    public func setOperatorKey(_ number: String, key: String) async throws {
        let value = try verificationValue(number: number, key: key).bytes
        try await updateOperator(number, event: "admin.operator.set-key") { record in
            record.verificationValue = value
            record.isLocked = false
            record.consecutiveFailures = 0
        }
    }

    private func updateOperator(_ number: String, event: String, _ edit: @Sendable @escaping (inout OperatorRecord) -> Void) async throws {
        try await change { [actor] tx, _ in
            guard var record = try await tx.operatorRecord(number: number) else { throw HostError(.notFound, "no operator \(number)") }
            edit(&record)
            try await tx.updateOperator(record)
            return ((), AuditEvent(event, actor: actor, subject: "operator:\(number)"))
        }
    }

    private func verificationValue(number: String, key: String) throws -> KeyedValue {
        let credentials: OperatorCredentials
        do { credentials = try OperatorCredentials(number: number, key: key) } catch {
            throw HostError(.invalidRequest, "an operator number is 1-8 digits and an operator key 4-16 printable characters")
        }
        return try OperatorVerificationValue.compute(number: number, keyBytes: credentials.unsafeKeyBytes, using: keys.operatorVerification)
    }

    // MARK: Terminals

    /// A new terminal and its one-time enrollment code, to hand to whoever sets the device up.
    /// The code is shown once here; the host keeps it only under the LMK until it is used.
    public func addTerminal(id: String? = nil, label: String, codeLifetime: TimeInterval = HostConfiguration().enrollmentCodeLifetime) async throws -> (terminal: TerminalRecord, enrollmentCode: String) {
        let code = EnrollmentCode()
        let block = try lmk.store(code.asBaseDerivationKey)
        let terminal = try await change { [actor] tx, now in
            let terminalID: String
            if let id {
                guard id.utf8.count == 8, id.utf8.allSatisfy({ $0 > 0x20 && $0 <= 0x7E }) else {
                    throw HostError(.invalidRequest, "a terminal ID is 8 printable characters without spaces (field 41)")
                }
                terminalID = id
            } else {
                let next = String(try await tx.nextSequenceValue("terminal"))
                terminalID = String(repeating: "0", count: max(0, 8 - next.count)) + next
            }
            guard try await tx.terminal(id: terminalID) == nil else { throw HostError(.alreadyExists, "terminal \(terminalID) exists") }
            let record = TerminalRecord(id: terminalID, label: label, enrollmentCodeBlock: block, enrollmentCodeExpiresAt: now.addingTimeInterval(codeLifetime), createdAt: now)
            try await tx.insertTerminal(record)
            return (record, AuditEvent("admin.terminal.add", actor: actor, subject: "terminal:\(terminalID)", details: "label \(label); enrollment code issued"))
        }
        return (terminal, code.unsafeDisplayText)
    }

    /// A new enrollment code for a terminal that has not enrolled (its code was lost or void).
    public func reissueEnrollmentCode(_ id: String, codeLifetime: TimeInterval = HostConfiguration().enrollmentCodeLifetime) async throws -> String {
        let code = EnrollmentCode()
        let block = try lmk.store(code.asBaseDerivationKey)
        let expiry = clock().addingTimeInterval(codeLifetime)
        try await updateTerminal(id, event: "admin.terminal.reissue-code") { record in
            guard record.enrollment == .awaitingEnrollment else { throw HostError(.wrongState, "terminal \(id) is enrolled already: reset it first") }
            record.enrollmentCodeBlock = block
            record.enrollmentCodeExpiresAt = expiry
            record.enrollmentFailures = 0
        }
        return code.unsafeDisplayText
    }

    /// Returns an enrolled terminal to awaiting enrollment with a new code (a replaced or
    /// reinstalled device): its device keys are forgotten and its session, if any, ends.
    public func resetTerminal(_ id: String, codeLifetime: TimeInterval = HostConfiguration().enrollmentCodeLifetime) async throws -> String {
        let code = EnrollmentCode()
        let block = try lmk.store(code.asBaseDerivationKey)
        try await change { [actor] tx, now in
            guard var record = try await tx.terminal(id: id) else { throw HostError(.notFound, "no terminal \(id)") }
            if let number = record.currentSession { try await KeyManagement.endSession(number, reason: .forced, in: tx, now: now) }
            record.currentSession = nil
            record.enrollment = .awaitingEnrollment
            record.enrollmentCodeBlock = block
            record.enrollmentCodeExpiresAt = now.addingTimeInterval(codeLifetime)
            record.enrollmentFailures = 0
            record.consecutiveOperatorFailures = 0
            record.deviceSigningKey = nil
            record.deviceSealingKey = nil
            record.masterKeyVersion = nil
            record.signOnRequested = false
            // The replacement device counts its STANs from 1 and signs with other keys: the old
            // device's requests are neither its retransmissions nor before it in order.
            record.lastNetworkRequestAt = nil
            record.lastNetworkRequestSTAN = nil
            try await tx.updateTerminal(record)
            try await tx.pruneMessageLog(terminalID: id, keep: 0)
            return ((), AuditEvent("admin.terminal.reset", actor: actor, subject: "terminal:\(id)",
                               details: "device keys and the retransmission cache forgotten; new enrollment code issued"))
        }
        return code.unsafeDisplayText
    }

    public func terminals() async throws -> [TerminalRecord] {
        try await read { tx in try await tx.terminals() }
    }

    public func terminal(_ id: String) async throws -> TerminalRecord {
        guard let record = try await read({ tx in try await tx.terminal(id: id) }) else { throw HostError(.notFound, "no terminal \(id)") }
        return record
    }

    /// Blocks a terminal in any state: its requests get `58`, and its session (if any) ends —
    /// in one transaction, so a block never leaves live session keys behind.
    public func blockTerminal(_ id: String) async throws {
        try await change { [actor] tx, now in
            guard var record = try await tx.terminal(id: id) else { throw HostError(.notFound, "no terminal \(id)") }
            let ended = record.currentSession
            if let number = ended { try await KeyManagement.endSession(number, reason: .forced, in: tx, now: now) }
            record.currentSession = nil
            record.isBlocked = true
            try await tx.updateTerminal(record)
            return ((), AuditEvent("admin.terminal.block", actor: actor, subject: "terminal:\(id)",
                                   details: ended.map { "session \($0) ended; its keys are erased" } ?? ""))
        }
    }

    /// Unblocks a terminal, and clears its count of wrong operator keys.
    public func unblockTerminal(_ id: String) async throws {
        try await updateTerminal(id, event: "admin.terminal.unblock") { record in
            record.isBlocked = false
            record.consecutiveOperatorFailures = 0
        }
    }

    /// Ends the terminal's session now: its keys are erased, its next business message gets `A1`.
    public func forceSignOff(_ id: String) async throws {
        try await change { [actor] tx, now in
            guard var record = try await tx.terminal(id: id) else { throw HostError(.notFound, "no terminal \(id)") }
            guard let number = record.currentSession else { throw HostError(.wrongState, "terminal \(id) is not signed in") }
            try await KeyManagement.endSession(number, reason: .forced, in: tx, now: now)
            record.currentSession = nil
            try await tx.updateTerminal(record)
            return ((), AuditEvent("admin.terminal.sign-off", actor: actor, subject: "terminal:\(id)", details: "session \(number) ended; its keys are erased"))
        }
    }

    private func updateTerminal(_ id: String, event: String, _ edit: @Sendable @escaping (inout TerminalRecord) throws -> Void) async throws {
        try await change { [actor] tx, _ in
            guard var record = try await tx.terminal(id: id) else { throw HostError(.notFound, "no terminal \(id)") }
            try edit(&record)
            try await tx.updateTerminal(record)
            return ((), AuditEvent(event, actor: actor, subject: "terminal:\(id)"))
        }
    }

    // MARK: Keys

    public struct KeyInventory: Sendable {
        public let hostKeys: [StoredHostKey]
        public let baseMasterKeys: [(record: BaseMasterKeyRecord, terminals: Int)]
    }

    /// Versions, states and check values: never keys.
    public func keyInventory() async throws -> KeyInventory {
        try await read { tx in
            var versions: [(BaseMasterKeyRecord, Int)] = []
            for record in try await tx.baseMasterKeys().sorted(by: { $0.version < $1.version }) {
                versions.append((record, try await tx.terminalCount(masterKeyVersion: record.version)))
            }
            return KeyInventory(hostKeys: try await tx.hostKeys().sorted { $0.role.rawValue < $1.role.rawValue }, baseMasterKeys: versions)
        }
    }

    /// Makes `key` (from a ceremony) or a fresh random key the new active base master key.
    /// Terminals move to it at their next sign-on; with `requestSignOn`, every signed-in
    /// terminal is told to sign on again (its next business message gets `A1`).
    public func rotateBaseMasterKey(to key: AESKey<BaseDerivation>? = nil, origin: String = "generated", requestSignOn: Bool = false) async throws -> BaseMasterKeyRecord {
        try await change { [self] tx, now in
            try await rotation(to: key, origin: origin, requestSignOn: requestSignOn, in: tx, now: now)
        }
    }

    /// A rotation's steps in the caller's transaction (a dual-control approval runs them in its own).
    func rotation(to key: AESKey<BaseDerivation>?, origin: String, requestSignOn: Bool, in tx: any HostTransaction, now: Date) async throws -> (BaseMasterKeyRecord, AuditEvent) {
        let record = try await KeyManagement.installBaseMasterKey(try key ?? AESKey<BaseDerivation>(generating: .bits256), origin: origin, lmk: lmk, in: tx, now: now)
        for retired in try await KeyManagement.retireUnusedBaseMasterKeys(in: tx, now: now) {
            try await AuditTrail.append(AuditEvent("key.bmk.retired", actor: actor, subject: "key:bmk/\(retired)",
                                                   details: "no terminal holds it; its key block is erased"), key: keys.auditChain, in: tx, now: now)
        }
        var asked = 0
        if requestSignOn {
            for var terminal in try await tx.terminals() where terminal.currentSession != nil && !terminal.signOnRequested {
                terminal.signOnRequested = true
                try await tx.updateTerminal(terminal)
                asked += 1
            }
        }
        return (record, AuditEvent("key.bmk.rotated", actor: actor, subject: "key:bmk/\(record.version)",
                                   details: "check value \(record.checkValue), \(origin)" + (requestSignOn ? "; \(asked) signed-in terminals asked to sign on again" : "")))
    }

    /// Combines 2 or 3 custodians' components (each checked against its check value when
    /// given) into the new base master key; returns its record (with the combined check value).
    public func rotateBaseMasterKey(components: [KeyComponent], requestSignOn: Bool = false) async throws -> BaseMasterKeyRecord {
        let key = try KeyComponents.combine(components, as: BaseDerivation.self)
        return try await rotateBaseMasterKey(to: key, origin: "ceremony (\(components.count) components)", requestSignOn: requestSignOn)
    }

    /// Asks one terminal, or every signed-in one, to sign on again.
    public func requestSignOn(terminal id: String) async throws {
        try await updateTerminal(id, event: "admin.terminal.request-sign-on") { record in
            guard record.currentSession != nil else { throw HostError(.wrongState, "terminal \(id) is not signed in") }
            record.signOnRequested = true
        }
    }

    /// The check values of a session's PIN, MAC and data keys (never the keys), or nil once
    /// the session has ended and its keys are erased: for comparing with a terminal's.
    public func sessionKeyCheckValues(session number: Int64) async throws -> (pinKey: String, macKey: String, dataKey: String)? {
        guard let session = try await read({ tx in try await tx.session(number: number) }) else { throw HostError(.notFound, "no session \(number)") }
        guard session.isActive else { return nil }
        return (try lmk.load(session.pinKeyBlock, as: PINEncryption.self).checkValue().hex,
                try lmk.load(session.macKeyBlock, as: MessageAuthentication.self).checkValue().hex,
                try lmk.load(session.dataKeyBlock, as: DataEncryption.self).checkValue().hex)
    }
}
