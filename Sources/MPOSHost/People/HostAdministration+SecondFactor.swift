public import Foundation
import Crypto
import MPOSCrypto

// An optional second factor for signing in: TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30-second
// steps), the codes authenticator apps show. The secret (20 random bytes, RFC 4226's advice)
// is kept AES-GCM-sealed under the host's admin-secrets key, bound to the person's name; a
// code is accepted once.
extension HostAdministration {
    /// What a person adds to their authenticator app, shown once when they begin.
    public struct SecondFactorEnrollment: Sendable {
        /// The key in base32, as apps take it when typed in.
        public let secret: String
        /// `otpauth://totp/…`, for a QR code.
        public let authenticatorURL: String
    }

    /// Begins a new second factor for the signed-in person. It replaces the one in force (if
    /// any) only when ``confirmSecondFactor(for:code:)`` sees its first code; and replacing a
    /// confirmed factor needs that factor's current code, so a stolen session or token cannot
    /// quietly switch it off.
    public func beginSecondFactor(for identity: AdminIdentity, currentCode: String?) async throws -> SecondFactorEnrollment {
        var generator = SystemRandomNumberGenerator()
        let secret = (0..<20).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let sealed = try AuthenticatedEncryption.seal(secret, authenticating: Self.secondFactorBinding(identity.name), using: keys.adminSecrets)
        try await change { [self] tx, now in
            guard var record = try await tx.adminUser(name: identity.name) else { throw HostError(.notFound, "no user \(identity.name)") }
            if record.totpConfirmed {
                guard secondFactorAccepts(currentCode, for: &record, now: now) else {
                    throw HostError(.secondFactorRequired, "replacing a second factor needs its current code (current_code): send the one the app shows now")
                }
            }
            record.totpPendingBlock = Self.hex(sealed)
            try await tx.updateAdminUser(record)
            return ((), AuditEvent("admin.second-factor.begin", actor: actor, subject: "user:\(identity.name)"))
        }
        let base32 = OneTimeCode.base32(secret)
        return SecondFactorEnrollment(secret: base32, authenticatorURL: OneTimeCode.authenticatorURL(base32Secret: base32, label: "mpos:\(identity.name)"))
    }

    /// The new secret's first right code puts it in force: sign-in needs a code from then on.
    public func confirmSecondFactor(for identity: AdminIdentity, code: String) async throws {
        try await change { [self] tx, now in
            guard var record = try await tx.adminUser(name: identity.name), let pending = record.totpPendingBlock else {
                throw HostError(.wrongState, "no second factor begun: begin one first")
            }
            var trial = record
            trial.totpSecretBlock = pending
            trial.totpLastStep = nil
            guard secondFactorAccepts(code, for: &trial, now: now) else {
                throw HostError(.invalidRequest, "that code is not the app's current one: check the phone's clock and try the next code")
            }
            record.totpSecretBlock = pending
            record.totpPendingBlock = nil
            record.totpConfirmed = true
            record.totpLastStep = trial.totpLastStep
            try await tx.updateAdminUser(record)
            return ((), AuditEvent("admin.second-factor.confirm", actor: actor, subject: "user:\(identity.name)"))
        }
    }

    /// Removes a person's second factor (a lost phone): an administrator's action.
    public func clearSecondFactor(_ name: String) async throws {
        try await change { [actor] tx, _ in
            guard var record = try await tx.adminUser(name: name) else { throw HostError(.notFound, "no user \(name)") }
            record.totpSecretBlock = nil
            record.totpPendingBlock = nil
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

    private static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    private static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count.isMultiple(of: 2), digits.count <= 512 else { return nil }
        func value(_ digit: UInt8) -> UInt8? {
            switch digit {
            case 0x30...0x39: digit - 0x30
            case 0x61...0x66: digit - 0x61 + 10
            default: nil
            }
        }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let high = value(digits[index]), let low = value(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }
}

/// RFC 6238 TOTP over RFC 4226 HOTP: HMAC-SHA1 of the 30-second step, dynamically truncated
/// to 6 digits. Tested against RFC 6238's vectors and hummingbird-auth's implementation.
public enum OneTimeCode {
    public static let timeStep: TimeInterval = 30
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")

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

    /// RFC 4648 base32, without padding (as authenticator apps take keys).
    public static func base32(_ bytes: [UInt8]) -> String {
        var bits = 0, buffer = 0, text = ""
        for byte in bytes {
            buffer = (buffer << 8) | Int(byte)
            bits += 8
            while bits >= 5 {
                text.append(alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
            buffer &= (1 << bits) - 1
        }
        if bits > 0 { text.append(alphabet[(buffer << (5 - bits)) & 31]) }
        return text
    }

    /// The bytes of an unpadded base32 text; nil for any other character.
    public static func bytes(base32 text: String) -> [UInt8]? {
        var bits = 0, buffer = 0, bytes: [UInt8] = []
        for character in text {
            guard let index = alphabet.firstIndex(of: character) else { return nil }
            buffer = (buffer << 5) | index
            bits += 5
            if bits >= 8 {
                bytes.append(UInt8((buffer >> (bits - 8)) & 0xFF))
                bits -= 8
            }
            buffer &= (1 << bits) - 1
        }
        return bytes
    }

    /// `otpauth://totp/LABEL?secret=BASE32&issuer=mpos` (the key URI format authenticator apps read).
    public static func authenticatorURL(base32Secret: String, label: String) -> String {
        let path = label.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~:"))) ?? "mpos"
        return "otpauth://totp/\(path)?secret=\(base32Secret)&issuer=mpos"
    }
}
