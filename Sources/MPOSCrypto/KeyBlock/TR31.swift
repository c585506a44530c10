import Crypto
import _CryptoExtras

/// A key taken out of an authentic key block, with the header it came with.
public struct UnwrappedKey<Usage: KeyUsage>: Sendable {
    public let key: AESKey<Usage>
    public let header: KeyBlockHeader
}

/// TR-31 / ANSI X9.143 key blocks, version `D`: a key, its usage and attributes, wrapped and
/// authenticated under an AES key-block protection key (KBPK) of 128, 192 or 256 bits.
///
/// Layout (ASCII): 16-character header ‖ optional blocks ‖ hex(encrypted payload) ‖ hex(MAC).
/// - KBEK and KBAK are derived from the KBPK with AES-CMAC over
///   `counter ‖ usage (0000 encryption, 0001 MAC) ‖ 00 ‖ algorithm (0002/0003/0004) ‖ key bits`.
/// - Payload: key length in bits (2 bytes) ‖ key ‖ random padding to a multiple of 16 bytes.
/// - MAC = AES-CMAC(KBAK, header ‖ clear payload), 16 bytes; the payload is AES-CBC encrypted
///   under KBEK with the MAC as IV.
///
/// Unwrapping decrypts, verifies the MAC in constant time, and only then reads the payload or
/// trusts the header; it then refuses a block whose usage, algorithm or mode does not fit the
/// key type the caller asked for. Parsing is strict: a block has one spelling (upper-case hex,
/// the `PB` block last, the extended length form only where the short one cannot serve).
///
/// Exportability is kept: the unwrapped key has its block's, a non-exportable (`N`) key is
/// never wrapped again, and a block's exportability is never wider than its key's (E > S > N).
public enum TR31 {
    /// The 4-digit length field caps a block at 9999 characters; longer input is refused
    /// before anything is allocated for it.
    public static let maximumBlockLength = 9999
    static let headerLength = 16
    static let macLength = 16

    /// Wraps `key` under `kbpk`. The header's usage and mode of use are the key's own.
    ///
    /// - Parameter exportability: what the receiver may do with the key: no wider than the
    ///   key's own exportability.
    /// - Parameter maskKeyLength: pad the payload as if the key were AES-256, so the block does
    ///   not reveal the key's size (the default, as in most HSMs).
    public static func wrap<Usage: KeyUsage, Protection: KeyBlockProtecting>(
        _ key: AESKey<Usage>,
        under kbpk: AESKey<Protection>,
        keyVersion: String = "00",
        exportability: Exportability = .nonExportable,
        optionalBlocks: [KeyBlockOptionalBlock] = [],
        maskKeyLength: Bool = true
    ) throws(MPOSCryptoError) -> String {
        try kbpk.require(kbpk.modeOfUse.permitsEncryption, "wrap key blocks")
        guard key.size.rawValue <= kbpk.size.rawValue else {
            throw MPOSCryptoError(.keyStrengthMismatch, "a \(key.size) key may not be wrapped under a weaker \(kbpk.size) key-block protection key")
        }
        guard key.exportability != .nonExportable, exportability.rank <= key.exportability.rank else {
            throw MPOSCryptoError(.keyNotExportable, "a \(Usage.code) key of exportability \(key.exportability) cannot be wrapped as \(exportability)")
        }
        let versionBytes = Array(keyVersion.utf8)
        guard versionBytes.count == 2, versionBytes.allSatisfy(isASCIIAlphanumeric) else {
            throw MPOSCryptoError(.malformedKeyBlock, "a key version is two ASCII letters or digits")
        }
        let keyBytes = key.copyOfMaterial()
        let maskedLength = maskKeyLength ? AESKeySize.bits256.byteCount : keyBytes.count
        let paddingCount = 16 - (2 + maskedLength) % 16 + (maskedLength - keyBytes.count)
        let padding = secureRandomBytes(paddingCount)
        let fields = HeaderFields(
            usage: Usage.code, algorithm: KeyBlockHeader.aesAlgorithm, mode: key.modeOfUse,
            version: versionBytes, exportability: exportability, optionalBlocks: optionalBlocks)
        return try wrap(keyBytes: keyBytes, fields: fields, padding: padding, kbpk: kbpk.material)
    }

    /// Unwraps a block that must hold a key of type `Usage`, after verifying its MAC.
    public static func unwrap<Usage: KeyUsage, Protection: KeyBlockProtecting>(
        _ block: String,
        as usage: Usage.Type,
        under kbpk: AESKey<Protection>
    ) throws(MPOSCryptoError) -> UnwrappedKey<Usage> {
        try kbpk.require(kbpk.modeOfUse.permitsDecryption, "unwrap key blocks")
        let (header, keyBytes) = try unwrapAuthenticated(block, kbpk: kbpk.material)
        // From here on the header is authentic: now hold it to what the caller asked for.
        guard header.algorithm == Character(Unicode.Scalar(KeyBlockHeader.aesAlgorithm)) else {
            throw MPOSCryptoError(.unsupportedKeyBlock, "the key block holds a key for algorithm \(header.algorithm), not AES")
        }
        guard header.keyUsage == Usage.code else {
            throw MPOSCryptoError(.keyBlockUsageMismatch, "the key block holds a \(header.keyUsage) key where a \(Usage.code) key was expected")
        }
        guard Usage.permittedModes.contains(header.modeOfUse) else {
            throw MPOSCryptoError(.keyBlockUsageMismatch, "mode \(header.modeOfUse) is not permitted for a \(Usage.code) key")
        }
        guard keyBytes.count <= kbpk.size.byteCount else {
            throw MPOSCryptoError(.keyStrengthMismatch, "the key block holds a key stronger than its protection key")
        }
        let key = try AESKey<Usage>(unsafeRawBytes: keyBytes, modeOfUse: header.modeOfUse, exportability: header.exportability)
        return UnwrappedKey(key: key, header: header)
    }

    // MARK: - Construction

    struct HeaderFields {
        var usage: KeyUsageCode
        var algorithm: UInt8
        var mode: ModeOfUse
        var version: [UInt8]
        var exportability: Exportability
        var optionalBlocks: [KeyBlockOptionalBlock]
    }

    /// Deterministic core of ``wrap(_:under:keyVersion:exportability:optionalBlocks:maskKeyLength:)``.
    static func wrap(keyBytes: [UInt8], fields: HeaderFields, padding: [UInt8], kbpk: SymmetricKey) throws(MPOSCryptoError) -> String {
        let keyBits = keyBytes.count * 8
        let payload = [UInt8(truncatingIfNeeded: keyBits >> 8), UInt8(truncatingIfNeeded: keyBits)] + keyBytes + padding
        precondition(payload.count % 16 == 0, "padding must complete the payload to whole AES blocks")

        let (blockCount, optional) = try encodeOptionalBlocks(fields.optionalBlocks)
        let totalLength = headerLength + optional.count + 2 * payload.count + 2 * macLength
        guard totalLength <= maximumBlockLength else {
            throw MPOSCryptoError(.malformedKeyBlock, "the key block would be \(totalLength) characters; at most \(maximumBlockLength) fit")
        }
        var header: [UInt8] = [KeyBlockHeader.versionID]
        header += decimal(totalLength, width: 4)
        header += Array(fields.usage.rawValue.utf8)
        header.append(fields.algorithm)
        header.append(fields.mode.rawValue)
        header += fields.version
        header.append(fields.exportability.rawValue)
        header += decimal(blockCount, width: 2)
        header += Array("00".utf8)
        header += optional

        let (kbek, kbak) = try deriveBlockKeys(from: kbpk)
        let mac = try cmac(key: kbak, message: header + payload)
        let encrypted = try cbc(encrypt: true, payload, key: kbek, iv: mac)
        return String(decoding: header, as: UTF8.self) + Hex.encode(encrypted) + Hex.encode(mac)
    }

    /// Optional blocks, then a `PB` block so that they end on a 16-character boundary.
    static func encodeOptionalBlocks(_ blocks: [KeyBlockOptionalBlock]) throws(MPOSCryptoError) -> (count: Int, text: [UInt8]) {
        var text: [UInt8] = []
        guard Set(blocks.map(\.id)).count == blocks.count else {
            throw MPOSCryptoError(.malformedKeyBlock, "an optional block identifier may appear only once")
        }
        for block in blocks {
            let data = Array(block.data.utf8)
            text += Array(block.id.utf8)
            if data.count + 4 <= 0xFF {
                text += hexDigits(data.count + 4, width: 2)
            } else {
                // Extended length: "00", length of the length in bytes ("02"), then 4 hex digits.
                text += Array("0002".utf8) + hexDigits(data.count + 10, width: 4)
            }
            text += data
        }
        var count = blocks.count
        if text.count % 16 != 0 {
            let fill = (16 - (text.count + 4) % 16) % 16
            text += Array("PB".utf8) + hexDigits(4 + fill, width: 2) + [UInt8](repeating: UInt8(ascii: "0"), count: fill)
            count += 1
        }
        guard count <= 99 else {
            throw MPOSCryptoError(.malformedKeyBlock, "a key block holds at most 99 optional blocks")
        }
        return (count, text)
    }

    // MARK: - Parsing

    /// Parses the structure, verifies the MAC, then reads the payload. Usage is not checked
    /// here: that is the typed ``unwrap(_:as:under:)``'s job.
    static func unwrapAuthenticated(_ text: String, kbpk: SymmetricKey) throws(MPOSCryptoError) -> (KeyBlockHeader, [UInt8]) {
        let length = text.utf8.count
        guard (headerLength + 4 * macLength)...maximumBlockLength ~= length else {
            throw MPOSCryptoError(.malformedKeyBlock, "a version D key block is 80 to \(maximumBlockLength) characters; got \(length)")
        }
        let block = Array(text.utf8)
        guard block.allSatisfy(isPrintableASCII) else {
            throw MPOSCryptoError(.malformedKeyBlock, "a key block is printable ASCII")
        }
        guard block[0] == KeyBlockHeader.versionID else {
            throw MPOSCryptoError(.unsupportedKeyBlock, "only version D key blocks are accepted")
        }
        guard let declared = parseDecimal(block[1..<5]), declared == length else {
            throw MPOSCryptoError(.malformedKeyBlock, "the key block length field does not match its length (\(length))")
        }
        guard length % 16 == 0 else {
            throw MPOSCryptoError(.malformedKeyBlock, "a version D key block's length is a multiple of 16")
        }
        let (header, headerEnd) = try parseHeader(block)

        // What follows the header: hex(encrypted payload, whole AES blocks) ‖ hex(16-byte MAC).
        let rest = block[headerEnd...]
        guard rest.count >= 4 * macLength, (rest.count - 2 * macLength) % 32 == 0 else {
            throw MPOSCryptoError(.malformedKeyBlock, "the encrypted payload is not a whole number of AES blocks")
        }
        let encrypted: [UInt8], receivedMAC: [UInt8]
        do {
            encrypted = try Hex.decode(utf8: rest.dropLast(2 * macLength), upperCaseOnly: true)
            receivedMAC = try Hex.decode(utf8: rest.suffix(2 * macLength), upperCaseOnly: true)
        } catch {
            throw MPOSCryptoError(.malformedKeyBlock, "the key block's payload and MAC are upper-case hex")
        }

        let (kbek, kbak) = try deriveBlockKeys(from: kbpk)
        let payload = try cbc(encrypt: false, encrypted, key: kbek, iv: receivedMAC)
        let expectedMAC = try cmac(key: kbak, message: block[..<headerEnd] + payload)
        guard constantTimeEquals(expectedMAC, receivedMAC) else {
            throw MPOSCryptoError(.keyBlockAuthenticationFailed, "the key block MAC does not verify (wrong protection key, or the block was altered)")
        }

        // Authentic: the payload may now be read.
        let keyBits = Int(payload[0]) << 8 | Int(payload[1])
        guard keyBits % 8 == 0, AESKeySize(byteCount: keyBits / 8) != nil, 2 + keyBits / 8 <= payload.count else {
            throw MPOSCryptoError(.malformedKeyBlock, "the key block's payload does not hold an AES key")
        }
        return (header, Array(payload[2..<(2 + keyBits / 8)]))
    }

    /// The 16 fixed characters and the optional blocks; returns where the header ends.
    static func parseHeader(_ block: [UInt8]) throws(MPOSCryptoError) -> (KeyBlockHeader, Int) {
        func malformed(_ what: String) -> MPOSCryptoError { MPOSCryptoError(.malformedKeyBlock, "key block header: \(what)") }

        guard let usage = KeyUsageCode(String(decoding: block[5..<7], as: UTF8.self)) else { throw malformed("key usage is not two letters or digits") }
        let algorithm = block[7]
        guard isASCIIAlphanumeric(algorithm) else { throw malformed("algorithm is not a letter or digit") }
        guard let mode = ModeOfUse(rawValue: block[8]) else { throw malformed("unknown mode of use") }
        let version = block[9..<11]
        guard version.allSatisfy(isASCIIAlphanumeric) else { throw malformed("key version is not two letters or digits") }
        guard let exportability = Exportability(rawValue: block[11]) else { throw malformed("unknown exportability") }
        guard let blockCount = parseDecimal(block[12..<14]) else { throw malformed("optional block count is not two digits") }
        guard block[14] == UInt8(ascii: "0"), block[15] == UInt8(ascii: "0") else { throw malformed("reserved field is not 00") }

        var optionalBlocks: [KeyBlockOptionalBlock] = []
        var seen = Set<String>()
        var index = headerLength
        for _ in 0..<blockCount {
            guard index + 4 <= block.count else { throw malformed("optional block runs past the end") }
            let idBytes = block[index..<(index + 2)]
            guard idBytes.allSatisfy(isASCIIAlphanumeric) else { throw malformed("optional block identifier is not two letters or digits") }
            guard let shortLength = parseHex(block[(index + 2)..<(index + 4)]) else { throw malformed("optional block length is not upper-case hex") }
            var blockLength = shortLength
            var dataStart = index + 4
            if shortLength == 0 {
                // Extended length: "02" (the length's size in bytes), then 4 hex digits; used
                // only for blocks too long for the 2-digit form.
                guard index + 10 <= block.count, block[index + 4] == UInt8(ascii: "0"), block[index + 5] == UInt8(ascii: "2"),
                      let extended = parseHex(block[(index + 6)..<(index + 10)]), extended > 0xFF
                else { throw malformed("optional block extended length is malformed") }
                blockLength = extended
                dataStart = index + 10
            }
            guard blockLength >= dataStart - index, index + blockLength <= block.count else {
                throw malformed("optional block length is out of range")
            }
            let id = String(decoding: idBytes, as: UTF8.self)
            guard seen.insert(id).inserted else { throw malformed("optional block \(id) appears twice") }
            guard !seen.contains("PB") || id == "PB" else { throw malformed("the PB padding block must be the last optional block") }
            if id != "PB" {
                optionalBlocks.append(KeyBlockOptionalBlock(uncheckedID: id, data: String(decoding: block[dataStart..<(index + blockLength)], as: UTF8.self)))
            }
            index += blockLength
        }
        let header = KeyBlockHeader(
            keyUsage: usage, algorithm: Character(Unicode.Scalar(algorithm)), modeOfUse: mode,
            keyVersion: String(decoding: version, as: UTF8.self), exportability: exportability,
            optionalBlocks: optionalBlocks)
        return (header, index)
    }

    // MARK: - Key derivation binding method (KBEK, KBAK)

    static func deriveBlockKeys(from kbpk: SymmetricKey) throws(MPOSCryptoError) -> (kbek: SymmetricKey, kbak: SymmetricKey) {
        let size: AESKeySize
        switch kbpk.bitCount {
        case 128: size = .bits128
        case 192: size = .bits192
        case 256: size = .bits256
        default: throw MPOSCryptoError(.invalidKeyLength, "a key-block protection key is AES-128, -192 or -256")
        }
        let algorithm: UInt8 = switch size { case .bits128: 0x02; case .bits192: 0x03; case .bits256: 0x04 }
        let bits = UInt16(size.rawValue)
        func derive(_ usage: UInt8) throws(MPOSCryptoError) -> SymmetricKey {
            var material: [UInt8] = []
            var counter: UInt8 = 1
            while material.count < size.byteCount {
                let input: [UInt8] = [counter, 0x00, usage, 0x00, 0x00, algorithm, UInt8(bits >> 8), UInt8(bits & 0xFF)]
                material += try cmac(key: kbpk, message: input)
                counter += 1
            }
            return SymmetricKey(data: material.prefix(size.byteCount))
        }
        return (try derive(0x00), try derive(0x01))
    }

    private static func cbc(encrypt: Bool, _ data: [UInt8], key: SymmetricKey, iv: [UInt8]) throws(MPOSCryptoError) -> [UInt8] {
        do {
            let iv = try AES._CBC.IV(ivBytes: iv)
            let out = encrypt
                ? try AES._CBC.encrypt(data, using: key, iv: iv, noPadding: true)
                : try AES._CBC.decrypt(data, using: key, iv: iv, noPadding: true)
            return Array(out)
        } catch {
            throw MPOSCryptoError(.primitiveFailure, "AES-CBC refused the key block payload")
        }
    }

    // MARK: - Small text helpers (ASCII only)

    private static func decimal(_ value: Int, width: Int) -> [UInt8] {
        var digits = [UInt8](repeating: UInt8(ascii: "0"), count: width)
        var rest = value
        for i in stride(from: width - 1, through: 0, by: -1) {
            digits[i] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
        }
        return digits
    }

    private static let upperHexDigits = Array("0123456789ABCDEF".utf8)

    private static func hexDigits(_ value: Int, width: Int) -> [UInt8] {
        (0..<width).map { upperHexDigits[(value >> (4 * (width - 1 - $0))) & 0xF] }
    }

    private static func parseDecimal(_ digits: ArraySlice<UInt8>) -> Int? {
        var value = 0
        for c in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(c) else { return nil }
            value = value * 10 + Int(c - UInt8(ascii: "0"))
        }
        return value
    }

    private static func parseHex(_ digits: ArraySlice<UInt8>) -> Int? {
        var value = 0
        for c in digits {
            guard let nibble = Hex.nibble(c), c < UInt8(ascii: "a") else { return nil }  // upper case only
            value = value << 4 | Int(nibble)
        }
        return value
    }
}
