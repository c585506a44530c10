import Foundation
import HTTPTypes
import HummingbirdOTP
import HummingbirdTesting
@testable import MPOSAdminAPI
import MPOSHost
import Testing

@Suite("Admin API: the second factor (TOTP)", .timeLimit(.minutes(3)))
struct SecondFactorTests {
    /// RFC 6238 Appendix B, SHA-1 rows: the ASCII secret "12345678901234567890", 8 digits.
    @Test("TOTP matches RFC 6238's test vectors", arguments: [
        (59, "94287082"), (1_111_111_109, "07081804"), (1_111_111_111, "14050471"), (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"), (20_000_000_000, "65353130"),
    ] as [(Int64, String)])
    func rfc6238(time: Int64, expected: String) {
        let secret = Array("12345678901234567890".utf8)
        #expect(OneTimeCode.code(secret: secret, step: OneTimeCode.step(at: Date(timeIntervalSince1970: TimeInterval(time))), digits: 8) == expected)
    }

    @Test("TOTP agrees with hummingbird-auth's implementation on random secrets and times")
    func crossCheck() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let secret = String((0..<32).map { _ in Character(UnicodeScalar(UInt8.random(in: 0x41...0x5A, using: &generator))) })
            let date = Date(timeIntervalSince1970: TimeInterval(Int64.random(in: 0...4_000_000_000, using: &generator)))
            let theirs = TOTP(secret: secret).compute(date: date)
            #expect(OneTimeCode.code(secret: Array(secret.utf8), step: OneTimeCode.step(at: date)) == String(format: "%06d", theirs))
        }
    }

    @Test("base32 as RFC 4648 §10 gives it (unpadded), both ways")
    func base32() {
        for (text, encoded) in [("", ""), ("f", "MY"), ("fo", "MZXQ"), ("foo", "MZXW6"), ("foob", "MZXW6YQ"), ("fooba", "MZXW6YTB"), ("foobar", "MZXW6YTBOI")] {
            #expect(OneTimeCode.base32(Array(text.utf8)) == encoded)
            #expect(OneTimeCode.bytes(base32: encoded) == Array(text.utf8))
        }
        #expect(OneTimeCode.bytes(base32: "MZ1") == nil)
    }

    @Test("replacing a confirmed second factor needs its current code, and the old one holds until the new one is confirmed")
    func replacing() async throws {
        let clock = ManualClock()
        let harness = try await AdminHarness.make(clock: clock)
        let token = try await harness.token(.viewer, name: "fay")
        try await harness.test { client in
            struct Enrollment: Decodable { let secret: String }
            let first = try #require(OneTimeCode.bytes(base32: try await client.call(.post, "/api/v1/session/second-factor", token: token, json: "{}").decode(Enrollment.self).secret))
            func code(_ secret: [UInt8]) -> String { OneTimeCode.code(secret: secret, step: OneTimeCode.step(at: clock.now)) }
            #expect(try await client.call(.post, "/api/v1/session/second-factor/confirm", token: token, json: #"{"code": "\#(code(first))"}"#).status == .noContent)
            clock.advance(30)
            let without = try await client.call(.post, "/api/v1/session/second-factor", token: token, json: "{}")
            #expect(without.status == .unauthorized && without.code == "host.auth.second-factor")
            let second = try #require(OneTimeCode.bytes(base32: try await client.call(.post, "/api/v1/session/second-factor", token: token,
                                                                                        json: #"{"current_code": "\#(code(first))"}"#).decode(Enrollment.self).secret))
            clock.advance(30)
            // Not confirmed yet: the first factor still signs in, the second does not.
            let withSecond = try await client.call(.post, "/api/v1/session", json: #"{"name": "fay", "password": "\#(AdminHarness.password)", "one_time_code": "\#(code(second))"}"#)
            #expect(withSecond.status == .unauthorized)
            clock.advance(30)
            let withFirst = try await client.call(.post, "/api/v1/session", json: #"{"name": "fay", "password": "\#(AdminHarness.password)", "one_time_code": "\#(code(first))"}"#)
            #expect(withFirst.status == .created)
            #expect(try await client.call(.post, "/api/v1/session/second-factor/confirm", token: token, json: #"{"code": "\#(code(second))"}"#).status == .noContent)
            clock.advance(30)
            let oldNow = try await client.call(.post, "/api/v1/session", json: #"{"name": "fay", "password": "\#(AdminHarness.password)", "one_time_code": "\#(code(first))"}"#)
            #expect(oldNow.status == .unauthorized)
        }
        try await harness.close()
    }

    @Test("with a second factor, sign-in needs the current code, a code works once, and an administrator can remove it")
    func flow() async throws {
        let clock = ManualClock()
        let harness = try await AdminHarness.make(clock: clock)
        let admin = try await harness.token(.administrator, name: "root")
        let alice = try await harness.token(.auditor, name: "alice")
        try await harness.test { client in
            let begun = try await client.call(.post, "/api/v1/session/second-factor", token: alice, json: "{}")
            #expect(begun.status == .created)
            struct Enrollment: Decodable { let secret: String; let authenticatorUrl: String }
            let enrollment = try begun.decode(Enrollment.self)
            #expect(enrollment.authenticatorUrl.hasPrefix("otpauth://totp/mpos:alice?secret="))
            let secret = try #require(OneTimeCode.bytes(base32: enrollment.secret))
            #expect(secret.count == 20)
            #expect(enrollment.authenticatorUrl.contains("secret=\(enrollment.secret)&"))
            func code(_ offset: Int64 = 0) -> String { OneTimeCode.code(secret: secret, step: OneTimeCode.step(at: clock.now) + offset) }

            // Not yet confirmed: the password alone still signs in.
            #expect(try await AuthenticationTests.logIn(client, "alice").status == .created)
            let wrong = try await client.call(.post, "/api/v1/session/second-factor/confirm", token: alice, json: #"{"code": "000000"}"#)
            #expect(wrong.status == .unprocessableContent || code() == "000000")
            #expect(try await client.call(.post, "/api/v1/session/second-factor/confirm", token: alice, json: #"{"code": "\#(code())"}"#).status == .noContent)

            let noCode = try await AuthenticationTests.logIn(client, "alice")
            #expect(noCode.status == .unauthorized && noCode.code == "host.auth.second-factor")
            // The code used to confirm is spent; the next step's is good, once.
            clock.advance(30)
            let body = #"{"name": "alice", "password": "\#(AdminHarness.password)", "one_time_code": "\#(code())"}"#
            #expect(try await client.call(.post, "/api/v1/session", json: body).status == .created)
            let replay = try await client.call(.post, "/api/v1/session", json: body)
            #expect(replay.status == .unauthorized && replay.code == "host.auth.unauthenticated")
            let wrongPassword = #"{"name": "alice", "password": "wrong password!", "one_time_code": "\#(code(1))"}"#
            #expect(try await client.call(.post, "/api/v1/session", json: wrongPassword).code == "host.auth.unauthenticated")
            let user = try await client.call(.get, "/api/v1/users/alice", token: admin).decode(UserView.self)
            #expect(user.secondFactor && user.failedLogins == 2)

            // A lost phone: the administrator removes the second factor.
            #expect(try await client.call(.delete, "/api/v1/users/alice/second-factor", token: admin).status == .ok)
            #expect(try await AuthenticationTests.logIn(client, "alice").status == .created)
        }
        let events = try await harness.administration.auditTail(100)
        #expect(events.contains { $0.event == "admin.login" && $0.details.contains("wrong one-time code") })
        #expect(events.contains { $0.event == "admin.second-factor.clear" && $0.actor == "user:root (administrator)" })
        try await harness.close()
    }

    @Test("a sealed secret moved to another person's row opens for no code")
    func boundToItsPerson() async throws {
        let clock = ManualClock()
        let harness = try await AdminHarness.make(clock: clock)
        let alice = try await harness.token(.viewer, name: "alice")
        let bob = try await harness.token(.viewer, name: "bob")
        let store = harness.store
        try await harness.test { client in
            struct Enrollment: Decodable { let secret: String }
            var secrets: [String: [UInt8]] = [:]
            for (name, token) in [("alice", alice), ("bob", bob)] {
                let secret = try #require(OneTimeCode.bytes(base32: try await client.call(.post, "/api/v1/session/second-factor", token: token, json: "{}").decode(Enrollment.self).secret))
                secrets[name] = secret
                let code = OneTimeCode.code(secret: secret, step: OneTimeCode.step(at: clock.now))
                #expect(try await client.call(.post, "/api/v1/session/second-factor/confirm", token: token, json: #"{"code": "\#(code)"}"#).status == .noContent)
            }
            // Bob's row gets Alice's sealed secret, as someone with the database could do.
            try await store.transaction { tx in
                let a = try #require(try await tx.adminUser(name: "alice")), b = try #require(try await tx.adminUser(name: "bob"))
                var swapped = b
                swapped.totpSecretBlock = a.totpSecretBlock
                swapped.totpLastStep = nil
                try await tx.updateAdminUser(swapped)
            }
            clock.advance(60)
            let aliceCode = OneTimeCode.code(secret: try #require(secrets["alice"]), step: OneTimeCode.step(at: clock.now))
            let answer = try await client.call(.post, "/api/v1/session", json: #"{"name": "bob", "password": "\#(AdminHarness.password)", "one_time_code": "\#(aliceCode)"}"#)
            #expect(answer.status == .unauthorized && answer.code == "host.auth.unauthenticated")
            // Alice's own row still opens.
            let own = try await client.call(.post, "/api/v1/session", json: #"{"name": "alice", "password": "\#(AdminHarness.password)", "one_time_code": "\#(aliceCode)"}"#)
            #expect(own.status == .created)
        }
        try await harness.close()
    }
}
