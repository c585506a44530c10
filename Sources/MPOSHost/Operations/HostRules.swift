import Crypto
@_spi(ClearPIN) import MPOSCrypto
import MPOSProtocol

/// What a business operation's preparation may use: the host's keys and its rules — never the
/// store. The values the store's rows are found by and hold (keyed digests, verification
/// values, the card number's ciphertext) are computed here.
struct HostRules: Sendable {
    let keys: HostKeys
    let configuration: HostConfiguration

    /// The verification value of the PIN `block` holds for `pan`, or nil if it does not
    /// decipher for this card. The clear PIN lives only within this function.
    func pinVerificationValue(of block: EncipheredPINBlock, pan: PrimaryAccountNumber, pinKey: AESKey<PINEncryption>) throws -> KeyedValue? {
        guard let pin = try? PINBlockFormat4.decipher(block, pan: pan, using: pinKey) else { return nil }
        return try PINVerificationValue.compute(pin: pin, pan: pan, using: keys.pinVerification)
    }

    /// The keyed digest a card is found by.
    func cardLookupDigest(_ pan: PrimaryAccountNumber) throws -> KeyedValue {
        try KeyedDigest.compute(purpose: "MPOS CARD", value: Array(pan.unsafeDigitString.utf8), using: keys.cardLookup)
    }

    /// The encrypted card number is bound to its row: moved to another card's row, it does not open.
    static func cardNumberAAD(_ lookup: KeyedValue) -> [UInt8] { Array("mpos card number".utf8) + [0] + lookup.bytes }

    /// An item of field 61 as text.
    static func text(_ items: ConfidentialData, _ tag: ConfidentialData.Tag) throws(ProtocolError) -> String {
        guard let value = items[tag], let text = String(bytes: value, encoding: .utf8) else {
            throw ProtocolError(.confidentialDataInvalid, "field 61 holds an item that is not UTF-8 text")
        }
        return text
    }
}
