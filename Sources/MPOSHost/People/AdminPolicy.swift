public import Foundation

/// The rules for the people who administer the host: lockout, session and token lifetimes,
/// passwords, dual control.
public struct AdminPolicy: Sendable {
    /// Failed logins in a row that lock an account (an administrator unlocks it).
    public var loginFailureLimit = 5
    /// A browser session ends after this long without a request…
    public var sessionIdleTimeout: TimeInterval = 15 * 60
    /// …and after this long in any case.
    public var sessionLifetime: TimeInterval = 8 * 3600
    /// The longest an API token may live (and its default).
    public var maximumTokenLifetime: TimeInterval = 365 * 86_400
    public var defaultTokenLifetime: TimeInterval = 90 * 86_400
    /// Live API tokens one person may hold.
    public var maximumLiveTokens = 20
    /// A dual-control request not decided in this time expires.
    public var approvalLifetime: TimeInterval = 24 * 3600
    /// Passwords: at least this many characters, at most 72 bytes (bcrypt reads no further).
    public var minimumPasswordLength = 12

    public init() {}
}

/// Someone signed in: who they are and the role they act in. The audit trail names both.
public struct AdminIdentity: Sendable, Hashable {
    public let name: String
    public let role: AdminRole

    public init(name: String, role: AdminRole) {
        self.name = name; self.role = role
    }

    /// `user:alice (key-custodian)`.
    public var auditActor: String { "user:\(name) (\(role.rawValue))" }
}

/// Turns passwords into slow, salted hashes and checks them. The API's conformer runs bcrypt
/// off the cooperative pool (it takes a quarter of a second by design).
public protocol PasswordHasher: Sendable {
    func hash(_ password: String) async throws -> String
    func verify(_ password: String, against hash: String) async -> Bool
}

/// A session or token just issued: the token is shown this once, and only its digest is kept.
public struct IssuedCredential: Sendable {
    public let record: AdminCredentialRecord
    public let token: String
}

/// The rules for names and passwords that people type.
public enum AdminNames {
    /// 1–32 of `a-z 0-9 . _ -`, starting with a letter or digit.
    public static func isValidUserName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...32).contains(bytes.count), let first = bytes.first, isLowerAlphanumeric(first) else { return false }
        return bytes.allSatisfy { isLowerAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    /// Long enough, short enough for bcrypt, and printable (no control characters).
    public static func checkPassword(_ password: String, policy: AdminPolicy) throws {
        guard password.count >= policy.minimumPasswordLength, password.utf8.count <= 72,
              !password.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw HostError(.invalidRequest, "a password is \(policy.minimumPasswordLength) characters to 72 bytes, with no control characters")
        }
    }

    /// Printable text of 1 to `limit` characters (and at most 4 bytes each) that cannot
    /// disguise itself: no control, format (bidirectional overrides, zero-width), separator,
    /// private-use, surrogate or unassigned characters (labels and names people type).
    public static func isPrintable(_ text: String, limit: Int) -> Bool {
        (1...limit).contains(text.unicodeScalars.count) && text.utf8.count <= 4 * limit && !text.unicodeScalars.contains { scalar in
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .privateUse, .surrogate, .unassigned: true
            default: false
            }
        }
    }

    /// Untrusted text made safe for the audit trail and logs: control characters replaced,
    /// at most 64 characters.
    public static func printable(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.prefix(64).map { $0.properties.generalCategory == .control ? "?" : $0 }))
    }

    private static func isLowerAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
