import Testing
import MPOSHost
import MPOSWebhook

private let body = Array(#"{"reference":"000000123456"}"#.utf8)
private let timestamp: Int64 = 1_800_000_000

@Test func signatureVerifiesOnlyItsOwnBodyTimestampAndSecret() throws {
    let secret = try #require(WebhookSecret(bytes: Array(repeating: 0x42, count: 32)))
    let other = try #require(WebhookSecret(bytes: Array(repeating: 0x43, count: 32)))
    let header = WebhookSignature.headerValue(body: body, timestamp: timestamp, secret: secret)

    #expect(WebhookSignature.verify(headerValue: header, body: body, timestamp: timestamp, secret: secret, now: timestamp))
    var changed = body
    changed[changed.count - 2] ^= 1
    #expect(!WebhookSignature.verify(headerValue: header, body: changed, timestamp: timestamp, secret: secret, now: timestamp))
    #expect(!WebhookSignature.verify(headerValue: header, body: body, timestamp: timestamp + 1, secret: secret, now: timestamp))
    #expect(!WebhookSignature.verify(headerValue: header, body: body, timestamp: timestamp, secret: other, now: timestamp))
    #expect(!WebhookSignature.verify(headerValue: "v2" + header.dropFirst(2), body: body, timestamp: timestamp, secret: secret, now: timestamp))
    #expect(!WebhookSignature.verify(headerValue: String(header.dropLast(2)), body: body, timestamp: timestamp, secret: secret, now: timestamp))
    #expect(!WebhookSignature.verify(headerValue: "v1=zz", body: body, timestamp: timestamp, secret: secret, now: timestamp))
}

@Test func signatureRefusesStaleAndFarFutureTimestamps() throws {
    let secret = try #require(WebhookSecret(bytes: Array(repeating: 0x42, count: 32)))
    let header = WebhookSignature.headerValue(body: body, timestamp: timestamp, secret: secret)
    let verify = { (now: Int64) in
        WebhookSignature.verify(headerValue: header, body: body, timestamp: timestamp, secret: secret, now: now)
    }
    #expect(verify(timestamp + 300))
    #expect(!verify(timestamp + 301))
    #expect(verify(timestamp - 300))
    #expect(!verify(timestamp - 301))
    #expect(!verify(.min))
    #expect(WebhookSignature.verify(headerValue: header, body: body, timestamp: timestamp, secret: secret,
                                    now: timestamp + 3_000, tolerance: 3_600))
}

/// A fixed vector, so the receiver's implementation (in any language) can be checked against it:
/// python3 -c 'import hmac,hashlib; print(hmac.new(b"\x42"*32, b"1800000000." + BODY, hashlib.sha256).hexdigest())'
@Test func signatureMatchesAnIndependentHMAC() throws {
    let secret = try #require(WebhookSecret(hex: String(repeating: "42", count: 32)))
    #expect(WebhookSignature.headerValue(body: body, timestamp: timestamp, secret: secret)
            == "v1=f24f9a98e8f27655b63f91a1770f963ad802f35d44e9d1eeba74a8982f95b4d5")
}

@Test func secretNeedsThirtyTwoBytesOfHex() {
    #expect(WebhookSecret(bytes: Array(repeating: 1, count: 31)) == nil)
    #expect(WebhookSecret(bytes: Array(repeating: 1, count: 32)) != nil)
    #expect(WebhookSecret(hex: String(repeating: "ab", count: 31)) == nil)
    #expect(WebhookSecret(hex: String(repeating: "AB", count: 32)) != nil)
    #expect(WebhookSecret(hex: String(repeating: "a", count: 65)) == nil)
    #expect(WebhookSecret(hex: String(repeating: "zz", count: 32)) == nil)
}

@Test func secretNeverPrints() throws {
    let hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
    let secret = try #require(WebhookSecret(hex: hex))
    var dumped = ""
    dump(secret, to: &dumped)
    for text in [secret.description, "\(secret)", String(reflecting: secret), dumped] {
        #expect(!text.lowercased().contains("00112233"))
        #expect(!text.lowercased().contains("ccddeeff"))
        #expect(text.contains("redacted") || text.contains("WebhookSecret"))
    }
}
