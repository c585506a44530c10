public import Foundation

/// Identity document types, with the two-digit codes as transmitted by terminals.
public enum IdentityDocumentType: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    /// PRC resident identity card (居民身份证), number per GB 11643-1999.
    case residentIdentityCard = "01"
    case passport = "02"
    /// Mainland travel permit for Hong Kong and Macao residents (港澳居民来往内地通行证).
    case mainlandTravelPermitHongKongMacau = "03"
    /// Mainland travel permit for Taiwan residents (台湾居民来往大陆通行证).
    case mainlandTravelPermitTaiwan = "04"
    /// Foreign permanent resident ID card (外国人永久居留身份证).
    case foreignPermanentResidentCard = "05"

    public var description: String {
        switch self {
        case .residentIdentityCard: "PRC resident identity card"
        case .passport: "passport"
        case .mainlandTravelPermitHongKongMacau: "mainland travel permit for Hong Kong and Macao residents"
        case .mainlandTravelPermitTaiwan: "mainland travel permit for Taiwan residents"
        case .foreignPermanentResidentCard: "foreign permanent resident ID card"
        }
    }
}

/// A validated identity document.
///
/// The number is personal data: `description`, `debugDescription` and the reflection mirror
/// (used by `dump`, debuggers and string interpolation) show only the type, so logging a value
/// cannot leak it. The number leaves the module only through `canonicalBytes`, for hashing or signing.
public struct IdentityDocument: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public let type: IdentityDocumentType
    /// Surrounding whitespace removed and ASCII letters upper-cased. Internal on purpose (see type doc).
    let normalizedNumber: String

    /// Validates `number` against the rules for `typeCode`.
    ///
    /// - Parameter today: the current instant; birth dates are compared with its UTC calendar day,
    ///   so the result does not depend on the host's time zone.
    /// - Throws: `.identityTypeUnknown` for an unknown type code, otherwise `.identityNumberInvalid`
    ///   with a message naming the broken rule (never the number or any of its characters).
    public init(typeCode: String, number: String, today: Date) throws(HostRuleError) {
        guard let type = IdentityDocumentType(rawValue: typeCode) else {
            throw HostRuleError(.identityTypeUnknown, "identity document type code is not one of 01 to 05")
        }
        let bytes = Self.normalize(number)
        switch type {
        case .residentIdentityCard: try Self.checkResidentIdentityCard(bytes, today: today)
        case .passport: try Self.checkPassport(bytes)
        case .mainlandTravelPermitHongKongMacau: try Self.checkHongKongMacauPermit(bytes)
        case .mainlandTravelPermitTaiwan: try Self.checkTaiwanPermit(bytes)
        case .foreignPermanentResidentCard: try Self.checkForeignPermanentResidentCard(bytes, today: today)
        }
        self.type = type
        self.normalizedNumber = String(decoding: bytes, as: UTF8.self)
    }

    /// Stable bytes identifying the document, `"<type code>:<normalised number>"` in UTF-8.
    public var canonicalBytes: [UInt8] {
        Array("\(type.rawValue):\(normalizedNumber)".utf8)
    }

    public var description: String {
        "IdentityDocument(\(type.rawValue) \(type))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["type": type], displayStyle: .struct)
    }
}

// MARK: - Rules

extension IdentityDocument {
    /// Strips surrounding ASCII whitespace and upper-cases ASCII letters. Inner characters are
    /// kept as they are so that a number with spaces or hyphens is refused, not silently rewritten.
    /// Byte-level edits are safe for UTF-8: they touch only ASCII bytes, never parts of multi-byte sequences.
    private static func normalize(_ number: String) -> [UInt8] {
        var bytes = Array(number.utf8)
        while let last = bytes.last, isASCIIWhitespace(last) { bytes.removeLast() }
        let leading = bytes.prefix(while: isASCIIWhitespace).count
        bytes.removeFirst(leading)
        return bytes.map { (0x61...0x7A).contains($0) ? $0 - 0x20 : $0 }
    }

    private static func invalid(_ message: String) -> HostRuleError {
        HostRuleError(.identityNumberInvalid, message)
    }

    /// GB 11643-1999: 6-digit region code, 8-digit birth date, 3-digit sequence, MOD 11-2 check character.
    ///
    /// The older 15-digit card is refused: it has no check character, so typos cannot be caught,
    /// and all such cards stopped being valid on 1 January 2013.
    private static func checkResidentIdentityCard(_ bytes: [UInt8], today: Date) throws(HostRuleError) {
        if bytes.count == 15, bytes.allSatisfy(isASCIIDigit) {
            throw invalid("15-digit first-generation resident identity card numbers are not accepted (no check character; expired since 2013)")
        }
        guard bytes.count == 18 else {
            throw invalid("resident identity card number must be 18 characters long")
        }
        try checkMod11_2Number(bytes, today: today, documentName: "resident identity card number")
        let province = twoDigitValue(bytes[0], bytes[1])
        guard provinceCodes.contains(province) else {
            throw invalid("resident identity card number does not start with a province-level region code")
        }
    }

    /// Province-level region codes of GB/T 2260 (71 Taiwan, 81 Hong Kong, 82 Macao, 83 for
    /// numbers issued to Taiwan residents) that may begin a resident identity card number.
    private static let provinceCodes: Set<Int> = Set(
        Array(11...15) + Array(21...23) + Array(31...37) + Array(41...46) + Array(50...54)
            + Array(61...65) + [71, 81, 82, 83]
    )

    /// ICAO 9303 allows letters and digits; 5...17 covers the issuing states in use and a digit is
    /// always present in real passport numbers, which rejects names typed into the wrong field.
    private static func checkPassport(_ bytes: [UInt8]) throws(HostRuleError) {
        guard (5...17).contains(bytes.count) else {
            throw invalid("passport number must be 5 to 17 characters long")
        }
        guard bytes.allSatisfy({ isASCIIDigit($0) || isASCIIUpperLetter($0) }) else {
            throw invalid("passport number may contain only letters A-Z and digits 0-9")
        }
        guard bytes.contains(where: isASCIIDigit) else {
            throw invalid("passport number must contain at least one digit")
        }
    }

    /// "H" (Hong Kong) or "M" (Macao), then 8 digits (older permits) or 10 digits (current permits).
    private static func checkHongKongMacauPermit(_ bytes: [UInt8]) throws(HostRuleError) {
        guard let first = bytes.first, first == UInt8(ascii: "H") || first == UInt8(ascii: "M") else {
            throw invalid("Hong Kong/Macao permit number must start with H or M")
        }
        let rest = bytes.dropFirst()
        guard rest.count == 8 || rest.count == 10, rest.allSatisfy(isASCIIDigit) else {
            throw invalid("Hong Kong/Macao permit number must be H or M followed by 8 or 10 digits")
        }
    }

    /// 8 digits (older permits) or 10 digits (current permits).
    private static func checkTaiwanPermit(_ bytes: [UInt8]) throws(HostRuleError) {
        guard bytes.count == 8 || bytes.count == 10, bytes.allSatisfy(isASCIIDigit) else {
            throw invalid("Taiwan permit number must be 8 or 10 digits")
        }
    }

    /// The 2017 card: 3-letter nationality code and 12 digits. The 2023 card: 18 characters in the
    /// resident identity card layout, starting with 9, with birth date and MOD 11-2 check character.
    private static func checkForeignPermanentResidentCard(_ bytes: [UInt8], today: Date) throws(HostRuleError) {
        switch bytes.count {
        case 15:
            guard bytes.prefix(3).allSatisfy(isASCIIUpperLetter), bytes.dropFirst(3).allSatisfy(isASCIIDigit) else {
                throw invalid("15-character foreign permanent resident card number must be 3 letters followed by 12 digits")
            }
        case 18:
            guard bytes[0] == UInt8(ascii: "9") else {
                throw invalid("18-character foreign permanent resident card number must start with 9")
            }
            try checkMod11_2Number(bytes, today: today, documentName: "foreign permanent resident card number")
        default:
            throw invalid("foreign permanent resident card number must be 15 or 18 characters long")
        }
    }

    /// Shared 18-character layout: 17 digits, a check character (0-9 or X) per ISO 7064 MOD 11-2,
    /// and a birth date in characters 7-14.
    private static func checkMod11_2Number(_ bytes: [UInt8], today: Date, documentName: String) throws(HostRuleError) {
        let body = bytes.prefix(17)
        guard body.count == 17, body.allSatisfy(isASCIIDigit) else {
            throw invalid("\(documentName): the first 17 characters must be digits")
        }
        let check = bytes[17]
        guard isASCIIDigit(check) || check == UInt8(ascii: "X") else {
            throw invalid("\(documentName): the check character must be a digit or X")
        }
        guard check == mod11_2CheckCharacter(body) else {
            throw invalid("\(documentName): the check character does not match (ISO 7064 MOD 11-2)")
        }
        try checkBirthDate(bytes[6..<14], today: today, documentName: documentName)
    }

    private static let mod11_2Weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    private static let mod11_2Characters = Array("10X98765432".utf8)

    /// GB 11643-1999 check character for 17 ASCII digits.
    private static func mod11_2CheckCharacter(_ digits: ArraySlice<UInt8>) -> UInt8 {
        var sum = 0
        for (digit, weight) in zip(digits, mod11_2Weights) {
            sum += Int(digit &- 0x30) * weight
        }
        return mod11_2Characters[sum % 11]
    }

    /// YYYYMMDD must be a real Gregorian date, no earlier than 1900 and not after today's UTC date.
    private static func checkBirthDate(_ digits: ArraySlice<UInt8>, today: Date, documentName: String) throws(HostRuleError) {
        let values = digits.map { Int($0 &- 0x30) }
        let year = values[0] * 1000 + values[1] * 100 + values[2] * 10 + values[3]
        let month = values[4] * 10 + values[5]
        let day = values[6] * 10 + values[7]
        guard year >= 1900 else {
            throw invalid("\(documentName): the birth date is before 1900")
        }
        guard (1...12).contains(month), (1...daysInMonth(month, year: year)).contains(day) else {
            throw invalid("\(documentName): the birth date is not a real calendar date")
        }
        guard year * 10000 + month * 100 + day <= utcDateNumber(today) else {
            throw invalid("\(documentName): the birth date is in the future")
        }
    }

    private static func daysInMonth(_ month: Int, year: Int) -> Int {
        switch month {
        case 2:
            let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
            return leap ? 29 : 28
        case 4, 6, 9, 11:
            return 30
        default:
            return 31
        }
    }

    /// `date`'s UTC calendar day as YYYYMMDD, computed arithmetically (proleptic Gregorian,
    /// H. Hinnant's civil-from-days) so it needs no Calendar or time-zone lookup. The day count is
    /// clamped to avoid overflow; a NaN date maps to the far past, so every birth date is refused.
    private static func utcDateNumber(_ date: Date) -> Int {
        let seconds = date.timeIntervalSince1970
        let limit = 1_000_000_000.0
        let days = seconds.isNaN ? -Int(limit) : Int(min(max((seconds / 86_400).rounded(.down), -limit), limit))
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return year * 10_000 + month * 100 + day
    }
}

private func twoDigitValue(_ tens: UInt8, _ ones: UInt8) -> Int {
    Int(tens &- 0x30) * 10 + Int(ones &- 0x30)
}

private func isASCIIDigit(_ byte: UInt8) -> Bool {
    (0x30...0x39).contains(byte)
}

private func isASCIIUpperLetter(_ byte: UInt8) -> Bool {
    (0x41...0x5A).contains(byte)
}

/// Space, tab, line feed, vertical tab, form feed, carriage return.
private func isASCIIWhitespace(_ byte: UInt8) -> Bool {
    byte == 0x20 || (0x09...0x0D).contains(byte)
}
