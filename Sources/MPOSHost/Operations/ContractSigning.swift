import Crypto
import Foundation
import MPOSCrypto
import MPOSProtocol

/// Contract signing (0200/920000): card number and PIN verified, the contract handed to its
/// carrier's business module through the durable outbox.
struct ContractSigning: BusinessOperation {
    struct ContractRequest: Sendable {
        let subject: String
        let lookup: KeyedValue
        let carrierCode: String
        let phoneNumber: String
        let tariff: String
        /// The verification value of the PIN in field 52 for this card; nil if the block does
        /// not decipher for it (a wrong PIN).
        let enteredPINVerificationValue: KeyedValue?

        /// What identifies "the same contract again": card, carrier, phone number, tariff.
        func contractDigest(_ terms: ContractTerms) -> [UInt8] {
            Array(SHA256.hash(data: lookup.bytes + [0] + Array(terms.carrierCode.utf8) + [0] + Array(terms.phoneNumber.utf8) + [0] + Array(terms.tariff.utf8)))
        }
    }

    var kind: MessageKind { .contractSigning }

    /// The card number (`14`), its keyed digest, and the PIN's verification value for it. The
    /// terms are checked in the transaction: their refusal (`A7`) comes after the card's own.
    func prepare(_ items: ConfidentialData, pinBlock: EncipheredPINBlock, sessionKeys: SessionKeys, rules: HostRules, now: Date) throws -> Result<ContractRequest, Refusal> {
        let cardText = try HostRules.text(items, .cardNumber)
        let carrierCode = try HostRules.text(items, .carrierCode)
        let phoneNumber = try HostRules.text(items, .phoneNumber)
        let tariff = try HostRules.text(items, .tariff)
        guard let pan = try? PrimaryAccountNumber(cardText) else {
            return .failure(Refusal(.invalidCardNumber, "the card number is not 12-19 digits"))
        }
        return .success(ContractRequest(subject: "card:\(pan.masked)", lookup: try rules.cardLookupDigest(pan), carrierCode: carrierCode,
                                        phoneNumber: phoneNumber, tariff: tariff,
                                        enteredPINVerificationValue: try rules.pinVerificationValue(of: pinBlock, pan: pan, pinKey: sessionKeys.pinKey)))
    }

    /// In order: the card opened (`25`), its PIN not locked (`75`), the terms (`A7`), the PIN
    /// (`55`, `75` at the limit), the same contract again (its first reference), a module for
    /// the carrier (`91`) that does not decline (`05`).
    func apply(_ request: ContractRequest, session: SessionRecord, _ c: inout RequestContext, host: HostEngine) async throws -> (code: ResponseCode, reference: String?) {
        let cardSubject = request.subject
        guard var card = try await c.tx.card(lookupDigest: request.lookup.bytes) else {
            return c.refuse(.cardNotOpened, session: session, subject: cardSubject, "the card has not been opened")
        }
        guard !card.isLocked else {
            return c.refuse(.pinTriesExceeded, session: session, subject: cardSubject, "the card's PIN is locked")
        }
        let terms: ContractTerms
        do { terms = try ContractTerms(carrierCode: request.carrierCode, phoneNumber: request.phoneNumber, tariff: request.tariff, registry: host.configuration.carriers) } catch {
            return c.refuse(.invalidContractTerms, session: session, subject: cardSubject, error.message)
        }

        // The PIN: compared by its verification value, in constant time; a block that did not
        // decipher for this card counts as a wrong PIN.
        let pinMatches: Bool
        if let entered = request.enteredPINVerificationValue, let expected = KeyedValue(bytes: card.pinVerificationValue) {
            pinMatches = entered == expected
        } else {
            pinMatches = false
        }
        guard pinMatches else {
            card.consecutivePINFailures += 1
            let locks = card.consecutivePINFailures >= host.configuration.pinTryLimit
            card.isLocked = locks
            try await c.tx.updateCard(card)
            if locks {
                c.record(AuditEvent("card.locked", actor: "host", subject: cardSubject, outcome: ResponseCode.pinTriesExceeded.rawValue,
                                    details: "\(card.consecutivePINFailures) wrong PINs in a row; an administrator must unlock it"))
                return c.refuse(.pinTriesExceeded, session: session, subject: cardSubject, "wrong PIN (\(card.consecutivePINFailures) in a row)")
            }
            return c.refuse(.incorrectPIN, session: session, subject: cardSubject, "wrong PIN (\(card.consecutivePINFailures) in a row)")
        }
        if card.consecutivePINFailures != 0 {
            card.consecutivePINFailures = 0
            try await c.tx.updateCard(card)
        }

        // The same contract again (a terminal that lost the first answer) gets its reference.
        let digest = request.contractDigest(terms)
        if let existing = try await c.tx.contract(digest: digest) {
            c.record(AuditEvent("contract.repeated", actor: HostEngine.actor(c, session), subject: cardSubject, details: "same contract as \(existing.reference)"))
            return (.approved, existing.reference)
        }
        guard let carrier = host.configuration.carriers.carrier(code: terms.carrierCode), let module = host.modules.module(named: carrier.module) else {
            return c.refuse(.businessModuleUnavailable, session: session, subject: cardSubject, "no business module serves carrier \(terms.carrierCode)")
        }
        let contract = ContractRecord(
            reference: try await host.nextReference(c.tx), contractDigest: digest, cardID: card.id, carrierCode: terms.carrierCode,
            phoneNumber: terms.phoneNumber, tariff: terms.tariff, customerIdentifier: card.customerIdentifier,
            maskedCardNumber: card.maskedCardNumber, terminalID: c.terminal.id, operatorNumber: session.operatorNumber,
            module: module.name, signedAt: c.now)
        if case .decline(let reason) = module.review(contract.delivery) {
            return c.refuse(.doNotHonour, session: session, subject: cardSubject, "declined by the \(module.name) module: \(reason)")
        }
        try await c.tx.insertContract(contract)
        _ = try await c.tx.insertOutboxEntry(OutboxEntry(id: 0, contractReference: contract.reference, module: module.name,
                                                         nextAttemptAt: c.now, createdAt: c.now))
        c.record(AuditEvent("contract.signed", actor: HostEngine.actor(c, session), subject: cardSubject,
                            details: "reference \(contract.reference), carrier \(terms.carrierCode), phone \(terms.maskedPhoneNumber), tariff \(terms.tariff), module \(module.name)"))
        return (.approved, contract.reference)
    }
}
