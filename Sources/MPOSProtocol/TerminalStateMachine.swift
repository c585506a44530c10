public import Foundation
public import MPOSErrors
import ISO8583
public import MPOSCrypto

/// The terminal's side of the protocol as a value type: it makes every request frame, checks
/// every response frame, and moves between states — no sockets, no clock, no storage (the SDK
/// supplies the time, carries the frames and keeps ``Credentials`` in its key store).
///
///     unenrolled ─enroll→ enrolling ─0810 00→ enrolled ─signOn→ signingOn ─0810 00→ signedIn
///         signedIn ─business request→ awaitingResponse ─0210→ signedIn
///         signedIn ─signOff→ signingOff ─0830→ enrolled (session keys erased; also on 12)
///         signedIn ─signOn→ signingOn (a new session replaces the old one; a refusal keeps it)
///         enrolled or signedIn ─echo→ awaitingResponse ─0810→ where it was
///         any response A1 (keys outdated) → enrolled (session keys erased; sign on again)
///         a business response 12 (the host has no session) → enrolled (session keys erased)
///
/// One request is outstanding at a time; a response that does not answer it (MTI, STAN,
/// terminal ID) is refused and changes nothing.
public struct TerminalStateMachine: Sendable {
    /// What the terminal keeps across restarts (in its key store).
    public struct Credentials: Sendable {
        public let terminalID: String
        public let deviceSigning: SigningPrivateKey
        public let deviceSealing: SealingPrivateKey
        /// The host's keys, pinned at enrollment.
        public internal(set) var hostSigning: SigningPublicKey?
        public internal(set) var hostSealing: SealingPublicKey?
        /// The terminal master key and the key set it came with, from the last sign-on.
        public internal(set) var masterKey: AESKey<KeyBlockProtection>?
        public internal(set) var masterKeySet: KeySetIdentifier?

        public init(terminalID: String, deviceSigning: SigningPrivateKey = SigningPrivateKey(), deviceSealing: SealingPrivateKey = SealingPrivateKey()) {
            self.terminalID = terminalID
            self.deviceSigning = deviceSigning
            self.deviceSealing = deviceSealing
        }

        public var isEnrolled: Bool { hostSigning != nil && hostSealing != nil }
    }

    public enum State: Sendable, Equatable {
        case unenrolled, enrolling, enrolled, signingOn, signedIn, awaitingResponse, signingOff

        public var isBusy: Bool { [.enrolling, .signingOn, .awaitingResponse, .signingOff].contains(self) }
    }

    /// What a response did.
    public enum Outcome: Sendable, Equatable {
        case enrolled
        case signedIn(KeySetIdentifier)
        /// A business response: its code (`00` or a refusal) and the host's reference.
        case answered(ResponseCode, retrievalReference: String?)
        case signedOff
        /// The host refused the request; for `A1` the session keys are already erased.
        case refused(ResponseCode)
    }

    public typealias Failure = MPOSError<FailureDomain>
    /// The domain of ``Failure``'s codes.
    public enum FailureDomain: Sendable {}

    public private(set) var credentials: Credentials
    public private(set) var state: State
    private var session: SessionKeys?
    private var pending: Pending?
    /// The last STAN used: the SDK saves it before each request is sent, so STANs keep
    /// increasing across restarts.
    package private(set) var lastSTAN: Int
    /// The latest field 7 sent. Field 7 never goes back: a request made after the device's clock
    /// was stepped back carries this time again (with a higher STAN), so the host's rule that
    /// signed requests come in order (docs/protocol.md §5.7) holds without waiting for the clock
    /// to catch up — as long as that time is still within the host's skew.
    package private(set) var lastTransmissionTime: Date?
    private let codec = ISO8583Codec(specification: .mpos)

    public init(credentials: Credentials, lastSTAN: Int = 0) {
        self.credentials = credentials
        self.state = credentials.isEnrolled ? .enrolled : .unenrolled
        self.lastSTAN = lastSTAN
    }

    /// With the latest field 7 sent, as the key store kept it.
    package init(credentials: Credentials, lastSTAN: Int, lastTransmissionTime: Date?) {
        self.init(credentials: credentials, lastSTAN: lastSTAN)
        self.lastTransmissionTime = lastTransmissionTime
    }

    /// The session's keys while signed in (the SDK never needs them: requests are made here).
    public var isSignedIn: Bool { session != nil }

    /// The session keys, inside the mpos package only: for a key store that keeps a session
    /// across restarts of a simulator, and for showing check values.
    package var sessionKeys: SessionKeys? { session }

    /// Puts back a request whose answer was still awaited when a simulator's process ended
    /// (its frame, as kept in the key store), so its retransmission — the same frame — can be
    /// answered. An enrollment needs its code (to check the answer). False if the frame is not one.
    package mutating func restoreOutstandingRequest(_ frame: [UInt8], enrollmentCode: EnrollmentCode? = nil) -> Bool {
        guard !state.isBusy, let message = try? codec.decode(frame), let kind = MessageKind(request: message),
              message.text(MPOSField.terminalID) == credentials.terminalID, let stan = message.text(MPOSField.systemTraceAuditNumber),
              kind.processingCode == nil || session != nil,
              kind == .enrollment ? (enrollmentCode != nil && state == .unenrolled) : state != .unenrolled
        else { return false }
        pending = Pending(kind: kind, stan: stan, enrollmentCode: enrollmentCode, frame: frame)
        switch kind {
        case .enrollment: state = .enrolling
        case .signOn: state = .signingOn
        case .signOff: state = .signingOff
        default: state = .awaitingResponse
        }
        return true
    }

    /// The outstanding request's enrollment code, for a key store that keeps the request.
    package var outstandingEnrollmentCode: EnrollmentCode? { pending?.enrollmentCode }

    /// Gives up on an outstanding echo test, which changes nothing on either side: the
    /// terminal is where it was, its STAN still used. False if the outstanding request is not one.
    package mutating func forgetOutstandingEcho() -> Bool {
        guard pending?.kind == .echoTest else { return false }
        pending = nil
        state = session == nil ? .enrolled : .signedIn
        return true
    }

    /// A signed-in terminal restored from its key store (a simulator whose every command is a
    /// new process). Requires the credentials of an enrolled terminal.
    package init(credentials: Credentials, lastSTAN: Int, session: SessionKeys?, lastTransmissionTime: Date? = nil) {
        self.init(credentials: credentials, lastSTAN: lastSTAN, lastTransmissionTime: lastTransmissionTime)
        if let session, credentials.isEnrolled {
            self.session = session
            self.state = .signedIn
        }
    }

    // MARK: Requests

    public mutating func enroll(code: EnrollmentCode, at time: Date) throws -> [UInt8] {
        try require(state == .unenrolled, "enrollment is for an unenrolled terminal")
        var message = header(.enrollment, time: time)
        message[MPOSField.publicKeys] = EnrollmentSecurity.publicKeysField(signing: credentials.deviceSigning.publicKey, sealing: credentials.deviceSealing.publicKey)
        let frame = try EnrollmentSecurity.protectRequest(message, signingKey: credentials.deviceSigning, code: code, terminalID: credentials.terminalID, codec: codec)
        start(.enrollment, message, frame: frame, code: code, next: .enrolling)
        return frame
    }

    /// From signed out, or from signed in: a new sign-on replaces the session (the host
    /// revokes the previous one), which is how a terminal whose session the host ended — and
    /// that cannot tell until it next speaks — gets going again.
    public mutating func signOn(operator credentials: OperatorCredentials, at time: Date) throws -> [UInt8] {
        try require(state == .enrolled || state == .signedIn, "sign-on needs an enrolled terminal")
        return try networkRequest(.signOn, credentials, at: time, next: .signingOn)
    }

    public mutating func signOff(operator credentials: OperatorCredentials, at time: Date) throws -> [UInt8] {
        try require(state == .signedIn, "sign-off needs a signed-in terminal")
        return try networkRequest(.signOff, credentials, at: time, next: .signingOff)
    }

    /// Echo test (0800/301): proves both ends and the path, signed in or out; changes nothing.
    public mutating func echo(at time: Date) throws -> [UInt8] {
        try require(state == .enrolled || state == .signedIn, "an echo test needs an enrolled terminal")
        let message = header(.echoTest, time: time)
        let frame = try MessageSignature.sign(message, with: credentials.deviceSigning, codec: codec)
        start(.echoTest, message, frame: frame, code: nil, next: .awaitingResponse)
        return frame
    }

    /// Card opening or contract signing: the PIN becomes a format 4 block here and is not kept.
    public mutating func businessRequest(_ kind: MessageKind, pin: PIN, cardNumber: PrimaryAccountNumber, confidential: ConfidentialData, at time: Date) throws -> [UInt8] {
        try require(state == .signedIn, "a business message needs a signed-in terminal")
        try require(kind.processingCode != nil, "\(kind) is not a business message")
        guard let session else { throw Failure(code: .wrongState, message: "no session keys") }
        var message = header(kind, time: time)
        message[MPOSField.pinBlock] = try PINBlockFormat4.encipher(pin, pan: cardNumber, using: session.pinKey).bytes
        let frame = try BusinessMessageSecurity.protect(message, confidential: confidential, keys: session, codec: codec)
        start(kind, message, frame: frame, code: nil, next: .awaitingResponse)
        return frame
    }

    // MARK: Responses

    /// Checks a response frame against the outstanding request and applies it.
    public mutating func receive(_ frame: [UInt8]) throws -> Outcome {
        guard let pending, state.isBusy else { throw Failure(code: .notTheResponse, message: "no request is outstanding") }
        let authenticated: AuthenticatedMessage
        do {
            switch pending.kind {
            case .enrollment:
                let verified: (message: AuthenticatedMessage, signing: SigningPublicKey, sealing: SealingPublicKey)
                do {
                    verified = try EnrollmentSecurity.verifyResponse(frame, answering: pending.frame, codec: codec, code: pending.enrollmentCode!, terminalID: credentials.terminalID)
                } catch {
                    // Before enrollment no host key is pinned, and a host that does not know the
                    // terminal or its code cannot prove itself: a refusal that answers this request
                    // is taken as a refusal (it pins nothing, approves nothing), anything else not.
                    if let refusal = try? codec.decode(frame), (try? answers(refusal, pending)) != nil,
                       let code = refusal.text(MPOSField.responseCode).flatMap(ResponseCode.init(rawValue:)), code != .approved {
                        self.pending = nil
                        state = .unenrolled
                        return .refused(code)
                    }
                    throw error
                }
                authenticated = verified.message
                try answers(authenticated.message, pending)
                if authenticated.message.text(MPOSField.responseCode) == ResponseCode.approved.rawValue {
                    credentials.hostSigning = verified.signing
                    credentials.hostSealing = verified.sealing
                }
            case .signOn, .signOff, .echoTest:
                authenticated = try MessageSignature.verifyResponse(frame, answering: pending.frame, codec: codec, signer: credentials.hostSigning!)
                try answers(authenticated.message, pending)
            case .cardOpening, .contractSigning:
                // A refusal the host cannot MAC (the keys are revoked, or the terminal is
                // unknown to it) comes signed by the host instead; an approval never does.
                if (try? codec.decode(frame))?[MPOSField.signature] != nil {
                    authenticated = try MessageSignature.verifyResponse(frame, answering: pending.frame, codec: codec, signer: credentials.hostSigning!)
                    guard authenticated.message.text(MPOSField.responseCode) != ResponseCode.approved.rawValue else {
                        throw Failure(code: .invalidResponse, message: "a signed business response can only be a refusal")
                    }
                } else {
                    authenticated = try BusinessMessageSecurity.verify(frame, codec: codec, macKey: session!.macKey)
                }
                try answers(authenticated.message, pending)
            }
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(code: .invalidResponse, message: "the response does not verify: \(error)")
        }
        let message = authenticated.message
        guard let code = message.text(MPOSField.responseCode).flatMap(ResponseCode.init(rawValue:)) else {
            throw Failure(code: .invalidResponse, message: "the response has no known response code")
        }
        self.pending = nil
        if code == .keysOutdated {
            eraseSession()
            return .refused(code)
        }
        switch pending.kind {
        case .enrollment:
            state = code == .approved ? .enrolled : .unenrolled
            return code == .approved ? .enrolled : .refused(code)
        case .signOn:
            // A refusal leaves the host's current session as it was (only A1, above, ends
            // it): so here too.
            guard code == .approved else {
                state = session == nil ? .enrolled : .signedIn
                return .refused(code)
            }
            do {
                guard let keySet = KeySetIdentifier(field: message.text(MPOSField.keySetIdentifier) ?? "") else {
                    throw ProtocolError(.missingOrUnexpectedField, "field 53 is missing")
                }
                if let envelope = message[MPOSField.sealedEnvelope] {
                    credentials.masterKey = try SignOnSecurity.openMasterKey(envelope, with: credentials.deviceSealing, terminalID: credentials.terminalID, keySet: keySet)
                    credentials.masterKeySet = keySet
                }
                guard let masterKey = credentials.masterKey, credentials.masterKeySet?.baseKeyVersion == keySet.baseKeyVersion else {
                    throw ProtocolError(.keyDeliveryInvalid, "no terminal master key for base key version \(keySet.baseKeyVersion)")
                }
                session = try SignOnSecurity.sessionKeys(fromKeyBlocksField: message.text(MPOSField.keyBlocks) ?? "", under: masterKey, keySet: keySet)
                state = .signedIn
                return .signedIn(keySet)
            } catch {
                state = .enrolled
                throw Failure(code: .invalidResponse, message: "the sign-on response's keys are unusable: \(error)")
            }
        case .signOff:
            // 12: the host holds no session for the terminal (an administrator ended it): the
            // keys are useless, the terminal is signed out as far as anyone is concerned.
            if code == .approved || code == .invalidTransaction {
                eraseSession()
                return code == .approved ? .signedOff : .refused(code)
            }
            state = .signedIn
            return .refused(code)
        case .cardOpening, .contractSigning:
            if code == .invalidTransaction {
                // The host holds no session for this terminal: its keys are useless.
                eraseSession()
                return .refused(code)
            }
            state = .signedIn
            return .answered(code, retrievalReference: message.text(MPOSField.retrievalReferenceNumber))
        case .echoTest:
            state = session == nil ? .enrolled : .signedIn
            return .answered(code, retrievalReference: nil)
        }
    }

    // MARK: Helpers

    private mutating func networkRequest(_ kind: MessageKind, _ operatorCredentials: OperatorCredentials, at time: Date, next: State) throws -> [UInt8] {
        guard let hostSealing = credentials.hostSealing else { throw Failure(code: .wrongState, message: "not enrolled") }
        var message = header(kind, time: time)
        try SignOnSecurity.sealCredentials(operatorCredentials, into: &message, to: hostSealing)
        let frame = try MessageSignature.sign(message, with: credentials.deviceSigning, codec: codec)
        start(kind, message, frame: frame, code: nil, next: next)
        return frame
    }

    private mutating func header(_ kind: MessageKind, time: Date) -> ISO8583Message {
        lastSTAN = lastSTAN % 999_999 + 1
        let stan = String(lastSTAN)
        let time = max(time, lastTransmissionTime ?? time)
        lastTransmissionTime = time
        return kind.request(transmissionTime: TransmissionDateTime(time).field,
                            stan: String(repeating: "0", count: 6 - stan.count) + stan, terminalID: credentials.terminalID)
    }

    /// The outstanding request: what it was, its STAN, and its frame (a signed response must
    /// carry the frame's digest).
    private struct Pending {
        let kind: MessageKind
        let stan: String
        let enrollmentCode: EnrollmentCode?
        let frame: [UInt8]
    }

    private mutating func start(_ kind: MessageKind, _ message: ISO8583Message, frame: [UInt8], code: EnrollmentCode?, next: State) {
        pending = Pending(kind: kind, stan: message.text(MPOSField.systemTraceAuditNumber)!, enrollmentCode: code, frame: frame)
        state = next
    }

    /// The response must answer the outstanding request: its MTI, STAN and terminal ID.
    private func answers(_ message: ISO8583Message, _ pending: Pending) throws {
        guard message.mti == pending.kind.responseMTI, message.text(MPOSField.systemTraceAuditNumber) == pending.stan,
              message.text(MPOSField.terminalID) == credentials.terminalID
        else { throw Failure(code: .notTheResponse, message: "the response does not answer the outstanding \(pending.kind)") }
    }

    /// Sign-off or keys outdated: the session keys are dropped (the TMK stays: it is the
    /// terminal's own until the base master key version changes).
    private mutating func eraseSession() {
        session = nil
        state = .enrolled
    }

    private func require(_ condition: Bool, _ message: String) throws {
        guard condition else { throw Failure(code: .wrongState, message: "\(message) (state: \(state))") }
    }
}

extension ErrorCodeOf where Domain == TerminalStateMachine.FailureDomain {
    public static var wrongState: Self { Self("terminal.state") }
    public static var notTheResponse: Self { Self("terminal.response") }
    public static var invalidResponse: Self { Self("terminal.invalid") }
        
}
