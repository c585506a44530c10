import Crypto

/// The shared secret of one webhook receiver: at least 32 bytes (HMAC-SHA256's block-strength key).
///
/// It never prints: `description`, `debugDescription` and reflection (`dump`, string interpolation)
/// all show a fixed placeholder, so a secret cannot leak into logs through a configuration dump.
public struct WebhookSecret: Sendable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// 32 bytes: shorter keys weaken HMAC-SHA256 below its 256-bit output.
    public static let minimumByteCount = 32

    let key: SymmetricKey

    /// Nil if fewer than ``minimumByteCount`` bytes.
    public init?(bytes: [UInt8]) {
        guard bytes.count >= Self.minimumByteCount else { return nil }
        key = SymmetricKey(data: bytes)
    }

    /// The secret as hex (either case), as carriers are usually handed it. Nil if not hex or too short.
    public init?(hex: String) {
        guard let bytes = decodeHex(hex.utf8) else { return nil }
        self.init(bytes: bytes)
    }

    public var description: String { "WebhookSecret(redacted)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}

/// Signs webhook bodies so the receiver can tell they come from the host, unaltered and recent.
///
/// The scheme, for the receiver (after Stripe's):
/// - The host sends `X-MPOS-Timestamp: <unix seconds>` and `X-MPOS-Signature: v1=<hex>`, where
///   `<hex>` is the lowercase hex of HMAC-SHA256(secret, "<timestamp>." ‖ raw body bytes).
/// - The receiver recomputes the HMAC over the *raw* body it received (before any JSON parsing),
///   compares in constant time, and refuses a timestamp more than 5 minutes from its own clock.
/// - Because the timestamp is inside the signed string, an attacker who captured a delivery cannot
///   replay it later with a fresh timestamp; within the tolerance window, replays carry the same
///   `Idempotency-Key` and are harmless to a receiver that honours it.
/// - "v1" names the scheme, so a later one can be introduced alongside it.
public enum WebhookSignature {
    /// The `X-MPOS-Signature` value for `body` sent at `timestamp` (unix seconds).
    public static func headerValue(body: [UInt8], timestamp: Int64, secret: WebhookSecret) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: signedBytes(body: body, timestamp: timestamp), using: secret.key)
        return "v1=" + mac.map { hexDigits[Int($0 >> 4)] + hexDigits[Int($0 & 0x0F)] }.joined()
    }

    /// Whether `headerValue` signs `body` at `timestamp` with `secret`, and `timestamp` is within
    /// `tolerance` seconds of `now` (either side, to allow for clock skew). The comparison is
    /// constant-time so response timing does not reveal how much of a forged MAC was right.
    public static func verify(headerValue: String, body: [UInt8], timestamp: Int64, secret: WebhookSecret,
                              now: Int64, tolerance: Int64 = 300) -> Bool {
        let (skew, overflow) = now.subtractingReportingOverflow(timestamp)
        guard !overflow, skew.magnitude <= tolerance.magnitude else { return false }
        guard headerValue.hasPrefix("v1="), let mac = decodeHex(headerValue.utf8.dropFirst(3)) else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: signedBytes(body: body, timestamp: timestamp),
                                                      using: secret.key)
    }

    /// "<timestamp>." ‖ body: the timestamp is signed so it cannot be swapped for a fresh one.
    static func signedBytes(body: [UInt8], timestamp: Int64) -> [UInt8] {
        Array("\(timestamp).".utf8) + body
    }

    private static let hexDigits = (0..<16).map { String($0, radix: 16) }
}

/// Hex digits (either case) to bytes; nil if odd-length or not hex.
private func decodeHex(_ digits: some Collection<UInt8>) -> [UInt8]? {
    guard digits.count.isMultiple(of: 2) else { return nil }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(digits.count / 2)
    var index = digits.startIndex
    while index != digits.endIndex {
        let next = digits.index(after: index)
        guard let high = hexValue(digits[index]), let low = hexValue(digits[next]) else { return nil }
        bytes.append(high << 4 | low)
        index = digits.index(after: next)
    }
    return bytes
}

private func hexValue(_ digit: UInt8) -> UInt8? {
    switch digit {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
    default: nil
    }
}
