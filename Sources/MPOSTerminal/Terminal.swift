public import Foundation
public import MPOSProtocol
import ISO8583
import MPOSCrypto
import NIOConcurrencyHelpers

/// An mpos terminal: the protocol's terminal state machine (``TerminalStateMachine``, which
/// makes every request and checks every response) driven over a ``FrameTransport``, with its
/// keys in a ``TerminalKeyStore``.
///
/// **One operation at a time.** A call made while another is running fails at once with
/// ``TerminalError/Code/wrongState`` (rather than queueing: a queued card opening behind a
/// sign-off would run under the wrong assumptions).
///
/// **Retransmission.** An unanswered request (timeout, dropped connection, or a response that
/// is not the answer to it) is resent byte for byte — same STAN, same nonces and signature, so
/// the host recognises it and answers from its retransmission cache — up to
/// ``TerminalConfiguration/retransmissions`` times. A request is never made again under a new
/// STAN behind the app's back.
///
/// **Outcome unknown.** If none of those sends is answered, the call throws
/// ``TerminalError/Code/outcomeUnknown`` with a ``PendingRequest`` (operation, terminal ID,
/// STAN, transmission time), and the request stays pending: every other operation is refused
/// until the app either
/// - calls ``resendPendingRequest()`` — the same frame again, as often as it likes, even much
///   later: while the session lives the host answers an exact retransmission with the original
///   response, whatever its age, so this is how a lost answer is recovered (the preferred path); or
/// - calls ``abandonPendingRequest()`` — gives up: the terminal drops its session keys and is
///   signed out (or unenrolled, for an enrollment). That is the only state that is safe without
///   the answer: the host may or may not have committed the request, so the app must not repeat
///   a card opening or contract signing before the administrator has looked it up by the
///   reference; signing on again is a deliberate step by the operator.
///
/// If no send could even connect, nothing left the terminal: the call throws
/// ``TerminalError/Code/transport`` and the terminal is back where it was.
///
/// **Keys.** The STAN is saved in the key store before each request leaves, so STANs keep
/// increasing across restarts. Session keys exist only inside the state machine in memory: they
/// are erased at sign-off (or `A1`), and a restarted terminal signs on again. The PIN comes from
/// a ``PINPad``, becomes a PIN block at once and is not kept.
public actor Terminal {
    public nonisolated let configuration: TerminalConfiguration
    private let keyStore: any TerminalKeyStore
    private let transport: any FrameTransport
    private let clock: @Sendable () -> Date
    var machine: TerminalStateMachine?
    private var pending: Pending?
    private var operationRunning = false
    let observers: NIOLockedValueBox<Observers>

    /// A sent request awaiting its answer, with the state machine as it was before the request
    /// (restored only if the request certainly never left).
    private struct Pending {
        let frame: [UInt8]
        let request: PendingRequest
        let before: TerminalStateMachine
        var mayHaveArrived = false
    }

    struct Observers {
        var state: TerminalState
        var continuations: [Int: AsyncStream<TerminalState>.Continuation] = [:]
        var nextID = 0
    }

    /// Opens the terminal with what its key store holds (nothing yet: unenrolled).
    /// - Parameters:
    ///   - transport: defaults to a ``NIOFrameTransport`` to `configuration`'s host and port.
    ///   - clock: the time for field 7 (tests fix it).
    public init(configuration: TerminalConfiguration, keyStore: any TerminalKeyStore, transport: (any FrameTransport)? = nil,
                clock: @escaping @Sendable () -> Date = { Date() }) async throws {
        let record: TerminalKeyRecord?
        do {
            record = try await keyStore.load()
        } catch {
            throw Self.keyStoreError(error)
        }
        var machine = record.map {
            TerminalStateMachine(credentials: $0.credentials, lastSTAN: $0.lastSTAN, session: configuration.keepsSessionAcrossRestarts ? $0.session : nil,
                                 lastTransmissionTime: $0.lastTransmissionTime)
        }
        self.configuration = configuration
        self.keyStore = keyStore
        self.transport = transport ?? NIOFrameTransport(configuration: configuration)
        self.clock = clock
        // A simulator's request still awaiting its answer when its last process ended: it
        // stays pending (resend or abandon), never to be made again under a new STAN.
        if configuration.keepsSessionAcrossRestarts, let record, let frame = record.pendingFrame, let before = machine,
           machine?.restoreOutstandingRequest(frame, enrollmentCode: record.pendingEnrollmentCode) == true {
            self.pending = Pending(frame: frame, request: Self.reference(frame, record.pendingDate ?? Date()), before: before, mayHaveArrived: true)
        }
        self.machine = machine
        self.observers = NIOLockedValueBox(Observers(state: TerminalState(machine?.state)))
    }

    deinit {
        observers.withLockedValue { $0.continuations.values.forEach { $0.finish() } }
    }

    /// The terminal ID, once enrollment has begun.
    public var terminalID: String? { machine?.credentials.terminalID }

    /// The request whose outcome is unknown, if any (see the type's documentation).
    public var pendingRequest: PendingRequest? { pending?.request }

    // MARK: Operations

    /// Enrolls the terminal with the ID and one-time code its administrator issued: registers
    /// the device's keys and pins the host's. Makes the device keys on the first attempt.
    public func enroll(terminalID: String, enrollmentCode: String) async throws {
        try await operation {
            guard terminalID.utf8.count == 8, terminalID.utf8.allSatisfy({ (0x20...0x7E).contains($0) }) else {
                throw TerminalError(.invalidInput, "The terminal ID is the 8 characters the administrator issued: enter it again")
            }
            let code: EnrollmentCode
            do { code = try EnrollmentCode(text: enrollmentCode) } catch {
                throw TerminalError(.invalidInput, "The enrollment code is 32 hexadecimal digits (8 groups of 4): enter it again")
            }
            if let machine, machine.state != .unenrolled {
                throw TerminalError(.wrongState, "This terminal is already enrolled as \(machine.credentials.terminalID)")
            }
            if machine?.credentials.terminalID != terminalID {
                machine = TerminalStateMachine(credentials: .init(terminalID: terminalID), lastSTAN: machine?.lastSTAN ?? 0)
            }
            let outcome = try await send { machine, time in try machine.enroll(code: code, at: time) }
            _ = try await complete(.enrollment, outcome)
        }
    }

    /// Signs the operator on: the host issues fresh session keys (PIN, MAC, data), which stay
    /// in memory only. Returns their key set (field 53).
    @discardableResult
    public func signOn(operatorNumber: String, operatorKey: String) async throws -> KeySetIdentifier {
        try await operation {
            let credentials = try Self.operatorCredentials(operatorNumber, operatorKey)
            // From signed in too: a new sign-on replaces a session the host may have ended.
            try require(.enrolled, .signedIn, else: nil)
            let outcome = try await send { machine, time in try machine.signOn(operator: credentials, at: time) }
            guard case .signedOn(let keySet) = try await complete(.signOn, outcome) else { throw Self.unexpected }
            return keySet
        }
    }

    /// Opens a card for the customer; the PIN is read from `pinPad`. Returns the host's reference.
    public func openCard(cardNumber: String, identityType: String, identityNumber: String, pinPad: any PINPad) async throws -> String {
        try await operation {
            let pan = try Self.cardNumber(cardNumber)
            var data = ConfidentialData()
            data.set(.cardNumber, text: cardNumber)
            data.set(.identityDocumentType, text: identityType)
            data.set(.identityDocumentNumber, text: identityNumber)
            guard case .cardOpened(let reference) = try await business(.cardOpening, pan, data, pinPad) else { throw Self.unexpected }
            return reference
        }
    }

    /// Signs a contract (carrier, 11-digit mobile number, tariff) on an opened card; the PIN is
    /// read from `pinPad`. Returns the host's reference.
    public func signContract(cardNumber: String, carrierCode: String, phoneNumber: String, tariff: String, pinPad: any PINPad) async throws -> String {
        try await operation {
            let pan = try Self.cardNumber(cardNumber)
            var data = ConfidentialData()
            data.set(.cardNumber, text: cardNumber)
            data.set(.carrierCode, text: carrierCode)
            data.set(.phoneNumber, text: phoneNumber)
            data.set(.tariff, text: tariff)
            guard case .contractSigned(let reference) = try await business(.contractSigning, pan, data, pinPad) else { throw Self.unexpected }
            return reference
        }
    }

    /// Signs the operator off: the host revokes the session keys and the terminal erases them.
    public func signOff(operatorNumber: String, operatorKey: String) async throws {
        try await operation {
            let credentials = try Self.operatorCredentials(operatorNumber, operatorKey)
            try require(.signedIn, else: "The terminal is not signed in")
            _ = try await complete(.signOff, try await send { machine, time in try machine.signOff(operator: credentials, at: time) })
        }
    }

    /// Echo test: proves the connection, the host and the terminal's keys; changes nothing.
    public func echo() async throws {
        try await operation {
            try require(.enrolled, .signedIn, else: "The terminal must be enrolled for an echo test")
            _ = try await complete(.echoTest, try await send { machine, time in try machine.echo(at: time) })
        }
    }

    /// Sends the pending request's exact frame again (``TerminalConfiguration/retransmissions``
    /// more times if need be) and completes it as the original call would have.
    @discardableResult
    public func resendPendingRequest() async throws -> CompletedRequest {
        try await operation(whilePending: true) {
            guard let pending else { throw TerminalError(.wrongState, "No request is waiting for an answer") }
            return try await complete(pending.request.operation, try await deliver())
        }
    }

    /// Gives up on the pending request: the terminal keeps its enrollment, TMK and STAN but not
    /// its session keys — it is signed out (unenrolled if the request was the enrollment).
    /// Returns the request, for the administrator to look up.
    @discardableResult
    public func abandonPendingRequest() async throws -> PendingRequest {
        guard !operationRunning else { throw TerminalError(.wrongState, "An operation is in progress: wait for it to finish") }
        guard let pending, let machine else { throw TerminalError(.wrongState, "No request is waiting for an answer") }
        self.machine = TerminalStateMachine(credentials: machine.credentials, lastSTAN: machine.lastSTAN)
        self.pending = nil
        publish()
        // Awaited: a save landing after the next request's would take the STAN back.
        do { try await keyStore.save(record(of: self.machine!)) } catch { throw Self.keyStoreError(error) }
        return pending.request
    }

    // MARK: Running a request

    private func operation<Result>(whilePending: Bool = false, _ body: () async throws -> Result) async throws -> Result {
        guard !operationRunning else { throw TerminalError(.wrongState, "Another operation is in progress: wait for it to finish") }
        if !whilePending, let pending {
            throw TerminalError(.wrongState, "The outcome of the last request (\(pending.request)) is unknown: resend it, or abandon it", pendingRequest: pending.request)
        }
        operationRunning = true
        defer { operationRunning = false }
        return try await body()
    }

    private func require(_ states: TerminalStateMachine.State..., else message: String?) throws {
        guard let state = machine?.state, states.contains(state) else {
            let fallback = (machine?.state ?? .unenrolled) == .unenrolled ? "The terminal is not enrolled: enroll it first"
                                                                         : "Not possible while the terminal is \(self.state)"
            throw TerminalError(.wrongState, message ?? fallback)
        }
    }

    /// Checks the state before asking for the PIN (a signed-out terminal must not collect one).
    private func business(_ kind: MessageKind, _ pan: PrimaryAccountNumber, _ data: ConfidentialData, _ pinPad: any PINPad) async throws -> CompletedRequest {
        try require(.signedIn, else: machine?.state == .enrolled ? "The terminal is signed out: sign on first" : nil)
        let pin = try await pinPad.readPIN(for: pan.masked)
        let outcome = try await send { machine, time in
            try machine.businessRequest(kind, pin: pin, cardNumber: pan, confidential: data, at: time)
        }
        return try await complete(kind, outcome)
    }

    /// Makes the request frame, saves the STAN, then delivers the frame.
    private func send(_ make: (inout TerminalStateMachine, Date) throws -> [UInt8]) async throws -> TerminalStateMachine.Outcome {
        guard var machine else { throw TerminalError(.wrongState, "The terminal is not enrolled: enroll it first") }
        let before = machine
        let time = clock()
        let frame: [UInt8]
        do {
            frame = try make(&machine, time)
        } catch let failure as TerminalStateMachine.Failure {
            throw TerminalError(.wrongState, "Not possible now: \(failure.message)")
        } catch {
            throw TerminalError(.invalidInput, "The request cannot be made from what was entered: check it and enter it again")
        }
        do {
            try await keyStore.save(record(of: machine, pendingFrame: frame, at: time))
        } catch {
            throw Self.keyStoreError(error)
        }
        self.machine = machine
        pending = Pending(frame: frame, request: Self.reference(frame, time), before: before)
        publish()
        return try await deliver()
    }

    /// Sends the pending frame until it is answered or the retransmissions run out.
    private func deliver() async throws -> TerminalStateMachine.Outcome {
        guard var pending else { throw TerminalError(.wrongState, "No request is waiting for an answer") }
        var problem = "no answer"
        var pause = false
        for attempt in 0...max(0, configuration.retransmissions) where !Task.isCancelled {
            if attempt > 0, pause { try? await Task.sleep(for: configuration.retransmissionDelay) }
            let response: [UInt8]
            do {
                response = try await transport.exchange(pending.frame, timeout: configuration.responseTimeout)
            } catch let error as FrameTransportError {
                pending.mayHaveArrived = pending.mayHaveArrived || error.code != .notDelivered
                (problem, pause) = (error.description, error.code != .timedOut)
                continue
            } catch {
                pending.mayHaveArrived = true
                (problem, pause) = ("\(error)", true)
                continue
            }
            pending.mayHaveArrived = true
            do {
                let outcome = try machine!.receive(response)
                self.pending = nil
                publish()
                // A kept session (and the pending frame) leaves the store with every answer:
                // erased at sign-off or A1, the frame gone once answered.
                if configuration.keepsSessionAcrossRestarts { try? await saveRecord() }
                return outcome
            } catch let failure as TerminalStateMachine.Failure where machine?.state.isBusy == true {
                // Not the answer (another STAN, a bad MAC or signature): the genuine one can
                // still come, so the request stays outstanding and is resent — on a new
                // connection, so nothing else queued on this one is taken for an answer.
                (problem, pause) = (failure.message, false)
                await transport.reset()
            } catch {
                self.pending = nil
                publish()
                throw TerminalError(.invalidResponse, "The host's answer cannot be used: report a terminal fault (\(pending.request.operation): \(error))")
            }
        }
        guard pending.mayHaveArrived else {
            machine = pending.before
            self.pending = nil
            publish()
            if configuration.keepsSessionAcrossRestarts { try? await saveRecord() }
            throw TerminalError(.transport, "The host cannot be reached and nothing was sent: check the network and try again (\(problem))")
        }
        // An echo test changes nothing on either side: no outcome to settle, nothing to resend.
        if pending.request.operation == .echoTest, machine?.forgetOutstandingEcho() == true {
            self.pending = nil
            publish()
            if configuration.keepsSessionAcrossRestarts { try? await saveRecord() }
            throw TerminalError(.noAnswer, "No answer to the echo test (\(problem)): nothing changed here or at the host; check the network and try again")
        }
        self.pending = pending
        throw TerminalError(.outcomeUnknown, """
            No answer from the host: the outcome of the \(pending.request.operation) is unknown. Resend it (do not start it \
            again); if the host stays silent, give the administrator this reference: \(pending.request) (\(problem))
            """, pendingRequest: pending.request)
    }

    /// Turns the state machine's outcome into the operation's result or its error; saves what
    /// enrollment and sign-on changed.
    private func complete(_ kind: MessageKind, _ outcome: TerminalStateMachine.Outcome) async throws -> CompletedRequest {
        switch outcome {
        case .enrolled:
            // Without the pinned host keys a restarted terminal would have to enroll again.
            do { try await saveRecord() } catch {
                throw TerminalError(.keyStore, "The terminal is enrolled but its keys could not be saved: fix the key store before restarting (\(error))")
            }
            return .enrolled
        case .signedIn(let keySet):
            // The TMK comes with every sign-on and the next request saves the record anyway.
            try? await saveRecord()
            return .signedOn(keySet)
        case .signedOff:
            return .signedOff
        case .answered(.approved, let reference):
            switch (kind, reference) {
            case (.echoTest, _): return .echoed
            case (.cardOpening, let reference?): return .cardOpened(reference: reference)
            case (.contractSigning, let reference?): return .contractSigned(reference: reference)
            default: throw TerminalError(.invalidResponse, "The host approved the \(kind) without a reference: call the administrator")
            }
        case .answered(let code, _), .refused(let code):
            throw TerminalError(refusal: code) ?? Self.unexpected
        }
    }

    private func saveRecord() async throws {
        guard let machine else { return }
        try await keyStore.save(record(of: machine))
    }

    /// What the key store keeps of `machine`: the session too, and the request awaiting its
    /// answer, if so configured.
    private func record(of machine: TerminalStateMachine, pendingFrame: [UInt8]? = nil, at time: Date? = nil) -> TerminalKeyRecord {
        let keeps = configuration.keepsSessionAcrossRestarts
        var record = TerminalKeyRecord(credentials: machine.credentials, lastSTAN: machine.lastSTAN, session: keeps ? machine.sessionKeys : nil,
                                       pendingFrame: keeps ? pendingFrame : nil, pendingDate: keeps ? time : nil)
        record.lastTransmissionTime = machine.lastTransmissionTime
        if keeps, pendingFrame != nil { record.pendingEnrollmentCode = machine.outstandingEnrollmentCode }
        return record
    }
}
