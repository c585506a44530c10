import Foundation
import MPOSHost
import Testing

/// 2025-06-15T00:00:00Z.
private let today = Date(timeIntervalSince1970: 1_749_945_600)

private func document(_ typeCode: String, _ number: String, today: Date = today) throws -> IdentityDocument {
    try IdentityDocument(typeCode: typeCode, number: number, today: today)
}

private func canonical(_ typeCode: String, _ number: String) -> [UInt8] {
    Array("\(typeCode):\(number)".utf8)
}

// Check characters below were computed with an independent implementation of GB 11643-1999
// and cross-checked by hand against the standard's own example, 11010519491231002X:
// 1·7+1·9+0·10+1·5+0·8+5·4+1·2+9·1+4·6+9·3+1·7+2·9+3·10+1·5+0·8+0·4+2·2 = 167, 167 mod 11 = 2 → "X".

@Suite struct IdentityDocumentTypeTests {
    @Test func codesAndNames() {
        #expect(IdentityDocumentType.allCases.map(\.rawValue) == ["01", "02", "03", "04", "05"])
        #expect(IdentityDocumentType.residentIdentityCard.description == "PRC resident identity card")
        #expect(IdentityDocumentType.allCases.allSatisfy { !$0.description.isEmpty })
    }

    @Test func encodesAsTheTransmittedCode() throws {
        let data = try JSONEncoder().encode([IdentityDocumentType.passport])
        #expect(String(decoding: data, as: UTF8.self) == #"["02"]"#)
        #expect(try JSONDecoder().decode([IdentityDocumentType].self, from: data) == [.passport])
    }

    @Test(arguments: ["00", "06", "1", "", " 01", "01 ", "AA", "１"])
    func unknownTypeCodesAreRefused(_ code: String) {
        #expect(refusal { _ = try document(code, "E12345678") }?.code == .identityTypeUnknown)
    }
}

@Suite struct ResidentIdentityCardTests {
    @Test func acceptsTheStandardExample() throws {
        let doc = try document("01", "11010519491231002X")
        #expect(doc.type == .residentIdentityCard)
        #expect(doc.canonicalBytes == canonical("01", "11010519491231002X"))
    }

    @Test(arguments: [
        "510108199912310026", "44030419900307123X", "110105200002290013", // 2000 is a leap year
        "11010519000101001X", // earliest allowed year
        "830000199001010012", "710000199001010015", "810000199001010019",
    ])
    func acceptsOtherValidNumbers(_ number: String) throws {
        #expect(try document("01", number).canonicalBytes == canonical("01", number))
    }

    @Test func normalisesCaseAndSurroundingWhitespace() throws {
        let lower = try document("01", "11010519491231002x")
        let padded = try document("01", " \t11010519491231002X\r\n")
        let plain = try document("01", "11010519491231002X")
        #expect(lower == plain)
        #expect(padded == plain)
        #expect(lower.canonicalBytes == canonical("01", "11010519491231002X"))
    }

    @Test(arguments: ["11010519491231002X", "510108199912310026"])
    func everySingleCharacterChangeIsRefused(_ valid: String) {
        let original = Array(valid)
        let alphabet = Array("0123456789XxA -")
        for index in original.indices {
            for replacement in alphabet where replacement != original[index] {
                // Changing only the case of the check character is not a change.
                if index == 17, replacement.uppercased() == String(original[index]) { continue }
                var changed = original
                changed[index] = replacement
                let number = String(changed)
                #expect(
                    refusal { _ = try document("01", number) }?.code == .identityNumberInvalid,
                    "position \(index) -> \(replacement)"
                )
            }
        }
    }

    @Test func refusesFifteenDigitFirstGenerationCards() throws {
        let error = try #require(refusal { _ = try document("01", "110105491231002") })
        #expect(error.code == .identityNumberInvalid)
        #expect(error.message.contains("15-digit"))
    }

    @Test func birthDateMayBeTodayButNotTomorrow() {
        #expect(throws: Never.self) { try document("01", "110105202506150013") }
        #expect(refusal { _ = try document("01", "110105202506160019") }?.code == .identityNumberInvalid)
    }

    @Test func todayIsTheUTCCalendarDay() {
        // 2025-06-15T23:30Z is already 16 June in Beijing, but still 15 June in UTC.
        let lateEvening = Date(timeIntervalSince1970: 1_750_030_200)
        #expect(refusal { _ = try document("01", "110105202506160019", today: lateEvening) }?.code == .identityNumberInvalid)
        #expect(throws: Never.self) { try document("01", "110105202506160019", today: lateEvening.addingTimeInterval(1_800)) }
    }

    @Test(arguments: [
        "110105190002300019", // 30 February 1900
        "110105190002290017", // 1900 is not a leap year
        "110105202302290014", // 2023 is not a leap year
        "110105199013010018", // month 13
        "110105199001000015", // day 0
        "110105189912310015", // before 1900
    ])
    func refusesImpossibleBirthDates(_ number: String) throws {
        let error = try #require(refusal { _ = try document("01", number) })
        #expect(error.code == .identityNumberInvalid)
        #expect(error.message.contains("birth date"))
    }

    @Test(arguments: ["000105194912310016", "160105194912310010", "990105194912310015"])
    func refusesUnknownProvinceCodes(_ number: String) throws {
        let error = try #require(refusal { _ = try document("01", number) })
        #expect(error.code == .identityNumberInvalid)
        #expect(error.message.contains("province"))
    }

    @Test(arguments: [
        "", "11010519491231002", "11010519491231002X0", "110105 19491231002X", "110105-19491231002X",
        "11010519491231002Y", "1101051949123100２X", "１１０１０５１９４９１２３１００２X",
    ])
    func refusesMalformedNumbers(_ number: String) {
        #expect(refusal { _ = try document("01", number) }?.code == .identityNumberInvalid)
    }
}

@Suite struct OtherIdentityDocumentTests {
    @Test(arguments: ["E12345678", "G1234567", "12345", "A1B2C3D4E5F6G7H8J", "g1234567"])
    func acceptsPassports(_ number: String) throws {
        #expect(try document("02", number).canonicalBytes == canonical("02", number.uppercased()))
    }

    @Test(arguments: ["ABCDE", "1234", "A1B2C3D4E5F6G7H8J9", "E1234567!", "E 1234567", "É1234567", "E-1234567", ""])
    func refusesBadPassports(_ number: String) {
        #expect(refusal { _ = try document("02", number) }?.code == .identityNumberInvalid)
    }

    @Test(arguments: ["H12345678", "M12345678", "H1234567890", "M1234567890", "h12345678"])
    func acceptsHongKongMacauPermits(_ number: String) throws {
        #expect(try document("03", number).canonicalBytes == canonical("03", number.uppercased()))
    }

    @Test(arguments: ["H1234567", "H123456789", "H12345678901", "X12345678", "12345678", "HH2345678", "H1234567A", "", "H"])
    func refusesBadHongKongMacauPermits(_ number: String) {
        #expect(refusal { _ = try document("03", number) }?.code == .identityNumberInvalid)
    }

    @Test(arguments: ["12345678", "1234567890"])
    func acceptsTaiwanPermits(_ number: String) throws {
        #expect(try document("04", number).canonicalBytes == canonical("04", number))
    }

    @Test(arguments: ["1234567", "123456789", "12345678901", "T1234567", "1234567A", ""])
    func refusesBadTaiwanPermits(_ number: String) {
        #expect(refusal { _ = try document("04", number) }?.code == .identityNumberInvalid)
    }

    @Test(arguments: ["USA123456789012", "usa123456789012", "912345199001010013", "931100198506150024", "923456202506150013"])
    func acceptsForeignPermanentResidentCards(_ number: String) throws {
        #expect(try document("05", number).canonicalBytes == canonical("05", number.uppercased()))
    }

    @Test(arguments: [
        "US1123456789012",    // 2017 form: only two letters
        "USA12345678901A",    // 2017 form: letter among the digits
        "912345199001010014", // 2023 form: wrong check character
        "11010519491231002X", // 2023 form: must start with 9
        "912345202506160011", // 2023 form: born tomorrow
        "9123451990010100",   // neither length
        "",
    ])
    func refusesBadForeignPermanentResidentCards(_ number: String) {
        #expect(refusal { _ = try document("05", number) }?.code == .identityNumberInvalid)
    }
}

@Suite struct IdentityDocumentPrivacyTests {
    @Test(arguments: [
        ("01", "11010519491231002X"), ("02", "E12345678"), ("03", "H12345678"),
        ("04", "12345678"), ("05", "USA123456789012"),
    ])
    func renderingsShowTheTypeButNeverTheNumber(_ typeCode: String, _ number: String) throws {
        let doc = try document(typeCode, number)
        for text in renderings(doc) {
            #expect(!text.contains(number))
            #expect(!text.contains(String(number.suffix(4))))
            #expect(text.contains(doc.type.description) || text.contains("\(doc.type)"))
        }
        #expect(Mirror(reflecting: doc).children.map(\.label) == ["type"])
    }

    @Test(arguments: [
        ("01", "110105491231002"), ("01", "110105190002300019"), ("01", "11010519491231002Y"),
        ("01", "990105194912310015"), ("02", "ABCDEFGH"), ("03", "X12345678"), ("04", "123456789"),
        ("05", "912345199001010014"), ("09", "11010519491231002X"),
    ])
    func refusalsNeverContainTheNumber(_ typeCode: String, _ number: String) throws {
        let error = try #require(refusal { _ = try document(typeCode, number) })
        let characters = Array(number)
        for text in renderings(error) + [error.message] {
            // No run of 6 or more characters of the number appears in the message.
            for start in 0...(characters.count - 6) {
                #expect(!text.contains(String(characters[start..<(start + 6)])))
            }
        }
    }
}
