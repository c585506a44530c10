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
        try await updateUser(name, event: "admin.user.role", details: "role \(role.rawValue)", endsCredentials: true) { $0.role = role }
    }

    /// A disabled account's sessions and tokens end now.
    public func setUserDisabled(_ name: String, _ disabled: Bool) async throws {
        try await updateUser(name, event: disabled ? "admin.user.disable" : "admin.user.enable", endsCredentials: disabled) { $0.isDisabled = disabled }
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
            var ended = 0
            if endsCredentials {
                for var credential in try await tx.adminCredentials(userName: name) where credential.revokedAt == nil && credential.expiresAt > now {
                    credential.revokedAt = now
                    try await tx.updateAdminCredential(credential)
                    ended += 1
                }
            }
            return ((), AuditEvent(event, actor: actor, subject: "user:\(name)",
                                   details: [details, ended > 0 ? "\(ended) sessions and tokens ended" : ""].filter { !$0.isEmpty }.joined(separator: "; ")))
        }
    }

    // MARK: Logging in

    /// Checks name and password; a wrong one counts towards the lockout (committed, then
    /// refused). Every refusal but one says the same, so a guesser learns nothing: only the
    /// right password for a locked account is told so.
    /// With a second factor confirmed, `oneTimeCode` must be the app's current code; a wrong
    /// one counts like a wrong password.
    public func logIn(name: String, password: String, oneTimeCode: String? = nil, hasher: any PasswordHasher,
                      policy: AdminPolicy) async throws -> (AdminIdentity, IssuedCredential) {
        let user = AdminNames.isValidUserName(name) ? try await read({ tx in try await tx.adminUser(name: name) }) : nil
        // A missing user costs a hash check too, so timing does not tell who exists.
        let passwordMatches = await hasher.verify(password, against: user?.passwordHash ?? Self.unmatchableHash) && user != nil
        let credential = IssuedCredential.generate(kind: .session, userName: name, label: "browser session", now: clock(),
                                                   lifetime: policy.sessionLifetime)
        enum Outcome: Sendable { case signedIn(AdminIdentity), refused, locked, needsCode }
        let outcome: Outcome = try await store.retryingTransaction { [self, keys] tx in
            let now = credential.record.createdAt
            guard var record = try await tx.adminUser(name: name) else {
                try await AuditTrail.append(AuditEvent("admin.login", actor: "user:\(AdminNames.printable(name))", subject: "login", outcome: "refused",
                                                       details: "no such user"), key: keys.auditChain, in: tx, now: now)
                return .refused
            }
            if passwordMatches, record.isLocked || record.isDisabled {
                try await AuditTrail.append(AuditEvent("admin.login", actor: "user:\(name)", subject: "user:\(name)", outcome: "refused",
                                                       details: record.isLocked ? "account locked" : "account disabled"), key: keys.auditChain, in: tx, now: now)
                return .locked
            }
            if passwordMatches, record.totpConfirmed, oneTimeCode == nil { return .needsCode }
            let codeAccepted = !record.totpConfirmed || secondFactorAccepts(oneTimeCode, for: &record, now: now)
            guard passwordMatches, codeAccepted, !record.isLocked, !record.isDisabled else {
                record.failedLogins += 1
                let locks = record.failedLogins >= policy.loginFailureLimit && !record.isLocked
                if locks { record.isLocked = true }
                try await tx.updateAdminUser(record)
                try await AuditTrail.append(AuditEvent("admin.login", actor: "user:\(name)", subject: "user:\(name)", outcome: "refused",
                                                       details: (passwordMatches ? "wrong one-time code" : "wrong password") + " (\(record.failedLogins) in a row)" + (locks ? "; account locked" : "")),
                                            key: keys.auditChain, in: tx, now: now)
                return .refused
            }
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
        case .refused: throw HostError(.unauthenticated, "wrong user name or password: try again, or ask an administrator to unlock the account")
        case .locked: throw HostError(.accountLocked, "this account is locked or disabled: ask an administrator to unlock it")
        case .needsCode: throw HostError(.secondFactorRequired, "this account needs its one-time code: send the code the authenticator app shows now")
        }
    }

    /// A token for a script, acting as `identity`, for `lifetime` (at most the policy's maximum).
    public func issueToken(for identity: AdminIdentity, label: String, lifetime: TimeInterval?, policy: AdminPolicy) async throws -> IssuedCredential {
        guard AdminNames.isPrintable(label, limit: 64) else { throw HostError(.invalidRequest, "a token's label is 1-64 printable characters") }
        let lifetime = lifetime ?? policy.defaultTokenLifetime
        guard lifetime >= 60, lifetime <= policy.maximumTokenLifetime else {
            throw HostError(.invalidRequest, "a token lives from 60 seconds to \(Int(policy.maximumTokenLifetime / 86_400)) days")
        }
        let credential = IssuedCredential.generate(kind: .token, userName: identity.name, label: label, now: clock(), lifetime: lifetime)
        try await change { [actor] tx, _ in
            try await tx.insertAdminCredential(credential.record)
            return ((), AuditEvent("admin.token.issue", actor: actor, subject: "user:\(identity.name)",
                                   details: "token \(credential.record.id), until \(credential.record.expiresAt.formatted(.iso8601))"))
        }
        return credential
    }

    /// Who a session or token belongs to, if it is live and its account may act.
    public func authenticate(token: String, policy: AdminPolicy) async throws -> (AdminIdentity, AdminCredentialRecord) {
        guard let digest = IssuedCredential.digest(of: token) else { throw Self.notSignedIn }
        let now = clock()
        let found: (AdminIdentity, AdminCredentialRecord)? = try await store.transaction { tx in
            guard var credential = try await tx.adminCredential(digest: digest), credential.isLive(at: now, policy: policy),
                  let user = try await tx.adminUser(name: credential.userName), !user.isLocked, !user.isDisabled else { return nil }
            // Recorded at most every 30 s: enough for the idle timeout, without a write per request.
            if now.timeIntervalSince(credential.lastUsedAt) >= 30 {
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
