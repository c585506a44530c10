/// Upper-case hexadecimal, the notation of key check values, key blocks and test vectors.
public enum Hex {
    private static let digits = Array("0123456789ABCDEF".utf8)

    public static func encode<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes upper- or lower-case hex. The error names the problem, never the input.
    public static func decode(_ text: some StringProtocol) throws(MPOSCryptoError) -> [UInt8] {
        try decode(utf8: Array(text.utf8))
    }

    /// - Parameter upperCaseOnly: refuse `a`-`f`, for formats whose text must be canonical
    ///   (a key block has exactly one spelling).
    static func decode<C: Collection<UInt8>>(utf8: C, upperCaseOnly: Bool = false) throws(MPOSCryptoError) -> [UInt8] {
        guard utf8.count % 2 == 0 else {
            throw MPOSCryptoError(.invalidHex, "hex text has an odd number of characters")
        }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        var high: UInt8? = nil
        for character in utf8 {
            guard let nibble = nibble(character), !upperCaseOnly || character < UInt8(ascii: "a") else {
                throw MPOSCryptoError(.invalidHex, "hex text contains a character that is not 0-9 or A-F")
            }
            if let h = high {
                out.append(h << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return out
    }

    @inline(__always)
    static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        default: return nil
        }
    }
}
