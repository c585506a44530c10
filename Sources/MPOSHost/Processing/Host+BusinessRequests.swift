import Foundation
import ISO8583
import MPOSCrypto
import MPOSProtocol

// Card opening and contract signing: 0200 business messages under the session's keys.
extension HostEngine {
    func businessRequest(_ c: inout RequestContext) async throws -> [UInt8] {
        guard c.terminal.enrollment == .enrolled else { return try signedResponse(c, .invalidTerminal) }
        guard !c.terminal.isBlocked else {
            audit(AuditEvent("\(c.kind.auditName).refused", actor: c.actor, subject: c.subject, outcome: "58", details: "terminal blocked"), c)
            return try signedResponse(c, .terminalBlocked)
        }
        guard let keySet = c.request.text(MPOSField.keySetIdentifier).flatMap(KeySetIdentifier.init(field:)) else {
            return try signedResponse(c, .formatError)
        }
        // The keys field 53 names must be this terminal's, and still live; revoked keys are
        // erased, so a refusal for them is signed rather than MACed.
        guard let session = try await c.tx.session(number: Int64(keySet.session)), session.terminalID == c.terminal.id,
              session.baseKeyVersion == keySet.baseKeyVersion
        else {
            return try signedResponse(c, c.terminal.currentSession == nil ? .invalidTransaction : .keysOutdated)
        }
        guard session.isActive, c.terminal.currentSession == session.number else {
            sessionKeyCache.remove(session: session.number)
            audit(AuditEvent("\(c.kind.auditName).refused", actor: c.actor, subject: c.subject, outcome: "A1",
                                       details: "keys of session \(session.number) are revoked (\(session.endReason?.rawValue ?? "superseded"))"), c)
            return try signedResponse(c, .keysOutdated)
        }
        let prepared: PreparedBusinessRequest
        if let early = c.prepared, early.blocks == SessionKeyCache.Blocks(session) {
            prepared = early
        } else {
            let (keys, blocks) = try sessionKeys(of: session, keySet: keySet)
            prepared = prepare(c.kind, frame: c.frame, terminalID: c.terminal.id, sessionKeys: keys, blocks: blocks, now: c.now)
        }
        let sessionKeys = prepared.keys
        guard let preparedOperation = prepared.operation else {
            audit(AuditEvent("\(c.kind.auditName).refused", actor: c.actor, subject: c.subject, outcome: "A0", details: "MAC does not verify"), c)
            return try protect(c.kind.response(to: c.request, code: .macFailure), sessionKeys)
        }
        switch try await checkMessageLog(c, session: session.number) {
        case .retransmission(let response): return response
        case .conflict: return try protect(c.kind.response(to: c.request, code: .duplicateTransmission), sessionKeys)
        case .new: break
        }
        var outcome: (code: ResponseCode, reference: String?)
        if isFresh(c) { c.terminal.lastSeenAt = c.now }
        if !isFresh(c) {
            audit(AuditEvent("\(c.kind.auditName).refused", actor: c.actor, subject: c.subject, outcome: "A4", details: "transmission time outside the skew"), c)
            outcome = (.staleMessage, nil)
        } else if c.terminal.signOnRequested {
            // An administrator asked this terminal to sign on again (e.g. after a rotation).
            try await endSession(session.number, reason: .forced, c)
            c.terminal.currentSession = nil
            c.terminal.signOnRequested = false
            audit(AuditEvent("\(c.kind.auditName).refused", actor: c.actor, subject: c.subject, outcome: "A1",
                                       details: "sign-on requested by an administrator; session \(session.number) ended"), c)
            outcome = (.keysOutdated, nil)
        } else {
            let operation = BusinessOperation(context: c, session: session)
            do {
                switch try preparedOperation.get() {
                case .cardOpening(let input): outcome = try await openCard(input, operation)
                case .contractSigning(let input): outcome = try await signContract(input, operation)
                }
            } catch let error as ProtocolError {
                audit(AuditEvent("\(c.kind.auditName).refused", actor: operation.actor, subject: c.subject,
                                           outcome: error.responseCode.rawValue, details: error.message), c)
                outcome = (error.responseCode, nil)
            }
        }
        var response = c.kind.response(to: c.request, code: outcome.code)
        if let reference = outcome.reference { response.setText(MPOSField.retrievalReferenceNumber, reference) }
        let bytes = try protect(response, sessionKeys)
        try await c.tx.updateTerminal(c.terminal)
        try await logResponse(bytes, for: c, session: session.number)
        return bytes
    }

    private func protect(_ response: ISO8583Message, _ keys: SessionKeys) throws -> [UInt8] {
        try BusinessMessageSecurity.protect(response, confidential: nil, keys: keys, codec: codec)
    }

    /// One authenticated, fresh business request of the current session.
    struct BusinessOperation {
        let context: RequestContext
        let session: SessionRecord

        var tx: any HostTransaction { context.tx }
        var actor: String { "\(context.actor)/operator:\(session.operatorNumber)" }
    }

    /// The session's keys: this node's cached copy if it was unwrapped from these very blocks,
    /// else unwrapped from them under the LMK (and cached for the session's next requests).
    private func sessionKeys(of session: SessionRecord, keySet: KeySetIdentifier) throws -> (SessionKeys, SessionKeyCache.Blocks) {
        let blocks = SessionKeyCache.Blocks(session)
        if let entry = sessionKeyCache.entry(session: session.number) {
            if entry.blocks == blocks, entry.keys.keySet == keySet { return (entry.keys, blocks) }
            sessionKeyCache.remove(session: session.number)
        }
        let keys = SessionKeys(pinKey: try lmk.load(session.pinKeyBlock, as: PINEncryption.self),
                               macKey: try lmk.load(session.macKeyBlock, as: MessageAuthentication.self),
                               dataKey: try lmk.load(session.dataKeyBlock, as: DataEncryption.self), keySet: keySet)
        sessionKeyCache.insert(SessionKeyCache.Entry(blocks: blocks, keys: keys), session: session.number)
        return (keys, blocks)
    }

    private func refuse(_ operation: BusinessOperation, _ code: ResponseCode, subject: String, _ details: String) async throws -> (ResponseCode, String?) {
        audit(AuditEvent("\(operation.context.kind.auditName).refused", actor: operation.actor, subject: subject,
                                   outcome: code.rawValue, details: details), operation.context)
        return (code, nil)
    }

    private func nextReference(_ tx: any HostTransaction) async throws -> String {
        let value = String(try await tx.nextSequenceValue("reference"))
        return String(repeating: "0", count: max(0, 12 - value.count)) + value
    }

    // MARK: Card opening (0200/910000)

    /// Binds card number, customer identifier and PIN: the card is stored encrypted with a keyed
    /// digest to find it, the customer by a keyed digest of the identity document, the PIN as
    /// a verification value. None of the three is kept in clear.
    private func openCard(_ input: PreparedBusinessRequest.Checked<PreparedBusinessRequest.NewCard>, _ operation: BusinessOperation) async throws -> (code: ResponseCode, reference: String?) {
        let card: PreparedBusinessRequest.NewCard
        switch input {
        case .refused(let refusal): return try await refuse(operation, refusal.code, subject: refusal.subject, refusal.details)
        case .ready(let newCard): card = newCard
        }
        guard try await operation.tx.card(lookupDigest: card.lookup.bytes) == nil else {
            return try await refuse(operation, .cardAlreadyOpened, subject: card.subject, "the card is already open")
        }
        let reference = try await nextReference(operation.tx)
        try await operation.tx.insertCard(CardRecord(
            id: try await operation.tx.nextSequenceValue("card"), lookupDigest: card.lookup.bytes, encryptedCardNumber: card.encryptedCardNumber,
            maskedCardNumber: card.maskedCardNumber, customerIdentifier: card.customerIdentifier, identityDocumentType: card.identityDocumentType,
            pinVerificationValue: card.pinVerificationValue.bytes,
            openedAt: operation.context.now, openedByTerminal: operation.context.terminal.id, openedByOperator: operation.session.operatorNumber,
            openingReference: reference))
        audit(AuditEvent("card.opened", actor: operation.actor, subject: card.subject,
                         details: "reference \(reference), customer \(card.customerIdentifier.prefix(8))…, identity document type \(card.identityDocumentType)"),
              operation.context)
        return (.approved, reference)
    }

    // MARK: Contract signing (0200/920000)

    private func signContract(_ input: PreparedBusinessRequest.Checked<PreparedBusinessRequest.ContractRequest>, _ operation: BusinessOperation) async throws -> (code: ResponseCode, reference: String?) {
        let request: PreparedBusinessRequest.ContractRequest
        switch input {
        case .refused(let refusal): return try await refuse(operation, refusal.code, subject: refusal.subject, refusal.details)
        case .ready(let contractRequest): request = contractRequest
        }
        let cardSubject = request.subject
        guard var card = try await operation.tx.card(lookupDigest: request.lookup.bytes) else {
            return try await refuse(operation, .cardNotOpened, subject: cardSubject, "the card has not been opened")
        }
        guard !card.isLocked else {
            return try await refuse(operation, .pinTriesExceeded, subject: cardSubject, "the card's PIN is locked")
        }
        let terms: ContractTerms
        switch request.terms {
        case .success(let valid): terms = valid
        case .failure(let error): return try await refuse(operation, .invalidContractTerms, subject: cardSubject, error.message)
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
            let locks = card.consecutivePINFailures >= configuration.pinTryLimit
            card.isLocked = locks
            try await operation.tx.updateCard(card)
            if locks {
                audit(AuditEvent("card.locked", actor: "host", subject: cardSubject, outcome: "75",
                                           details: "\(card.consecutivePINFailures) wrong PINs in a row; an administrator must unlock it"), operation.context)
                return try await refuse(operation, .pinTriesExceeded, subject: cardSubject, "wrong PIN (\(card.consecutivePINFailures) in a row)")
            }
            return try await refuse(operation, .incorrectPIN, subject: cardSubject, "wrong PIN (\(card.consecutivePINFailures) in a row)")
        }
        if card.consecutivePINFailures != 0 {
            card.consecutivePINFailures = 0
            try await operation.tx.updateCard(card)
        }

        // The same contract again (a terminal that lost the first answer) gets its reference.
        let digest = request.contractDigest(terms)
        if let existing = try await operation.tx.contract(digest: digest) {
            audit(AuditEvent("contract.repeated", actor: operation.actor, subject: cardSubject,
                                       details: "same contract as \(existing.reference)"), operation.context)
            return (.approved, existing.reference)
        }
        guard let carrier = configuration.carriers.carrier(code: terms.carrierCode), let module = modules.module(named: carrier.module) else {
            return try await refuse(operation, .businessModuleUnavailable, subject: cardSubject, "no business module serves carrier \(terms.carrierCode)")
        }
        let contract = ContractRecord(
            reference: try await nextReference(operation.tx), contractDigest: digest, cardID: card.id, carrierCode: terms.carrierCode,
            phoneNumber: terms.phoneNumber, tariff: terms.tariff, customerIdentifier: card.customerIdentifier,
            maskedCardNumber: card.maskedCardNumber, terminalID: operation.context.terminal.id, operatorNumber: operation.session.operatorNumber,
            module: module.name, signedAt: operation.context.now)
        if case .decline(let reason) = module.review(contract.delivery) {
            return try await refuse(operation, .doNotHonour, subject: cardSubject, "declined by the \(module.name) module: \(reason)")
        }
        try await operation.tx.insertContract(contract)
        _ = try await operation.tx.insertOutboxEntry(OutboxEntry(id: 0, contractReference: contract.reference, module: module.name,
                                                                 nextAttemptAt: operation.context.now, createdAt: operation.context.now))
        audit(AuditEvent("contract.signed", actor: operation.actor, subject: cardSubject,
                                   details: "reference \(contract.reference), carrier \(terms.carrierCode), phone \(terms.maskedPhoneNumber), tariff \(terms.tariff), module \(module.name)"),
                        operation.context)
        return (.approved, contract.reference)
    }
}

extension ProtocolError {
    static func missing(_ message: String) -> ProtocolError { ProtocolError(.missingOrUnexpectedField, message) }
}
