public import Foundation
import Crypto

// The people who administer the host: accounts, logins, sessions and tokens. Every change is
// audited under the acting person's name and role, in the transaction that makes it.
extension HostAdministration {
    /// The same administration acting for someone else (each API request acts for its caller).
    public func acting(as identity: AdminIdentity) -> HostAdministration { acting(asActor: identity.auditActor) }

    public func acting(asActor actor: String) -> HostAdministration {
        HostAdministration(store: store, actor: actor, lmk: lmk, keys: keys, clock: clock)
    }

    // MARK: Accounts

    public func addUser(name: String, role: AdminRole, password: String, hasher: any PasswordHasher, policy: AdminPolicy) async throws -> AdminUserRecord {
        guard AdminNames.isValidUserName(name) else {
            throw HostError(.invalidRequest, "a user name is 1-32 of a-z, 0-9, '.', '_' and '-', starting with a letter or digit")
        }
        try AdminNames.checkPassword(password, policy: policy)
        let hash = try await hasher.hash(password)
        return try await change { [actor] tx, now in
            guard try await tx.adminUser(name: name) == nil else { throw HostError(.alreadyExists, "user \(name) exists") }
            let record = AdminUserRecord(name: name, role: role, passwordHash: hash, createdAt: now)
            try await tx.insertAdminUser(record)
            return (record, AuditEvent("admin.user.add", actor: actor, subject: "user:\(name)", details: "role \(role.rawValue)"))
        }
    }

    public func adminUsers() async throws -> [AdminUserRecord] {
        try await read { tx in try await tx.adminUsers() }
    }

    public func adminUser(_ name: String) async throws -> AdminUserRecord {
        guard let record = try await read({ tx in try await tx.adminUser(name: name) }) else { throw HostError(.notFound, "no user \(name)") }
        return record
    }

    public func setUserRole(_ name: String, _ role: AdminRole) async throws {
        try await updateUser(name, role: role, disabled: nil)
    }

    /// A disabled account's sessions and tokens end now.
    public func setUserDisabled(_ name: String, _ disabled: Bool) async throws {
        try await updateUser(name, role: nil, disabled: disabled)
    }

    /// A role and/or the disabled flag, in one transaction. The last enabled administrator
    /// cannot be demoted or disabled (nobody could add people any more): checked inside the
    /// transaction, with every administrator's row locked, so two administrators removing each
    /// other at once cannot both succeed.
    public func updateUser(_ name: String, role: AdminRole?, disabled: Bool?) async throws {
        try await change { [actor] tx, now in
            guard var record = try await tx.adminUser(name: name) else { throw HostError(.notFound, "no user \(name)") }
            let before = record
            if let role { record.role = role }
            if let disabled { record.isDisabled = disabled }
            if before.role == .administrator, !before.isDisabled, record.role != .administrator || record.isDisabled {
                var others = 0
                for user in try await tx.adminUsers() where user.name != name && user.role == .administrator {
                    if let locked = try await tx.adminUser(name: user.name), !locked.isDisabled, locked.role == .administrator { others += 1 }
                }
                guard others > 0 else { throw HostError(.wrongState, "\(name) is the last enabled administrator: add another first") }
            }
            try await tx.updateAdminUser(record)
            let ended = record.role != before.role || (record.isDisabled && !before.isDisabled) ? try await Self.endCredentials(of: name, in: tx, now: now) : 0
            var changes: [String] = []
            if record.role != before.role { changes.append("role \(before.role.rawValue) -> \(record.role.rawValue)") }
            if record.isDisabled != before.isDisabled { changes.append(record.isDisabled ? "disabled" : "enabled") }
            if ended > 0 { changes.append("\(ended) sessions and tokens ended") }
            return ((), AuditEvent("admin.user.change", actor: actor, subject: "user:\(name)", details: changes.joined(separator: "; ")))
        }
    }

    static func endCredentials(of name: String, in tx: any HostTransaction, now: Date) async throws -> Int {
        var ended = 0
        for var credential in try await tx.adminCredentials(userName: name) where credential.revokedAt == nil && credential.expiresAt > now {
            credential.revokedAt = now
            try await tx.updateAdminCredential(credential)
            ended += 1
        }
        return ended
    }

    public func unlockUser(_ name: String) async throws {
        try await updateUser(name, event: "admin.user.unlock") { record in
            record.isLocked = false
            record.failedLogins = 0
        }
    }

    /// A new password ends every session and token the person had.
    public func setUserPassword(_ name: String, password: String, hasher: any PasswordHasher, policy: AdminPolicy) async throws {
        try AdminNames.checkPassword(password, policy: policy)
        let hash = try await hasher.hash(password)
        try await updateUser(name, event: "admin.user.set-password", endsCredentials: true) { record in
            record.passwordHash = hash
            record.isLocked = false
            record.failedLogins = 0
        }
    }

    private func updateUser(_ name: String, event: String, details: String = "", endsCredentials: Bool = false,
                            _ edit: @Sendable @escaping (inout AdminUserRecord) -> Void) async throws {
        try await change { [actor] tx, now in
            guard var record = try await tx.adminUser(name: name) else { throw HostError(.notFound, "no user \(name)") }
            edit(&record)
            try await tx.updateAdminUser(record)
            let ended = endsCredentials ? try await Self.endCredentials(of: name, in: tx, now: now) : 0
            return ((), AuditEvent(event, actor: actor, subject: "user:\(name)",
                                   details: [details, ended > 0 ? "\(ended) sessions and tokens ended" : ""].filter { !$0.isEmpty }.joined(separator: "; ")))
        }
    }

    // MARK: Logging in

    /// Checks name, password and (once confirmed) the one-time code. Each attempt is counted
    /// before the password is checked, so guesses sent in parallel count too; the limit locks
    /// the account. Every refusal says the same words, whatever the reason — a wrong name or
    /// password or code, or a locked or disabled account — and costs the same bcrypt check, so a
    /// guesser learns nothing (not even when a guess is right but the account is locked). Only
    /// the right password for an account with a second factor, sent without a code, is told to
    /// send one.
    public func logIn(name: String, password: String, oneTimeCode: String? = nil, hasher: any PasswordHasher,
                      policy: AdminPolicy) async throws -> (AdminIdentity, IssuedCredential) {
        let now = clock()
        // 1. The attempt, counted and committed (a name that cannot exist is not even looked up).
        let attempt: AdminUserRecord? = AdminNames.isValidUserName(name) ? try await store.retryingTransaction { tx in
            guard var record = try await tx.adminUser(name: name), !record.isLocked, !record.isDisabled else { return nil }
            record.failedLogins += 1
            if record.failedLogins > policy.loginFailureLimit { record.isLocked = true }
            try await tx.updateAdminUser(record)
            return record.isLocked ? nil : record
        } : nil
        // 2. The password, off the request threads; a refused attempt costs the same.
        let passwordMatches = await hasher.verify(password, against: attempt?.passwordHash ?? Self.unmatchableHash) && attempt != nil
        let credential = IssuedCredential.generate(kind: .session, userName: name, label: "browser session", now: now, lifetime: policy.sessionLifetime)
        enum Outcome: Sendable { case signedIn(AdminIdentity), refused, needsCode }
        // 3. The outcome, and its audit entry.
        let outcome: Outcome = try await store.retryingTransaction { [self, keys] tx in
            func refuse(_ actor: String, _ details: String) async throws -> Outcome {
                try await AuditTrail.append(AuditEvent("admin.login", actor: actor, subject: "login", outcome: "refused", details: details),
                                            key: keys.auditChain, in: tx, now: now)
                return .refused
            }
            guard attempt != nil, var record = try await tx.adminUser(name: name) else {
                let known = AdminNames.isValidUserName(name) ? try await tx.adminUser(name: name) : nil
                return try await refuse("user:\(AdminNames.printable(name))", known == nil ? "no such user" : known!.isDisabled ? "account disabled" : "account locked")
            }
            guard passwordMatches else {
                if record.failedLogins >= policy.loginFailureLimit, !record.isLocked {
                    record.isLocked = true
                    try await tx.updateAdminUser(record)
                }
                return try await refuse("user:\(name)", "wrong password (\(record.failedLogins) in a row)" + (record.isLocked ? "; account locked" : ""))
            }
            if record.totpConfirmed {
                guard oneTimeCode != nil else { return .needsCode }
                guard secondFactorAccepts(oneTimeCode, for: &record, now: now) else {
                    if record.failedLogins >= policy.loginFailureLimit { record.isLocked = true }
                    try await tx.updateAdminUser(record)
                    return try await refuse("user:\(name)", "wrong one-time code (\(record.failedLogins) in a row)" + (record.isLocked ? "; account locked" : ""))
                }
            }
            guard !record.isLocked, !record.isDisabled else { return try await refuse("user:\(name)", "account locked or disabled meanwhile") }
            record.failedLogins = 0
            record.lastLoginAt = now
            try await tx.updateAdminUser(record)
            try await tx.insertAdminCredential(credential.record)
            try await tx.deleteAdminCredentials(endedBefore: now.addingTimeInterval(-86_400))
            let identity = AdminIdentity(name: name, role: record.role)
            try await AuditTrail.append(AuditEvent("admin.login", actor: identity.auditActor, subject: "user:\(name)",
                                                   details: "session \(credential.record.id)"), key: keys.auditChain, in: tx, now: now)
            return .signedIn(identity)
        }
        switch outcome {
        case .signedIn(let identity): return (identity, credential)
        case .refused:
            throw HostError(.unauthenticated, "wrong user name, password or code, or the account is locked: try again, or ask an administrator")
        case .needsCode: throw HostError(.secondFactorRequired, "this account needs its one-time code: send the code the authenticator app shows now")
        }
    }

    /// The signed-in person types their password again before something that outlives the
    /// session (a token, a new password). A wrong one counts towards the lockout as at sign-in.
    public func confirmPassword(of identity: AdminIdentity, _ password: String, hasher: any PasswordHasher, policy: AdminPolicy) async throws {
        let name = identity.name
        let attempt: AdminUserRecord? = try await store.retryingTransaction { tx in
            guard var record = try await tx.adminUser(name: name), !record.isLocked, !record.isDisabled else { return nil }
            record.failedLogins += 1
            if record.failedLogins > policy.loginFailureLimit { record.isLocked = true }
            try await tx.updateAdminUser(record)
            return record.isLocked ? nil : record
        }
        let hashMatches = await hasher.verify(String(password.prefix(256)), against: attempt?.passwordHash ?? Self.unmatchableHash)
        let matches = hashMatches && attempt != nil && password.utf8.count <= 256
        try await change { [actor] tx, _ in
            guard var record = try await tx.adminUser(name: name) else { throw Self.notSignedIn }
            if matches { record.failedLogins = 0 } else if record.failedLogins >= policy.loginFailureLimit { record.isLocked = true }
            try await tx.updateAdminUser(record)
            return ((), AuditEvent("admin.password.confirm", actor: actor, subject: "user:\(name)", outcome: matches ? "ok" : "refused"))
        }
        guard matches else { throw HostError(.unauthenticated, "wrong password: type your own password again") }
    }

    /// A token for a script, acting as `identity`, for `lifetime` (at most the policy's maximum).
    public func issueToken(for identity: AdminIdentity, label: String, lifetime: TimeInterval?, policy: AdminPolicy) async throws -> IssuedCredential {
        guard AdminNames.isPrintable(label, limit: 64) else { throw HostError(.invalidRequest, "a token's label is 1-64 printable characters") }
        let lifetime = lifetime ?? policy.defaultTokenLifetime
        guard lifetime >= 60, lifetime <= policy.maximumTokenLifetime else {
            throw HostError(.invalidRequest, "a token lives from 60 seconds to \(Int(policy.maximumTokenLifetime / 86_400)) days")
        }
        let credential = IssuedCredential.generate(kind: .token, userName: identity.name, label: label, now: clock(), lifetime: lifetime)
        try await change { [actor] tx, now in
            let live = try await tx.adminCredentials(userName: identity.name).filter { $0.kind == .token && $0.isLive(at: now, policy: policy) }
            guard live.count < policy.maximumLiveTokens else {
                throw HostError(.wrongState, "you have \(policy.maximumLiveTokens) live tokens: revoke one first (DELETE /api/v1/tokens/ID)")
            }
            try await tx.insertAdminCredential(credential.record)
            return ((), AuditEvent("admin.token.issue", actor: actor, subject: "user:\(identity.name)",
                                   details: "token \(credential.record.id), until \(credential.record.expiresAt.formatted(.iso8601))"))
        }
        return credential
    }

    /// Who a session or token belongs to, if it is live and its account is not disabled. (A
    /// lockout stops signing in with a password only: five strangers' guesses must not stop a
    /// person's running scripts.) The person's row is locked before the credential's is written,
    /// the order every change of a person's credentials takes.
    public func authenticate(token: String, policy: AdminPolicy) async throws -> (AdminIdentity, AdminCredentialRecord) {
        guard let digest = IssuedCredential.digest(of: token) else { throw Self.notSignedIn }
        let now = clock()
        let found: (AdminIdentity, AdminCredentialRecord)? = try await store.retryingTransaction { tx in
            guard var credential = try await tx.adminCredential(digest: digest), credential.isLive(at: now, policy: policy),
                  let user = try await tx.adminUser(name: credential.userName), !user.isDisabled else { return nil }
            // Recorded at most every 30 s (or half the idle timeout, if shorter): enough for the
            // idle timeout, without a write per request.
            if now.timeIntervalSince(credential.lastUsedAt) >= min(30, policy.sessionIdleTimeout / 2) {
                credential.lastUsedAt = now
                try await tx.updateAdminCredential(credential)
            }
            return (AdminIdentity(name: user.name, role: user.role), credential)
        }
        guard let found else { throw Self.notSignedIn }
        return found
    }

    /// A person's sessions and tokens (digests only; never a token).
    public func credentials(of name: String) async throws -> [AdminCredentialRecord] {
        try await read { tx in try await tx.adminCredentials(userName: name) }
    }

    /// Ends a session or token now. With `owner`, only if it is theirs.
    public func revokeCredential(id: String, owner: String? = nil) async throws {
        try await change { [actor] tx, now in
            guard var credential = try await tx.adminCredential(id: id), owner == nil || credential.userName == owner else {
                throw HostError(.notFound, "no session or token \(AdminNames.printable(id))")
            }
            if credential.revokedAt == nil { credential.revokedAt = now }
            try await tx.updateAdminCredential(credential)
            return ((), AuditEvent("admin.\(credential.kind.rawValue).revoke", actor: actor, subject: "user:\(credential.userName)",
                                   details: "\(credential.kind.rawValue) \(credential.id)"))
        }
    }

    static var notSignedIn: HostError { HostError(.unauthenticated, "not signed in, or the session or token has ended: sign in again") }

    /// A bcrypt hash of no password, compared against when the user does not exist.
    static let unmatchableHash = "$2b$12$C6UzMDM.H6dfI/f/IKcEeO5iMaiJM1l9zQGi/J2n.PvHQiKt8KGyq"
}

extension AdminCredentialRecord {
    public func isLive(at now: Date, policy: AdminPolicy) -> Bool {
        guard revokedAt == nil, now < expiresAt else { return false }
        return kind == .token || now.timeIntervalSince(lastUsedAt) < policy.sessionIdleTimeout
    }
}

extension IssuedCredential {
    /// `mpos_` and 64 lowercase hex digits (256 random bits).
    static func generate(kind: AdminCredentialRecord.Kind, userName: String, label: String, now: Date, lifetime: TimeInterval) -> IssuedCredential {
        var generator = SystemRandomNumberGenerator()
        let secret = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let token = "mpos_" + hex(secret)
        let digest = Array(SHA256.hash(data: Array(token.utf8)))
        let record = AdminCredentialRecord(digest: digest, id: String(hex(digest).prefix(16)), userName: userName, kind: kind, label: label,
                                           createdAt: now, expiresAt: now.addingTimeInterval(lifetime), lastUsedAt: now)
        return IssuedCredential(record: record, token: token)
    }

    /// The digest of a well-formed token; nil for anything else (checked before hashing).
    static func digest(of token: String) -> [UInt8]? {
        let bytes = Array(token.utf8)
        guard bytes.count == 69, token.hasPrefix("mpos_"),
              bytes.dropFirst(5).allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else { return nil }
        return Array(SHA256.hash(data: bytes))
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }
}
