import Foundation
import Testing
import MPOSHost
import MPOSWebhook

@Test func firstDelayIsBetweenOneAndTwoSecondsWithDefaults() {
    let policy = RetryPolicy()
    #expect(policy.delay(afterAttempt: 1, jitter: 0) == 1)
    #expect(policy.delay(afterAttempt: 1, jitter: 0.5) == 1.5)
    #expect(policy.delay(afterAttempt: 1, jitter: 0.999) < 2)
    #expect(policy.delay(afterAttempt: 0, jitter: 0) == 1)  // treated as the first
}

@Test func delaysGrowByTheMultiplierUpToTheCap() {
    let policy = RetryPolicy()
    #expect((1...5).map { policy.delay(afterAttempt: $0, jitter: 1) } == [2, 4, 8, 16, 32])
    #expect((1...5).map { policy.delay(afterAttempt: $0, jitter: 0) } == [1, 2, 4, 8, 16])
    #expect(policy.delay(afterAttempt: 12, jitter: 1) == 3600)  // 2 × 2^11 = 4096, capped
    #expect(policy.delay(afterAttempt: 12, jitter: 0) == 1800)
    #expect(policy.delay(afterAttempt: 5_000, jitter: 1) == 3600)  // pow overflows to infinity: still capped
    #expect(policy.delay(afterAttempt: 1, jitter: 7) == 2)  // jitter clamped
}

@Test func exhaustedAfterMaximumAttempts() {
    let policy = RetryPolicy(maximumAttempts: 3)
    #expect(!policy.isExhausted(attempts: 2))
    #expect(policy.isExhausted(attempts: 3))
    #expect(RetryPolicy().isExhausted(attempts: 10))
    #expect(!RetryPolicy().isExhausted(attempts: 9))
}

@Test func policyRoundTripsThroughJSON() throws {
    let policy = RetryPolicy(initialDelay: 5, multiplier: 3, maximumDelay: 600, maximumAttempts: 7)
    #expect(try JSONDecoder().decode(RetryPolicy.self, from: JSONEncoder().encode(policy)) == policy)
}
