/// One custodian's share of a key: the key is the XOR of all components, so no single
/// custodian (nor any fewer than all) learns anything about it.
///
/// A component prints as its size and check value only. Its digits are shown once, to its
/// custodian, through ``unsafeHexDigits``.
public struct KeyComponent: Sendable {
    let bytes: [UInt8]
    /// Check value of this component taken as a key (CMAC method, 3 bytes), for the custodian
    /// to confirm entry. ``checkValue(length:)`` gives 4 or 5 bytes.
    public let checkValue: KeyCheckValue

    /// A component as typed by its custodian, confirmed against the check value they were
    /// given (3 to 5 bytes). A typing error gives ``MPOSCryptoError/Code/checkValueMismatch``,
    /// without the digits.
    public init(hex: String, expectedCheckValue: KeyCheckValue? = nil) throws(MPOSCryptoError) {
        let malformed = MPOSCryptoError(.invalidComponents, "a key component is 32, 48 or 64 hex digits")
        guard [32, 48, 64].contains(hex.utf8.count) else { throw malformed }
        let bytes: [UInt8]
        do { bytes = try Hex.decode(hex) } catch { throw malformed }
        try self.init(bytes: bytes)
        if let expected = expectedCheckValue {
            guard try checkValue(length: expected.bytes.count) == expected else {
                throw MPOSCryptoError(.checkValueMismatch, "the component does not match its check value \(expected)")
            }
        }
    }

    init(bytes: [UInt8]) throws(MPOSCryptoError) {
        guard AESKeySize(byteCount: bytes.count) != nil else {
            throw MPOSCryptoError(.invalidComponents, "a key component is 16, 24 or 32 bytes")
        }
        guard bytes.contains(where: { $0 != 0 }) else {
            throw MPOSCryptoError(.invalidComponents, "an all-zero component contributes nothing")
        }
        self.bytes = bytes
        self.checkValue = try KeyCheckValue(of: .init(data: bytes), length: KeyCheckValue.defaultLength)
    }

    /// The check value at 3 to 5 bytes.
    public func checkValue(length: Int) throws(MPOSCryptoError) -> KeyCheckValue {
        try KeyCheckValue(of: .init(data: bytes), length: length)
    }

    /// The component's digits, to show to its custodian once; inside the mpos package only.
    /// Never log them.
    package var unsafeHexDigits: String { Hex.encode(bytes) }
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
    /// Splitting is a form of export: a non-exportable key cannot be split.
    public static func split<Usage: KeyUsage>(_ key: AESKey<Usage>, into count: Int) throws(MPOSCryptoError) -> [KeyComponent] {
        guard permittedCounts.contains(count) else {
            throw MPOSCryptoError(.invalidComponents, "a key is split into 2 or 3 components")
        }
        guard key.exportability != .nonExportable else {
            throw MPOSCryptoError(.keyNotExportable, "a non-exportable \(Usage.code) key cannot be split into components")
        }
        var last = key.copyOfMaterial()
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
    public static func combine<Usage: KeyUsage>(_ components: [KeyComponent], as usage: Usage.Type, modeOfUse: ModeOfUse = Usage.defaultMode, exportability: Exportability = .exportable) throws(MPOSCryptoError) -> AESKey<Usage> {
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
        return try AESKey<Usage>(unsafeRawBytes: key, modeOfUse: modeOfUse, exportability: exportability)
    }
}
