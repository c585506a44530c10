import Foundation
import MPOSCrypto
import MPOSProtocol

/// Card opening (0200/910000): binds card number, customer identifier and PIN. The card is
/// stored encrypted with a keyed digest to find it by, the customer by a keyed digest of the
/// identity document, the PIN as a verification value: none of the three in clear.
struct CardOpening: BusinessOperation {
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

    var kind: MessageKind { .cardOpening }

    /// The rules that need no store, in order: card number (`14`), issuer ranges (`14`),
    /// identity document (`A5`), PIN block (`55`); then the row's values.
    func prepare(_ items: ConfidentialData, pinBlock: EncipheredPINBlock, sessionKeys: SessionKeys, rules: HostRules, now: Date) throws -> Result<NewCard, Refusal> {
        let cardText = try HostRules.text(items, .cardNumber)
        let typeCode = try HostRules.text(items, .identityDocumentType)
        let identityNumber = try HostRules.text(items, .identityDocumentNumber)
        guard let pan = try? PrimaryAccountNumber(cardText) else {
            return .failure(Refusal(.invalidCardNumber, "the card number is not 12-19 digits"))
        }
        let cardSubject = "card:\(pan.masked)"
        do { try rules.configuration.cardPolicy.check(pan.unsafeDigitString) } catch {
            return .failure(Refusal(.invalidCardNumber, subject: cardSubject, error.message))
        }
        let identity: IdentityDocument
        do { identity = try IdentityDocument(typeCode: typeCode, number: identityNumber, today: now) } catch {
            return .failure(Refusal(.invalidIdentity, subject: cardSubject, error.message))
        }
        guard let pinVerificationValue = try rules.pinVerificationValue(of: pinBlock, pan: pan, pinKey: sessionKeys.pinKey) else {
            return .failure(Refusal(.incorrectPIN, subject: cardSubject, "the PIN block does not decipher for this card"))
        }
        let lookup = try rules.cardLookupDigest(pan)
        return .success(NewCard(
            subject: cardSubject, lookup: lookup,
            encryptedCardNumber: try AuthenticatedEncryption.seal(Array(pan.unsafeDigitString.utf8), authenticating: HostRules.cardNumberAAD(lookup),
                                                                  using: rules.keys.cardEncryption),
            maskedCardNumber: pan.masked,
            customerIdentifier: try KeyedDigest.compute(purpose: "MPOS CUSTOMER", value: identity.canonicalBytes, using: rules.keys.customerIdentifier).hex,
            identityDocumentType: identity.type.rawValue, pinVerificationValue: pinVerificationValue))
    }

    /// The card must not be open already (`A6`).
    func apply(_ card: NewCard, session: SessionRecord, _ c: inout RequestContext, host: HostEngine) async throws -> (code: ResponseCode, reference: String?) {
        guard try await c.tx.card(lookupDigest: card.lookup.bytes) == nil else {
            return c.refuse(.cardAlreadyOpened, session: session, subject: card.subject, "the card is already open")
        }
        let reference = try await host.nextReference(c.tx)
        try await c.tx.insertCard(CardRecord(
            id: try await c.tx.nextSequenceValue("card"), lookupDigest: card.lookup.bytes, encryptedCardNumber: card.encryptedCardNumber,
            maskedCardNumber: card.maskedCardNumber, customerIdentifier: card.customerIdentifier, identityDocumentType: card.identityDocumentType,
            pinVerificationValue: card.pinVerificationValue.bytes,
            openedAt: c.now, openedByTerminal: c.terminal.id, openedByOperator: session.operatorNumber, openingReference: reference))
        c.record(AuditEvent("card.opened", actor: HostEngine.actor(c, session), subject: card.subject,
                            details: "reference \(reference), customer \(card.customerIdentifier.prefix(8))…, identity document type \(card.identityDocumentType)"))
        return (.approved, reference)
    }
}
