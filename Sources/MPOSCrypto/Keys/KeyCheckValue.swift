import Crypto
import _CryptoExtras

/// A key check value (KCV) by the CMAC method of ANSI X9.24-1: the leftmost bytes of
/// AES-CMAC, under the key, of one block of zero bytes.
///
/// It lets people and programs confirm they hold the same key without showing it. It is not
/// secret and may be printed. (The legacy "encrypt zeros" method is not used for AES keys.)
public struct KeyCheckValue: Hashable, Sendable, CustomStringConvertible {
    /// 3 bytes (6 hex digits), the usual length.
    public static let defaultLength = 3
    /// X9.24-1 allows at most 5 bytes for a CMAC check value.
    public static let permittedLengths = 3...5

    public let bytes: [UInt8]

    /// A check value as entered or received, e.g. `"53E107"`.
    public init(hex: String) throws(MPOSCryptoError) {
        let invalid = MPOSCryptoError(.invalidCheckValue, "a check value is 6 to 10 hex digits (3 to 5 bytes)")
        guard hex.utf8.count % 2 == 0, Self.permittedLengths.contains(hex.utf8.count / 2) else { throw invalid }
        do { self.bytes = try Hex.decode(hex) } catch { throw invalid }
    }

    init(of key: SymmetricKey, length: Int) throws(MPOSCryptoError) {
        guard Self.permittedLengths.contains(length) else {
            throw MPOSCryptoError(.invalidCheckValue, "a check value is 3 to 5 bytes; \(length) was asked for")
        }
        let mac = try cmac(key: key, message: [UInt8](repeating: 0, count: 16))
        self.bytes = Array(mac.prefix(length))
    }

    public var hex: String { Hex.encode(bytes) }
    public var description: String { hex }
}

/// Full 16-byte AES-CMAC; every CMAC in this module goes through here.
func cmac(key: SymmetricKey, message: some Collection<UInt8>) throws(MPOSCryptoError) -> [UInt8] {
    do {
        var mac = try AES.CMAC(key: key)
        let fed: Void? = message.withContiguousStorageIfAvailable {
            mac.update(bufferPointer: UnsafeRawBufferPointer($0))
        }
        if fed == nil {
            Array(message).withUnsafeBytes { mac.update(bufferPointer: $0) }
        }
        return mac.finalize().withUnsafeBytes { Array($0) }
    } catch {
        throw MPOSCryptoError(.primitiveFailure, "AES-CMAC refused the key")
    }
}
