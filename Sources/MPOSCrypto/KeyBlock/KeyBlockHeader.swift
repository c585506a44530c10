/// The clear header of a TR-31 / ANSI X9.143 key block, version `D` (AES key-block
/// protection key). It is authenticated by the block's MAC but not encrypted: nothing in it is
/// secret, so it prints in full.
public struct KeyBlockHeader: Sendable, Hashable, CustomStringConvertible {
    /// The only key block version mpos writes or reads: `D`, the AES key derivation binding method.
    public static let versionID: UInt8 = UInt8(ascii: "D")
    /// Algorithm of the wrapped key: `A`, AES. (A block for another algorithm is refused.)
    public static let aesAlgorithm: UInt8 = UInt8(ascii: "A")

    public let keyUsage: KeyUsageCode
    /// Algorithm letter as it appears in the block (`A` in any block mpos accepts).
    public let algorithm: Character
    public let modeOfUse: ModeOfUse
    /// Two ASCII alphanumerics; `00` when key versioning is not used.
    public let keyVersion: String
    public let exportability: Exportability
    /// Optional blocks in order, without the `PB` padding block.
    public let optionalBlocks: [KeyBlockOptionalBlock]

    public var description: String {
        let blocks = optionalBlocks.map { "\($0.id)" }.joined(separator: ",")
        return "KeyBlockHeader(D, \(keyUsage), \(algorithm), mode \(modeOfUse), version \(keyVersion), exportability \(exportability), blocks [\(blocks)])"
    }
}

/// One TR-31 optional header block: a two-character identifier and printable ASCII data
/// (e.g. `KS` key set identifier, `TS` time stamp, `KV` key block values version).
public struct KeyBlockOptionalBlock: Sendable, Hashable {
    public let id: String
    public let data: String

    /// The longest data an extended-length optional block can carry (its length field is 4 hex digits).
    public static let maximumDataLength = 0xFFFF - 10

    public init(id: String, data: String) throws(MPOSCryptoError) {
        let idBytes = Array(id.utf8)
        guard idBytes.count == 2, idBytes.allSatisfy(isASCIIAlphanumeric) else {
            throw MPOSCryptoError(.malformedKeyBlock, "an optional block identifier is two ASCII letters or digits")
        }
        guard id != "PB" else {
            throw MPOSCryptoError(.malformedKeyBlock, "the PB padding block is added by the key block itself")
        }
        let dataBytes = Array(data.utf8)
        guard dataBytes.count <= Self.maximumDataLength, dataBytes.allSatisfy(isPrintableASCII) else {
            throw MPOSCryptoError(.malformedKeyBlock, "optional block \(id) must hold at most \(Self.maximumDataLength) printable ASCII characters")
        }
        self.id = id
        self.data = data
    }

    init(uncheckedID id: String, data: String) {
        self.id = id
        self.data = data
    }
}

@inline(__always)
func isPrintableASCII(_ c: UInt8) -> Bool { (0x20...0x7E).contains(c) }
