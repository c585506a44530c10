import Testing
@testable import ISO8583

/// A specification exercising every layout and content type, primary and secondary fields.
let testSpecification = MessageSpecification([
    FieldSpecification(2, "PAN", .llvar(maximum: 19), .numeric),
    FieldSpecification(3, "Processing code", .fixed(6), .numeric),
    FieldSpecification(11, "STAN", .fixed(6), .numeric),
    FieldSpecification(39, "Response code", .fixed(2), .alphanumericSpecial),
    FieldSpecification(41, "Terminal ID", .fixed(8), .alphanumericSpecial),
    FieldSpecification(48, "Additional data", .lllvar(maximum: 999), .alphanumericSpecial),
    FieldSpecification(52, "PIN block", .fixed(16), .binary),
    FieldSpecification(62, "Private binary", .lllvar(maximum: 512), .binary),
    FieldSpecification(64, "MAC", .fixed(16), .binary),
    FieldSpecification(70, "Network management code", .fixed(3), .numeric),
    FieldSpecification(100, "Private LLVAR text", .llvar(maximum: 11), .alphanumericSpecial),
    FieldSpecification(128, "MAC (secondary)", .fixed(16), .binary),
])

let codec = ISO8583Codec(specification: testSpecification)

@Suite("ISO 8583 codec")
struct ISO8583CodecTests {
    @Test("a sign-on-shaped message encodes to exactly the expected bytes and back")
    func knownEncoding() throws {
        var message = ISO8583Message(mti: MessageTypeIndicator("0800")!)
        message.setText(11, "000123")
        message.setText(41, "TERM0001")
        message.setText(70, "001")
        let bytes = try codec.encode(message)
        // MTI, bitmap with bit 1 (secondary), 11 and 41; secondary with bit 70.
        let expected = Array("0800".utf8)
            + [0x80, 0x20, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00]
            + [0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00]
            + Array("000123TERM0001001".utf8)
        #expect(bytes == expected)
        #expect(try codec.decode(bytes) == message)
    }

    @Test("variable-length fields carry ASCII length prefixes")
    func lengthPrefixes() throws {
        var message = ISO8583Message(mti: MessageTypeIndicator("0200")!)
        message.setText(2, "4367123412341234126")
        message.setText(48, "carrier=1")
        message[62] = [0x00, 0xFF]
        let bytes = try codec.encode(message)
        #expect(bytes == Array("0200".utf8) + [0x40, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x04] + Array("194367123412341234126009carrier=1002".utf8) + [0x00, 0xFF])
        #expect(try codec.decode(bytes) == message)
    }

    @Test("random messages round-trip, and every decoded message re-encodes to its input")
    func randomRoundTrips() throws {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let message = randomMessage(&rng)
            let bytes = try codec.encode(message)
            let decoded = try codec.decode(bytes)
            #expect(decoded == message)
            #expect(try codec.encode(decoded) == bytes)
        }
    }

    @Test("encoding refuses what the specification does not allow")
    func encodingValidation() {
        func expectError(_ code: ISO8583Error.Code, field: Int, _ build: (inout ISO8583Message) -> Void) {
            var message = ISO8583Message(mti: MessageTypeIndicator("0200")!)
            build(&message)
            #expect(throws: ISO8583Error(code, field: field, "")) { try codec.encode(message) }
        }
        expectError(.unknownField, field: 5) { $0.setText(5, "1") }
        expectError(.invalidLength, field: 3) { $0.setText(3, "12345") }
        expectError(.invalidLength, field: 2) { $0.setText(2, String(repeating: "1", count: 20)) }
        expectError(.invalidCharacter, field: 2) { $0.setText(2, "43671234123412341A") }
        expectError(.invalidCharacter, field: 41) { $0.setText(41, "TERM\u{7F}001") }
        expectError(.invalidLength, field: 52) { $0[52] = [UInt8](repeating: 0, count: 8) }
    }

    @Test("decoding errors name the field and never echo its content")
    func decodingErrors() throws {
        var message = ISO8583Message(mti: MessageTypeIndicator("0200")!)
        message.setText(2, "4367123412341234126")
        message.setText(41, "TERM0001")
        let good = try codec.encode(message)
        let panStart = 4 + 8 + 2

        var badCharacter = good
        badCharacter[panStart + 3] = UInt8(ascii: "X")
        expectDecodeError(badCharacter, .invalidCharacter, field: 2)

        var badPrefix = good
        badPrefix[panStart - 1] = UInt8(ascii: "Z")
        expectDecodeError(badPrefix, .invalidLengthPrefix, field: 2)

        var tooLong = good
        tooLong.replaceSubrange((panStart - 2)..<panStart, with: Array("20".utf8))
        expectDecodeError(tooLong, .invalidLength, field: 2)

        expectDecodeError(Array(good.dropLast()), .truncated, field: 41)
        expectDecodeError(good + [0x30], .trailingBytes, field: nil)
        expectDecodeError(Array("08A0".utf8) + good.dropFirst(4), .invalidMTI, field: 0)
        expectDecodeError(Array(good.prefix(7)), .truncated, field: 1)

        var unknown = good
        unknown[4] |= 0x08  // bit 5: not in the specification
        expectDecodeError(unknown, .unknownField, field: 5)

        var secondaryEmpty = good
        secondaryEmpty[4] |= 0x80
        secondaryEmpty.insert(contentsOf: [UInt8](repeating: 0, count: 8), at: 12)
        expectDecodeError(secondaryEmpty, .invalidBitmap, field: 1)

        var tertiary = secondaryEmpty
        tertiary[12] = 0x80  // bit 65
        expectDecodeError(tertiary, .invalidBitmap, field: 1)

        do {
            _ = try codec.decode(badCharacter)
        } catch {
            #expect(!error.description.contains("4367"), "the error must not echo the card number")
        }
    }

    private func expectDecodeError(_ bytes: [UInt8], _ code: ISO8583Error.Code, field: Int?, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(throws: ISO8583Error(code, field: field, ""), sourceLocation: sourceLocation) { try codec.decode(bytes) }
    }

    @Test("hostile input: random bytes, and random edits of valid messages, never crash; whatever decodes re-encodes to itself")
    func hostileInput() throws {
        var rng = SystemRandomNumberGenerator()
        var decodedCount = 0
        for round in 0..<20_000 {
            var bytes: [UInt8]
            if round % 4 == 0 {
                bytes = (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                if bytes.count >= 4 { bytes.replaceSubrange(0..<4, with: Array("0200".utf8)) }
            } else {
                bytes = try codec.encode(randomMessage(&rng))
                for _ in 0..<Int.random(in: 1...3, using: &rng) where !bytes.isEmpty {
                    let index = Int.random(in: 0..<bytes.count, using: &rng)
                    switch Int.random(in: 0..<5, using: &rng) {
                    case 0: bytes[index] = UInt8.random(in: 0...255, using: &rng)
                    case 1: bytes[index] ^= 1 << UInt8.random(in: 0...7, using: &rng)
                    case 2: bytes.insert(UInt8.random(in: 0x30...0x39, using: &rng), at: index)
                    case 3: bytes.remove(at: index)
                    default: bytes.removeLast(Int.random(in: 0...(bytes.count - index), using: &rng))
                    }
                }
            }
            do {
                let message = try codec.decode(bytes)
                decodedCount += 1
                #expect(try codec.encode(message) == bytes, "a decoded message must re-encode to its exact input")
            } catch {
                // Every refusal is an ISO8583Error with a code (typed throws guarantees the type).
                #expect(!error.code.rawValue.isEmpty)
            }
        }
        #expect(decodedCount < 20_000)
    }
}

/// A random message valid under `testSpecification`.
func randomMessage(_ rng: inout some RandomNumberGenerator) -> ISO8583Message {
    var message = ISO8583Message(mti: MessageTypeIndicator(["0200", "0210", "0800", "0810", "0820", "0830"].randomElement(using: &rng)!)!)
    func digits(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8.random(in: 0x30...0x39, using: &rng) } }
    func text(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8.random(in: 0x20...0x7E, using: &rng) } }
    func bytes(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) } }
    if Bool.random(using: &rng) { message[2] = digits(Int.random(in: 0...19, using: &rng)) }
    if Bool.random(using: &rng) { message[3] = digits(6) }
    if Bool.random(using: &rng) { message[11] = digits(6) }
    if Bool.random(using: &rng) { message[39] = text(2) }
    if Bool.random(using: &rng) { message[41] = text(8) }
    if Bool.random(using: &rng) { message[48] = text(Int.random(in: 0...120, using: &rng)) }
    if Bool.random(using: &rng) { message[52] = bytes(16) }
    if Bool.random(using: &rng) { message[62] = bytes(Int.random(in: 0...200, using: &rng)) }
    if Bool.random(using: &rng) { message[64] = bytes(16) }
    if Bool.random(using: &rng) { message[70] = digits(3) }
    if Bool.random(using: &rng) { message[100] = text(Int.random(in: 0...11, using: &rng)) }
    if Bool.random(using: &rng) { message[128] = bytes(16) }
    return message
}

