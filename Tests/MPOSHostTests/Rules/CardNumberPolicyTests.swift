import Foundation
import MPOSHost
import Testing

// MARK: - HostRuleError

@Suite struct HostRuleErrorTests {
    @Test func equalityAndHashUseTheCodeOnly() {
        let a = HostRuleError(.cardNumberInvalid, "one wording")
        let b = HostRuleError(.cardNumberInvalid, "another wording")
        #expect(a == b)
        #expect(Set([a, b]).count == 1)
        #expect(a != HostRuleError(.cardOutsideBINRanges, "one wording"))
    }

    @Test func descriptionIsCodeThenMessage() {
        #expect(String(describing: HostRuleError(.tariffNotOffered, "no such tariff")) == "rule.contract.tariff: no such tariff")
    }

    @Test func codesAreStable() {
        #expect(HostRuleError.Code.all.map(\.rawValue) == [
            "rule.card.number", "rule.card.bin", "rule.identity.type", "rule.identity.number",
            "rule.contract.carrier", "rule.contract.phone", "rule.contract.tariff",
        ])
    }
}

// MARK: - Luhn

@Suite struct LuhnTests {
    static let knownValid = [
        "4111111111111111", "79927398713", "4012888888881881", "5555555555554444",
        "378282246310005", "6011111111111117", "6225880000000001",
    ]

    @Test(arguments: knownValid)
    func knownNumbersAreValid(_ number: String) {
        #expect(Luhn.isValid(number))
    }

    @Test(arguments: knownValid)
    func everySingleDigitChangeIsRefused(_ number: String) {
        let digits = Array(number)
        for index in digits.indices {
            for replacement in "0123456789" where replacement != digits[index] {
                var changed = digits
                changed[index] = replacement
                #expect(!Luhn.isValid(String(changed)), "position \(index) -> \(replacement)")
            }
        }
    }

    @Test(arguments: ["", "4111 1111 1111 1111", "411111111111111a", "４１１１１１１１１１１１１１１１", "-0", "\u{0661}"])
    func nonDigitsAndEmptyAreInvalid(_ text: String) {
        #expect(!Luhn.isValid(text))
    }

    @Test func worksOnSubstrings() {
        let text = "card=79927398713;"
        let start = text.index(text.startIndex, offsetBy: 5)
        let end = text.index(text.startIndex, offsetBy: 16)
        #expect(Luhn.isValid(text[start..<end]))
    }

    @Test func checkDigitMatchesPublishedExamples() {
        #expect(Luhn.checkDigit(forPayload: "7992739871") == "3")
        #expect(Luhn.checkDigit(forPayload: "411111111111111") == "1")
        #expect(Luhn.checkDigit(forPayload: "622588000000000") == "1")
        #expect(Luhn.checkDigit(forPayload: "0") == "0")
    }

    @Test func checkDigitRefusesEmptyAndNonDigitPayloads() {
        #expect(Luhn.checkDigit(forPayload: "") == nil)
        #expect(Luhn.checkDigit(forPayload: "12a4") == nil)
        #expect(Luhn.checkDigit(forPayload: "１２") == nil)
    }

    @Test func appendingTheCheckDigitAlwaysGivesAValidNumber() throws {
        for length in 1...20 {
            for seed in 0..<10 {
                let payload = String((0..<length).map { Character(String(($0 * 7 + seed * 3 + length) % 10)) })
                let check = try #require(Luhn.checkDigit(forPayload: payload))
                #expect(Luhn.isValid(payload + String(check)))
            }
        }
    }
}

// MARK: - BINRange

@Suite struct BINRangeTests {
    @Test func acceptsWellFormedBounds() throws {
        let range = try BINRange(low: "621700", high: "621799")
        #expect(range.low == "621700")
        #expect(range.high == "621799")
        #expect(range.description == "621700...621799")
        #expect(throws: Never.self) { try BINRange(low: "622588", high: "622588") }
        #expect(throws: Never.self) { try BINRange(low: "62258800000", high: "62258899999") }
    }

    @Test(arguments: [
        ("62258", "62258"),             // too short
        ("622588000000", "622588000000"), // too long
        ("622588", "6225889"),          // different lengths
        ("622589", "622588"),           // low above high
        ("62258a", "622589"),           // non-digit
        ("６２２５８８", "６２２５８８"),     // full-width digits
        ("", ""),
        (" 622588", "622589 "),
    ])
    func refusesMalformedBounds(_ low: String, _ high: String) {
        #expect(refusal { _ = try BINRange(low: low, high: high) }?.code == .cardOutsideBINRanges)
    }

    @Test func boundariesAreInclusive() throws {
        let range = try BINRange(low: "621700", high: "621799")
        #expect(range.contains(cardDigits: "6217000000000006"))
        #expect(range.contains(cardDigits: "6217999999999997"))
        #expect(range.contains(cardDigits: "6217500000000000"))
        #expect(!range.contains(cardDigits: "6216999999999998"))
        #expect(!range.contains(cardDigits: "6218000000000005"))
    }

    @Test func longerPrefixesCompareAllTheirDigits() throws {
        let range = try BINRange(low: "62258810", high: "62258819")
        #expect(range.contains(cardDigits: "6225881000000000"))
        #expect(range.contains(cardDigits: "6225881999999999"))
        #expect(!range.contains(cardDigits: "6225880999999999"))
        #expect(!range.contains(cardDigits: "6225882000000000"))
    }

    @Test func shortOrNonDigitCardsDoNotMatch() throws {
        let range = try BINRange(low: "622588", high: "622588")
        #expect(!range.contains(cardDigits: "62258"))
        #expect(!range.contains(cardDigits: ""))
        #expect(!range.contains(cardDigits: "62258a0000000000"))
        #expect(range.contains(cardDigits: "622588"))
    }

    @Test func codableRoundTrip() throws {
        let range = try BINRange(low: "623000", high: "623999")
        let data = try JSONEncoder().encode(range)
        #expect(try JSONDecoder().decode(BINRange.self, from: data) == range)
    }

    @Test(arguments: [
        #"{"low":"62258","high":"62258"}"#,
        #"{"low":"622589","high":"622588"}"#,
        #"{"low":"6225880","high":"622588"}"#,
        #"{"low":"62258a","high":"622589"}"#,
        #"{"low":"622588"}"#,
        #"{"low":622588,"high":622588}"#,
        #"[]"#,
    ])
    func decodingRevalidates(_ json: String) {
        #expect(throws: (any Error).self) { try JSONDecoder().decode(BINRange.self, from: Data(json.utf8)) }
    }
}

// MARK: - CardNumberPolicy

@Suite struct CardNumberPolicyTests {
    let policy = CardNumberPolicy.demonstration

    @Test(arguments: [
        "6225880000000001",      // 16 digits, test BIN
        "622588000001",          // 12 digits, shortest allowed
        "6225880000000000002",   // 19 digits, longest allowed
        "6217000000000006",      // low edge of 621700...621799
        "6217999999999997",      // high edge
        "6230000000000009",
        "6239990000000002",
    ])
    func acceptsValidCardsInRange(_ card: String) {
        #expect(throws: Never.self) { try policy.check(card) }
    }

    @Test func refusesWrongLengths() throws {
        let eleven = "62258800000" // 11 digits, Luhn-valid with any check digit? make it valid to isolate length
        let elevenValid = try #require(Luhn.checkDigit(forPayload: String(eleven.dropLast()))).description
        #expect(refusal { try policy.check(String(eleven.dropLast()) + elevenValid) }?.code == .cardNumberInvalid)
        let twentyPayload = "6225880000000000000"
        let twentyCheck = try #require(Luhn.checkDigit(forPayload: twentyPayload))
        let twenty = twentyPayload + String(twentyCheck)
        #expect(twenty.count == 20 && Luhn.isValid(twenty))
        #expect(refusal { try policy.check(twenty) }?.code == .cardNumberInvalid)
        #expect(refusal { try policy.check("") }?.code == .cardNumberInvalid)
    }

    @Test(arguments: [
        "6225 8800 0000 0001", "622588000000000a", "６２２５８８００００００００１", "-622588000000001", " 6225880000000001",
    ])
    func refusesNonDigits(_ card: String) {
        #expect(refusal { try policy.check(card) }?.code == .cardNumberInvalid)
    }

    @Test func refusesLuhnFailures() {
        for last in "023456789" {
            #expect(refusal { try policy.check("622588000000000" + String(last)) }?.code == .cardNumberInvalid)
        }
    }

    @Test(arguments: [
        "4111111111111111", "6216999999999998", "6218000000000005", "6225879999999991",
        "6225890000000000", "6229999999999993", "6240000000000007",
    ])
    func refusesValidCardsOutsideRanges(_ card: String) {
        #expect(Luhn.isValid(card))
        #expect(refusal { try policy.check(card) }?.code == .cardOutsideBINRanges)
    }

    @Test func emptyRangeListAcceptsNoCard() {
        let closed = CardNumberPolicy(binRanges: [])
        #expect(refusal { try closed.check("6225880000000001") }?.code == .cardOutsideBINRanges)
        #expect(refusal { try closed.check("4111111111111111") }?.code == .cardOutsideBINRanges)
    }

    @Test func demonstrationRangesAreTheDocumentedOnesAndValid() throws {
        #expect(policy.binRanges.map(\.description) == ["622588...622588", "621700...621799", "623000...623999"])
        for range in policy.binRanges {
            #expect(try BINRange(low: range.low, high: range.high) == range)
        }
    }

    @Test func codableRoundTrip() throws {
        let data = try JSONEncoder().encode(policy)
        #expect(try JSONDecoder().decode(CardNumberPolicy.self, from: data) == policy)
    }

    @Test func decodingRefusesAnInvalidNestedRange() {
        let json = #"{"binRanges":[{"low":"622588","high":"622588"},{"low":"621799","high":"621700"}]}"#
        #expect(throws: (any Error).self) { try JSONDecoder().decode(CardNumberPolicy.self, from: Data(json.utf8)) }
    }

    @Test(arguments: ["6225880000000002", "4111111111111111", "622588000000000a", "62258800000000000000"])
    func refusalsNeverContainTheCardNumber(_ card: String) throws {
        let error = try #require(refusal { try policy.check(card) })
        for text in renderings(error) + [error.message] {
            #expect(!text.contains(card))
            #expect(!text.contains(String(card.prefix(6))))
        }
    }
}
