import Foundation
import ISO8583
import MPOSCrypto
import MPOSProtocol

/// What the host does with one kind of business request (card opening, contract signing):
/// after the checks every business request passes (``HostEngine/businessRequest(_:early:_:)``).
protocol BusinessOperation: Sendable {
    associatedtype Ready: Sendable

    var kind: MessageKind { get }

    /// No store: the items of field 61 (exactly the kind's `confidentialDataTags`) and the PIN
    /// block, under the session's keys, with the host's keys and rules — the cryptography and
    /// the rules that need nothing stored. Runs before the transaction when this node holds
    /// the session's keys. Throws only for a failure of the host's own (answered `96`).
    func prepare(_ items: ConfidentialData, pinBlock: EncipheredPINBlock, sessionKeys: SessionKeys, rules: HostRules, now: Date) throws -> Result<Ready, Refusal>

    /// In the request's transaction: the rules that need the store, and the effects. Returns the
    /// response code and, for an approval, the reference (field 37).
    func apply(_ ready: Ready, session: SessionRecord, _ c: inout RequestContext, host: HostEngine) async throws -> (code: ResponseCode, reference: String?)
}

/// A business request after the work that needs no store.
enum Preparation<Ready: Sendable>: Sendable {
    /// Field 64 does not verify under the session's MAC key (`A0`).
    case unauthenticated
    /// Authentic, but field 61 or the operation's rules refuse it: applied after the session's
    /// checks (staleness, a requested sign-on), before the operation's store checks.
    case refused(Refusal)
    case ready(Ready)
}

/// A preparation and the session keys it was made under (the row's key blocks they came from).
struct PreparedBusinessRequest<Ready: Sendable>: Sendable {
    let blocks: SessionKeyCache.Blocks
    let keys: SessionKeys
    let preparation: Preparation<Ready>
}

extension HostEngine {
    /// The checks of a business request, in order (docs/protocol.md §4.4): enrolled (`03`),
    /// not blocked (`58`), the exact request again (its response again), field 53's session
    /// (`12`/`A1`), the MAC (`A0`), other content under a STAN of this session (`94`), time
    /// (`A4`), a sign-on an administrator asked for (`A1`); then the preparation's refusal, if
    /// any, and the operation.
    func businessRequest<Operation: BusinessOperation>(_ operation: Operation, early: PreparedBusinessRequest<Operation.Ready>?,
                                                       _ c: inout RequestContext) async throws -> Outcome {
        guard c.terminal.enrollment == .enrolled else { return try signedResponse(c, .invalidTerminal) }
        guard !c.terminal.isBlocked else {
            c.recordUnprovenRefusal(.terminalBlocked, "terminal blocked")
            return try signedResponse(c, .terminalBlocked)
        }
        // The exact request again gets the response already sent, whatever became of its
        // session since: a terminal that lost its 0210 and then signed on anew, or was signed
        // off, must still learn the outcome. Its bytes were authenticated when first answered.
        let logged = try await c.loggedEntry()
        if case .retransmission(let response) = c.check(logged, session: 0) { return .retransmission(response, codec: codec) }
        guard let keySet = c.message.text(MPOSField.keySetIdentifier).flatMap(KeySetIdentifier.init(field:)) else {
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
            c.recordRefusal(.keysOutdated, "keys of session \(session.number) are revoked (\(session.endReason?.rawValue ?? "superseded"))")
            return try signedResponse(c, .keysOutdated)
        }
        let prepared: PreparedBusinessRequest<Operation.Ready>
        if let early, early.blocks == SessionKeyCache.Blocks(session) {
            prepared = early
        } else {
            let (keys, blocks) = try sessionKeys(of: session, keySet: keySet)
            prepared = try prepare(operation, frame: c.request.frame, sessionKeys: keys, blocks: blocks, now: c.now)
        }
        let keys = prepared.keys
        if case .unauthenticated = prepared.preparation {
            c.recordUnprovenRefusal(.macFailure, "MAC does not verify")
            return try protect(c.kind.response(to: c.message, code: .macFailure), code: .macFailure, keys)
        }
        c.authenticated = true
        if case .conflict = c.check(logged, session: session.number) {
            return try protect(c.kind.response(to: c.message, code: .duplicateTransmission), code: .duplicateTransmission, keys)
        }
        let answer: (code: ResponseCode, reference: String?)
        if !c.isFresh(skew: configuration.permittedClockSkew) {
            c.recordRefusal(.staleMessage, "transmission time outside the skew")
            answer = (.staleMessage, nil)
        } else if c.terminal.signOnRequested {
            c.terminal.lastSeenAt = c.now
            // An administrator asked this terminal to sign on again (e.g. after a rotation).
            try await endSession(session.number, reason: .forced, c)
            c.terminal.currentSession = nil
            c.terminal.signOnRequested = false
            c.recordRefusal(.keysOutdated, "sign-on requested by an administrator; session \(session.number) ended")
            answer = (.keysOutdated, nil)
        } else {
            c.terminal.lastSeenAt = c.now
            switch prepared.preparation {
            case .unauthenticated: preconditionFailure("answered A0 above")
            case .refused(let refusal):
                c.recordRefusal(refusal.code, actor: Self.actor(c, session), subject: refusal.subject, refusal.details)
                answer = (refusal.code, nil)
            case .ready(let ready):
                answer = try await operation.apply(ready, session: session, &c, host: self)
            }
        }
        var response = c.kind.response(to: c.message, code: answer.code)
        if let reference = answer.reference { response.setText(MPOSField.retrievalReferenceNumber, reference) }
        let outcome = try protect(response, code: answer.code, keys)
        try await c.tx.updateTerminal(c.terminal)
        try await c.logResponse(outcome.response, session: session.number, host: self)
        return outcome
    }

    /// Who acts in a business request: the terminal and the operator who signed it on.
    static func actor(_ c: RequestContext, _ session: SessionRecord) -> String {
        "\(c.actor)/operator:\(session.operatorNumber)"
    }

    private func protect(_ response: ISO8583Message, code: ResponseCode, _ keys: SessionKeys) throws -> Outcome {
        Outcome(response: try BusinessMessageSecurity.protect(response, confidential: nil, keys: keys, codec: codec), code: code)
    }

    // MARK: The work that needs no store

    /// The MAC checked, field 61 opened and checked against the kind's items, then the
    /// operation's own preparation.
    func prepare<Operation: BusinessOperation>(_ operation: Operation, frame: [UInt8], sessionKeys: SessionKeys,
                                               blocks: SessionKeyCache.Blocks, now: Date) throws -> PreparedBusinessRequest<Operation.Ready> {
        func prepared(_ preparation: Preparation<Operation.Ready>) -> PreparedBusinessRequest<Operation.Ready> {
            PreparedBusinessRequest(blocks: blocks, keys: sessionKeys, preparation: preparation)
        }
        guard let authenticated = try? BusinessMessageSecurity.verify(frame, codec: codec, macKey: sessionKeys.macKey) else {
            return prepared(.unauthenticated)
        }
        let items: ConfidentialData, pinBlock: EncipheredPINBlock
        do {
            items = try BusinessMessageSecurity.openConfidentialData(of: authenticated, using: sessionKeys.dataKey)
            guard Set(items.items.map(\.tag)) == operation.kind.confidentialDataTags else {
                throw ProtocolError(.confidentialDataInvalid, "field 61 must hold exactly the items the operation takes")
            }
            // Present and 16 bytes: the field set and the codec saw to it.
            guard let bytes = authenticated.message[MPOSField.pinBlock], let block = try? EncipheredPINBlock(bytes: bytes) else {
                throw ProtocolError(.missingOrUnexpectedField, "field 52, the PIN block, is missing")
            }
            pinBlock = block
        } catch let error as ProtocolError {
            return prepared(.refused(Refusal(error.responseCode, error.message)))
        }
        switch try operation.prepare(items, pinBlock: pinBlock, sessionKeys: sessionKeys, rules: rules, now: now) {
        case .success(let ready): return prepared(.ready(ready))
        case .failure(let refusal): return prepared(.refused(refusal))
        }
    }

    /// Before the transaction: the preparation, if this node holds the keys of the session
    /// field 53 names (checked again, against the session's row, in the transaction).
    func prepareFromCache<Operation: BusinessOperation>(_ operation: Operation, _ request: IncomingRequest) -> PreparedBusinessRequest<Operation.Ready>? {
        guard let keySet = request.message.text(MPOSField.keySetIdentifier).flatMap(KeySetIdentifier.init(field:)),
              let entry = sessionKeyCache.entry(session: Int64(keySet.session)), entry.keys.keySet == keySet
        else { return nil }
        return try? prepare(operation, frame: request.frame, sessionKeys: entry.keys, blocks: entry.blocks, now: request.now)
    }

    /// The next reference (field 37): 12 digits.
    func nextReference(_ tx: any HostTransaction) async throws -> String {
        let value = String(try await tx.nextSequenceValue("reference"))
        return String(repeating: "0", count: max(0, 12 - value.count)) + value
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
}

extension RequestContext {
    /// Records a business operation's refusal (actor: the terminal and its operator) and gives
    /// its answer.
    mutating func refuse(_ code: ResponseCode, session: SessionRecord, subject: String, _ details: String) -> (code: ResponseCode, reference: String?) {
        recordRefusal(code, actor: HostEngine.actor(self, session), subject: subject, details)
        return (code, nil)
    }
}
