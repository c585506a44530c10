public import Foundation
import Crypto
import MPOSCrypto

// An optional second factor for signing in: TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30-second
// steps), the codes authenticator apps show. The secret is kept AES-GCM-sealed under the
// host's admin-secrets key, bound to the person's name; a code is accepted once.
extension HostAdministration {
    /// What a person adds to their authenticator app, shown once when they begin.
    public struct SecondFactorEnrollment: Sendable {
        /// The TOTP key as text (its UTF-8 bytes are the HMAC key).
        public let secret: String
        /// `otpauth://totp/…`, for a QR code.
        public let authenticatorURL: String
    }

    /// Begins (or begins again) a second factor for the signed-in person; sign-in needs it only
    /// once ``confirmSecondFactor(for:code:)`` has seen one right code.
    public func beginSecondFactor(for identity: AdminIdentity) async throws -> SecondFactorEnrollment {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        let secret = String((0..<32).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
        let sealed = try AuthenticatedEncryption.seal(Array(secret.utf8), authenticating: Self.secondFactorBinding(identity.name), using: keys.adminSecrets)
        try await change { [actor] tx, _ in
            guard var record = try await tx.adminUser(name: identity.name) else { throw HostError(.notFound, "no user \(identity.name)") }
            record.totpSecretBlock = sealed.map { String(format: "%02x", $0) }.joined()
            record.totpConfirmed = false
            record.totpLastStep = nil
            try await tx.updateAdminUser(record)
            return ((), AuditEvent("admin.second-factor.begin", actor: actor, subject: "user:\(identity.name)"))
        }
        return SecondFactorEnrollment(secret: secret, authenticatorURL: OneTimeCode.authenticatorURL(secret: secret, label: "mpos:\(identity.name)"))
    }

    /// One right code from the app makes the second factor required at every sign-in.
    public func confirmSecondFactor(for identity: AdminIdentity, code: String) async throws {
        try await change { [self] tx, now in
            guard var record = try await tx.adminUser(name: identity.name), record.totpSecretBlock != nil else {
                throw HostError(.wrongState, "no second factor begun: begin one first")
            }
            guard secondFactorAccepts(code, for: &record, now: now) else {
                throw HostError(.invalidRequest, "that code is not the app's current one: check the phone's clock and try the next code")
            }
            record.totpConfirmed = true
            try await tx.updateAdminUser(record)
            return ((), AuditEvent("admin.second-factor.confirm", actor: actor, subject: "user:\(identity.name)"))
        }
    }

    /// Removes a person's second factor (a lost phone): an administrator's action.
    public func clearSecondFactor(_ name: String) async throws {
        try await change { [actor] tx, _ in
            guard var record = try await tx.adminUser(name: name) else { throw HostError(.notFound, "no user \(name)") }
            record.totpSecretBlock = nil
            record.totpConfirmed = false
            record.totpLastStep = nil
            try await tx.updateAdminUser(record)
            return ((), AuditEvent("admin.second-factor.clear", actor: actor, subject: "user:\(name)"))
        }
    }

    /// Whether `code` is the person's current code (or the one before or after, for clock
    /// drift) and newer than the last accepted; if so, records its step.
    func secondFactorAccepts(_ code: String?, for record: inout AdminUserRecord, now: Date) -> Bool {
        // A secret that does not open (altered, or moved from another person's row) accepts no code.
        guard let code, let block = record.totpSecretBlock, let sealed = Self.bytes(hex: block),
              let secret = try? AuthenticatedEncryption.open(sealed, authenticating: Self.secondFactorBinding(record.name), using: keys.adminSecrets)
        else { return false }
        let step = OneTimeCode.step(at: now)
        for candidate in [step - 1, step, step + 1] where candidate > (record.totpLastStep ?? .min) {
            if OneTimeCode.matches(code, OneTimeCode.code(secret: secret, step: candidate)) {
                record.totpLastStep = candidate
                return true
            }
        }
        return false
    }

    /// The associated data that binds a sealed secret to its person: a secret moved to another
    /// row does not open.
    static func secondFactorBinding(_ name: String) -> [UInt8] { Array("mpos admin totp \(name)".utf8) }

    private static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count.isMultiple(of: 2), digits.count <= 512 else { return nil }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[index...index + 1], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }
}

/// RFC 6238 TOTP over RFC 4226 HOTP: HMAC-SHA1 of the 30-second step, dynamically truncated
/// to 6 digits. Tested against RFC 6238's vectors and HummingbirdOTP.
public enum OneTimeCode {
    public static let timeStep: TimeInterval = 30

    public static func step(at date: Date) -> Int64 { Int64((date.timeIntervalSince1970 / timeStep).rounded(.down)) }

    public static func code(secret: [UInt8], step: Int64, digits: Int = 6) -> String {
        var counter = UInt64(bitPattern: step).bigEndian
        let message = withUnsafeBytes(of: &counter) { Array($0) }
        let mac = Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: SymmetricKey(data: secret)))
        let offset = Int(mac[mac.count - 1] & 0x0F)
        let value = (UInt32(mac[offset] & 0x7F) << 24) | (UInt32(mac[offset + 1]) << 16) | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        var modulus: UInt32 = 1
        for _ in 0..<digits { modulus *= 10 }
        let text = String(value % modulus)
        return String(repeating: "0", count: digits - text.count) + text
    }

    /// Six ASCII digits equal to `expected`, compared in constant time.
    static func matches(_ code: String, _ expected: String) -> Bool {
        let a = Array(code.utf8), b = Array(expected.utf8)
        guard a.count == b.count, a.allSatisfy({ (0x30...0x39).contains($0) }) else { return false }
        return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }

    /// `otpauth://totp/LABEL?secret=BASE32&issuer=mpos` (Google Authenticator's key URI format).
    public static func authenticatorURL(secret: String, label: String) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var bits = 0, buffer = 0, base32 = ""
        for byte in secret.utf8 {
            buffer = (buffer << 8) | Int(byte)
            bits += 8
            while bits >= 5 {
                base32.append(alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
        }
        if bits > 0 { base32.append(alphabet[(buffer << (5 - bits)) & 31]) }
        let path = label.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~:"))) ?? "mpos"
        return "otpauth://totp/\(path)?secret=\(base32)&issuer=mpos"
    }
}
