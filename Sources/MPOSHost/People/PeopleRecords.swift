public import Foundation

// The people who administer the host, how they prove who they are, and what waits for a
// second person's approval. No field holds a secret in clear: passwords exist only as bcrypt
// hashes, session and API tokens only as SHA-256 digests, a TOTP secret only under the LMK.

/// A person with a role (``AdminRole``) who administers the host through the API or the console.
public struct AdminUserRecord: Sendable, Hashable {
    /// 1–32 of `a-z 0-9 . _ -`, starting with a letter or digit: safe in logs and the audit trail.
    public var name: String
    public var role: AdminRole
    /// bcrypt (`$2b$…`), salted, cost 12 by default.
    public var passwordHash: String
    /// The TOTP secret (RFC 6238), AES-GCM-sealed under the host's admin-secrets key with the
    /// user's name as associated data (hex), once a second factor is begun.
    public var totpSecretBlock: String?
    /// The second factor is confirmed (one right code seen): sign-in then needs a code.
    public var totpConfirmed: Bool
    /// A new secret, sealed like `totpSecretBlock`, waiting for its first code: until then the
    /// factor in force (if any) stays.
    public var totpPendingBlock: String?
    /// The last TOTP time step accepted: a code is good once.
    public var totpLastStep: Int64?
    /// Wrong passwords or codes in a row; at ``AdminPolicy/loginFailureLimit`` the account locks.
    public var failedLogins: Int
    /// Locked after too many failed logins, until an administrator unlocks it.
    public var isLocked: Bool
    public var isDisabled: Bool
    public var createdAt: Date
    public var lastLoginAt: Date?

    public init(name: String, role: AdminRole, passwordHash: String, totpSecretBlock: String? = nil, totpConfirmed: Bool = false,
                totpPendingBlock: String? = nil, totpLastStep: Int64? = nil, failedLogins: Int = 0, isLocked: Bool = false, isDisabled: Bool = false, createdAt: Date,
                lastLoginAt: Date? = nil) {
        self.name = name; self.role = role; self.passwordHash = passwordHash; self.totpSecretBlock = totpSecretBlock
        self.totpConfirmed = totpConfirmed; self.totpPendingBlock = totpPendingBlock; self.totpLastStep = totpLastStep
        self.failedLogins = failedLogins; self.isLocked = isLocked; self.isDisabled = isDisabled
        self.createdAt = createdAt; self.lastLoginAt = lastLoginAt
    }
}

/// A browser session or an API token. The token itself is shown once, when it is issued; the
/// host keeps its SHA-256 digest (a token is 256 random bits, so a fast hash is enough).
public struct AdminCredentialRecord: Sendable, Hashable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// A browser's sign-in: ends after ``AdminPolicy/sessionIdleTimeout`` without use.
        case session
        /// A script's token: ends at its expiry or when revoked.
        case token
    }

    /// SHA-256 of the token.
    public var digest: [UInt8]
    /// For people: the first 16 hex digits of the digest, to list and revoke it by.
    public var id: String
    public var userName: String
    public var kind: Kind
    public var label: String
    public var createdAt: Date
    public var expiresAt: Date
    public var lastUsedAt: Date
    public var revokedAt: Date?

    public init(digest: [UInt8], id: String, userName: String, kind: Kind, label: String, createdAt: Date, expiresAt: Date, lastUsedAt: Date,
                revokedAt: Date? = nil) {
        self.digest = digest; self.id = id; self.userName = userName; self.kind = kind; self.label = label
        self.createdAt = createdAt; self.expiresAt = expiresAt; self.lastUsedAt = lastUsedAt; self.revokedAt = revokedAt
    }
}

/// A change that needs two people (dual control): one key custodian requests it, another
/// approves it, and only then does it happen.
public struct AdminApprovalRecord: Sendable, Hashable {
    public enum Action: String, Sendable, Codable, CaseIterable {
        /// A new, generated base master key version.
        case rotateBaseMasterKey = "key.rotate"
    }

    public enum State: String, Sendable, Codable, CaseIterable {
        case pending, approved, rejected, withdrawn, expired
    }

    public var id: Int64
    public var action: Action
    /// Whether the rotation also asks every signed-in terminal to sign on again.
    public var requestSignOn: Bool
    public var requestedBy: String
    public var requestedAt: Date
    public var state: State
    public var decidedBy: String?
    public var decidedAt: Date?
    /// What the change did (for a rotation: the new version and its check value).
    public var result: String?

    public init(id: Int64 = 0, action: Action, requestSignOn: Bool, requestedBy: String, requestedAt: Date, state: State = .pending,
                decidedBy: String? = nil, decidedAt: Date? = nil, result: String? = nil) {
        self.id = id; self.action = action; self.requestSignOn = requestSignOn; self.requestedBy = requestedBy
        self.requestedAt = requestedAt; self.state = state; self.decidedBy = decidedBy; self.decidedAt = decidedAt; self.result = result
    }
}
