import Crypto
import Foundation
import ISO8583
@_spi(ClearPIN) import MPOSCrypto
import MPOSProtocol

/// The part of a business request that depends on its frame, the session's keys and the host's
/// keys and rules only — not on the store: the MAC, field 61, the PIN block, the card's keyed
/// digest and, for an opening, everything the card row will hold.
///
/// Computed before the request's transaction when this node holds the session's keys
/// (``SessionKeyCache``), so that it runs on any core while other requests hold the store;
/// otherwise inside the transaction, by the same function. Either way the transaction uses it
/// only for the session whose key blocks it was computed under, and applies its refusals in
/// the order the operation's rules give (docs/protocol.md §6).
///
/// The clear PIN exists only inside ``HostEngine/pinVerificationValue(of:pan:pinKey:)``: it is
/// turned into its verification value at once and never kept.
struct PreparedBusinessRequest: Sendable {
    let blocks: SessionKeyCache.Blocks
    let keys: SessionKeys
    /// The operation's inputs, or what opening them threw (rethrown where the operation reads
    /// them); nil when the MAC does not verify under the session's key.
    let operation: Result<Operation, any Error>?

    enum Operation: Sendable {
        case cardOpening(Checked<NewCard>)
        case contractSigning(Checked<ContractRequest>)
    }

    /// An operation after the rules that need no store: refused, or ready for the transaction.
    enum Checked<Ready: Sendable>: Sendable {
        case refused(Refusal)
        case ready(Ready)
    }

    /// A refusal the operation's rules give before the store is read.
    struct Refusal: Sendable {
        let code: ResponseCode
        let subject: String
        let details: String
    }

    /// The card row's values, all but its number and references (drawn in the transaction).
    struct NewCard: Sendable {
        let subject: String
        let lookup: KeyedValue
        let encryptedCardNumber: [UInt8]
        let maskedCardNumber: String
        let customerIdentifier: String
        let identityDocumentType: String
        let pinVerificationValue: KeyedValue
    }

    struct ContractRequest: Sendable {
        let subject: String
        let lookup: KeyedValue
        /// The terms, or why they are refused (applied after the card's own checks).
        let terms: Result<ContractTerms, HostRuleError>
        /// The verification value of the PIN in field 52 for this card; nil if the block does
        /// not decipher for it (a wrong PIN).
        let enteredPINVerificationValue: KeyedValue?

        /// What identifies "the same contract again": card, carrier, phone number, tariff.
        func contractDigest(_ terms: ContractTerms) -> [UInt8] {
            Array(SHA256.hash(data: lookup.bytes + [0] + Array(terms.carrierCode.utf8) + [0] + Array(terms.phoneNumber.utf8) + [0] + Array(terms.tariff.utf8)))
        }
    }
}

extension HostEngine {
    /// The preparation for `kind` under `keys` (see ``PreparedBusinessRequest``).
    /// (`sessionKeys`: the session's; the host's own keys are `self.keys`.)
    func prepare(_ kind: MessageKind, frame: [UInt8], terminalID: String, sessionKeys: SessionKeys, blocks: SessionKeyCache.Blocks,
                 now: Date) -> PreparedBusinessRequest {
        guard let authenticated = try? BusinessMessageSecurity.verify(frame, codec: codec, macKey: sessionKeys.macKey) else {
            return PreparedBusinessRequest(blocks: blocks, keys: sessionKeys, operation: nil)
        }
        let operation = Result<PreparedBusinessRequest.Operation, any Error> {
            let data = try BusinessMessageSecurity.openConfidentialData(of: authenticated, using: sessionKeys.dataKey)
            guard Set(data.items.map(\.tag)) == kind.confidentialDataTags else {
                throw ProtocolError(.confidentialDataInvalid, "field 61 must hold exactly the items the operation takes")
            }
            return kind == .cardOpening
                ? .cardOpening(try prepareCardOpening(data, authenticated, terminalID: terminalID, pinKey: sessionKeys.pinKey, now: now))
                : .contractSigning(try prepareContractSigning(data, authenticated, terminalID: terminalID, pinKey: sessionKeys.pinKey))
        }
        return PreparedBusinessRequest(blocks: blocks, keys: sessionKeys, operation: operation)
    }

    /// Before the transaction: the preparation, if this node holds the keys of the session
    /// field 53 names (checked again, against the session's row, in the transaction).
    func prepareFromCache(_ kind: MessageKind, request: ISO8583Message, frame: [UInt8], terminalID: String, now: Date) -> PreparedBusinessRequest? {
        guard kind == .cardOpening || kind == .contractSigning,
              let keySet = request.text(MPOSField.keySetIdentifier).flatMap(KeySetIdentifier.init(field:)),
              let entry = sessionKeyCache.entry(session: Int64(keySet.session)), entry.keys.keySet == keySet
        else { return nil }
        return prepare(kind, frame: frame, terminalID: terminalID, sessionKeys: entry.keys, blocks: entry.blocks, now: now)
    }

    /// Card opening's rules that need no store, in order: card number, issuer ranges, identity
    /// document, PIN block; then the row's values.
    private func prepareCardOpening(_ data: ConfidentialData, _ authenticated: AuthenticatedMessage, terminalID: String,
                                    pinKey: AESKey<PINEncryption>, now: Date) throws -> PreparedBusinessRequest.Checked<PreparedBusinessRequest.NewCard> {
        let cardText = try Self.text(data, .cardNumber)
        let typeCode = try Self.text(data, .identityDocumentType)
        let identityNumber = try Self.text(data, .identityDocumentNumber)
        let pinBlock = try Self.pinBlock(authenticated)

        guard let pan = try? PrimaryAccountNumber(cardText) else {
            return .refused(.init(code: .invalidCardNumber, subject: "terminal:\(terminalID)", details: "the card number is not 12-19 digits"))
        }
        let cardSubject = "card:\(pan.masked)"
        do { try configuration.cardPolicy.check(pan.unsafeDigitString) } catch {
            return .refused(.init(code: .invalidCardNumber, subject: cardSubject, details: error.message))
        }
        let identity: IdentityDocument
        do { identity = try IdentityDocument(typeCode: typeCode, number: identityNumber, today: now) } catch {
            return .refused(.init(code: .invalidIdentity, subject: cardSubject, details: error.message))
        }
        guard let pinVerificationValue = try pinVerificationValue(of: pinBlock, pan: pan, pinKey: pinKey) else {
            return .refused(.init(code: .incorrectPIN, subject: cardSubject, details: "the PIN block does not decipher for this card"))
        }
        let lookup = try cardLookupDigest(pan)
        return .ready(.init(
            subject: cardSubject, lookup: lookup,
            encryptedCardNumber: try AuthenticatedEncryption.seal(Array(pan.unsafeDigitString.utf8), authenticating: Self.cardNumberAAD(lookup),
                                                                  using: keys.cardEncryption),
            maskedCardNumber: pan.masked,
            customerIdentifier: try KeyedDigest.compute(purpose: "MPOS CUSTOMER", value: identity.canonicalBytes, using: keys.customerIdentifier).hex,
            identityDocumentType: identity.type.rawValue, pinVerificationValue: pinVerificationValue))
    }

    private func prepareContractSigning(_ data: ConfidentialData, _ authenticated: AuthenticatedMessage, terminalID: String,
                                        pinKey: AESKey<PINEncryption>) throws -> PreparedBusinessRequest.Checked<PreparedBusinessRequest.ContractRequest> {
        let cardText = try Self.text(data, .cardNumber)
        let carrierCode = try Self.text(data, .carrierCode)
        let phoneNumber = try Self.text(data, .phoneNumber)
        let tariff = try Self.text(data, .tariff)
        let pinBlock = try Self.pinBlock(authenticated)

        guard let pan = try? PrimaryAccountNumber(cardText) else {
            return .refused(.init(code: .invalidCardNumber, subject: "terminal:\(terminalID)", details: "the card number is not 12-19 digits"))
        }
        let terms: Result<ContractTerms, HostRuleError>
        do { terms = .success(try ContractTerms(carrierCode: carrierCode, phoneNumber: phoneNumber, tariff: tariff, registry: configuration.carriers)) } catch {
            terms = .failure(error)
        }
        return .ready(.init(subject: "card:\(pan.masked)", lookup: try cardLookupDigest(pan), terms: terms,
                            enteredPINVerificationValue: try pinVerificationValue(of: pinBlock, pan: pan, pinKey: pinKey)))
    }

    /// The verification value of the PIN `block` holds for `pan`, or nil if it does not
    /// decipher for this card. The clear PIN lives only within this function.
    private func pinVerificationValue(of block: EncipheredPINBlock, pan: PrimaryAccountNumber, pinKey: AESKey<PINEncryption>) throws -> KeyedValue? {
        guard let pin = try? PINBlockFormat4.decipher(block, pan: pan, using: pinKey) else { return nil }
        return try PINVerificationValue.compute(pin: pin, pan: pan, using: keys.pinVerification)
    }

    private func cardLookupDigest(_ pan: PrimaryAccountNumber) throws -> KeyedValue {
        try KeyedDigest.compute(purpose: "MPOS CARD", value: Array(pan.unsafeDigitString.utf8), using: keys.cardLookup)
    }

    private static func text(_ data: ConfidentialData, _ tag: ConfidentialData.Tag) throws -> String {
        guard let value = data[tag], let text = String(bytes: value, encoding: .utf8) else {
            throw ProtocolError.missing("field 61 lacks an item the operation needs")
        }
        return text
    }

    private static func pinBlock(_ authenticated: AuthenticatedMessage) throws -> EncipheredPINBlock {
        guard let bytes = authenticated.message[MPOSField.pinBlock], let block = try? EncipheredPINBlock(bytes: bytes) else {
            throw ProtocolError.missing("field 52, the PIN block, is missing")
        }
        return block
    }

    /// The encrypted card number is bound to its row: moved to another card's row, it does not open.
    static func cardNumberAAD(_ lookup: KeyedValue) -> [UInt8] { Array("mpos card number".utf8) + [0] + lookup.bytes }
}
