/// One custodian's share of a key: the key is the XOR of all components, so no single
/// custodian (nor any fewer than all) learns anything about it.
///
/// A component prints as its size and check value only. Its digits are shown once, to its
/// custodian, through ``unsafeHexDigits``.
public struct KeyComponent: Sendable {
    let bytes: [UInt8]
    /// Check value of this component taken as a key (CMAC method), for the custodian to confirm entry.
    public let checkValue: KeyCheckValue

    /// A component as typed by its custodian, confirmed against the check value they were given.
    /// A typing error gives ``MPOSCryptoError/Code/checkValueMismatch``, without the digits.
    public init(hex: String, expectedCheckValue: KeyCheckValue? = nil) throws(MPOSCryptoError) {
        let bytes: [UInt8]
        do { bytes = try Hex.decode(hex) } catch {
            throw MPOSCryptoError(.invalidComponents, "a key component is 32, 48 or 64 hex digits")
        }
        try self.init(bytes: bytes)
        if let expected = expectedCheckValue {
            let actual = Array(checkValue.bytes.prefix(expected.bytes.count))
            guard expected.bytes.count <= checkValue.bytes.count, actual == expected.bytes else {
                throw MPOSCryptoError(.checkValueMismatch, "the component does not match its check value \(expected)")
            }
        }
    }

    init(bytes: [UInt8]) throws(MPOSCryptoError) {
        guard AESKeySize(byteCount: bytes.count) != nil else {
            throw MPOSCryptoError(.invalidComponents, "a key component is 16, 24 or 32 bytes")
        }
        self.bytes = bytes
        self.checkValue = try KeyCheckValue(of: .init(data: bytes), length: KeyCheckValue.defaultLength)
    }

    /// The component's digits, to show to its custodian once. Never log them.
    public var unsafeHexDigits: String { Hex.encode(bytes) }
}

extension KeyComponent: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "KeyComponent(AES-\(bytes.count * 8), KCV \(checkValue))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["checkValue": checkValue.hex], displayStyle: .struct) }
}

/// The key ceremony's arithmetic: split a key into 2 or 3 components, and combine them.
public enum KeyComponents {
    public static let permittedCounts = 2...3

    /// Random components for all but the last; the last is the key XOR the others.
    public static func split<Usage: KeyUsage>(_ key: AESKey<Usage>, into count: Int) throws(MPOSCryptoError) -> [KeyComponent] {
        guard permittedCounts.contains(count) else {
            throw MPOSCryptoError(.invalidComponents, "a key is split into 2 or 3 components")
        }
        var last = key.material.withUnsafeBytes { Array($0) }
        var components: [KeyComponent] = []
        for _ in 1..<count {
            let share = secureRandomBytes(last.count)
            for i in last.indices { last[i] ^= share[i] }
            components.append(try KeyComponent(bytes: share))
        }
        components.append(try KeyComponent(bytes: last))
        return components
    }

    /// XORs the components into a key of the given usage. Refuses a wrong count, components of
    /// different lengths, a repeated component (two equal ones cancel out) and an all-zero key.
    public static func combine<Usage: KeyUsage>(_ components: [KeyComponent], as usage: Usage.Type, modeOfUse: ModeOfUse = Usage.defaultMode) throws(MPOSCryptoError) -> AESKey<Usage> {
        guard permittedCounts.contains(components.count) else {
            throw MPOSCryptoError(.invalidComponents, "a key is combined from 2 or 3 components")
        }
        let length = components[0].bytes.count
        guard components.allSatisfy({ $0.bytes.count == length }) else {
            throw MPOSCryptoError(.invalidComponents, "all components must have the same length")
        }
        for i in components.indices {
            for j in components.indices where j > i {
                guard !constantTimeEquals(components[i].bytes, components[j].bytes) else {
                    throw MPOSCryptoError(.invalidComponents, "two components are identical")
                }
            }
        }
        var key = [UInt8](repeating: 0, count: length)
        for component in components {
            for i in key.indices { key[i] ^= component.bytes[i] }
        }
        guard key.contains(where: { $0 != 0 }) else {
            throw MPOSCryptoError(.invalidComponents, "the components combine to an all-zero key")
        }
        return try AESKey<Usage>(unsafeRawBytes: key, modeOfUse: modeOfUse)
    }
}
