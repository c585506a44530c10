/// Decimal digit strings (PINs, card numbers) as digit values 0...9, ASCII only.
enum DecimalDigits {
    /// The digit values, or nil if `text` has a character other than 0-9 or is longer than
    /// `maximumCount` (checked while reading, so a huge input costs nothing).
    static func parse(_ text: String, maximumCount: Int) -> [UInt8]? {
        var digits: [UInt8] = []
        digits.reserveCapacity(maximumCount)
        for c in text.utf8 {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c), digits.count < maximumCount else { return nil }
            digits.append(c - UInt8(ascii: "0"))
        }
        return digits
    }

    static func text(_ digits: [UInt8]) -> String {
        String(decoding: digits.map { $0 + UInt8(ascii: "0") }, as: UTF8.self)
    }
}
