import Crypto
import Foundation
import ISO8583
import MPOSProtocol

/// A request frame that decoded and names an operation: what the host knows of it before the
/// store is read.
struct IncomingRequest: Sendable {
    let kind: MessageKind
    let message: ISO8583Message
    let frame: [UInt8]
    let terminalID: String
    let now: Date
    /// SHA-256 of the frame: what the retransmission cache matches, and field 121.
    let digest: [UInt8]

    init(kind: MessageKind, message: ISO8583Message, frame: [UInt8], terminalID: String, now: Date) {
        self.kind = kind; self.message = message; self.frame = frame; self.terminalID = terminalID; self.now = now
        digest = Array(SHA256.hash(data: frame))
    }

    var stan: String { message.text(MPOSField.systemTraceAuditNumber) ?? "" }
}

/// The response to a request, and its code (for metrics and logs).
struct Outcome: Sendable {
    let response: [UInt8]
    let code: ResponseCode
    /// The request proved the terminal's key (set from the request's context by the engine).
    var authenticated = false

    /// The stored response to a request answered before.
    static func retransmission(_ response: [UInt8], codec: ISO8583Codec) -> Outcome {
        let code = (try? codec.decode(response)).flatMap { $0.text(MPOSField.responseCode) }.flatMap(ResponseCode.init(rawValue:))
        return Outcome(response: response, code: code ?? .approved)
    }
}

/// A refusal an operation's rules give before the store is read (`prepare`), applied where
/// the order of checks puts it.
struct Refusal: Sendable, Error {
    let code: ResponseCode
    /// What the audit entry is about: a card, an operator; the terminal when nil.
    let subject: String?
    let details: String

    init(_ code: ResponseCode, subject: String? = nil, _ details: String) {
        self.code = code; self.subject = subject; self.details = details
    }
}

/// Everything one request's checks and effects work on, inside its transaction.
struct RequestContext {
    let request: IncomingRequest
    var terminal: TerminalRecord
    let tx: any HostTransaction
    /// The request's audit events, appended in order at the end of its transaction.
    private(set) var audit: [AuditEvent] = []
    /// Refusals of a request that proved nothing: aggregated (``RefusalAggregator``).
    private(set) var unprovenRefusals: [AuditEvent] = []
    /// The request's signature, MAC or enrollment code verified: it came from the terminal.
    var authenticated = false

    init(_ request: IncomingRequest, terminal: TerminalRecord, tx: any HostTransaction) {
        self.request = request; self.terminal = terminal; self.tx = tx
    }

    var kind: MessageKind { request.kind }
    var message: ISO8583Message { request.message }
    var now: Date { request.now }
    var stan: String { request.stan }
    var actor: String { "terminal:\(terminal.id)" }
    var subject: String { "terminal:\(terminal.id)" }

    /// Records `event`; it is appended, with the request's others, just before the request's
    /// transaction commits (or not at all, if it does not).
    mutating func record(_ event: AuditEvent) {
        audit.append(event)
    }

    /// Records `<kind>.refused` for a request that proved nothing (its signature or MAC does not
    /// verify, or its terminal is blocked): recorded, or only counted in a flood.
    mutating func recordUnprovenRefusal(_ code: ResponseCode, _ details: String) {
        unprovenRefusals.append(AuditEvent("\(kind.auditName).refused", actor: actor, subject: subject, outcome: code.rawValue, details: details))
    }

    /// Records `<kind>.refused` with the code as its outcome.
    mutating func recordRefusal(_ code: ResponseCode, actor: String? = nil, subject: String? = nil, _ details: String) {
        record(AuditEvent("\(kind.auditName).refused", actor: actor ?? self.actor, subject: subject ?? self.subject, outcome: code.rawValue, details: details))
    }

    // MARK: The durable retransmission cache

    enum LogCheck {
        case new
        case retransmission([UInt8])
        case conflict
    }

    /// The same frame again gets the response already sent; the same STAN with other content,
    /// in the same session, is refused (`94`).
    func checkMessageLog(session: Int64) async throws -> LogCheck {
        check(try await loggedEntry(), session: session)
    }

    /// What the cache holds under this request's STAN.
    func loggedEntry() async throws -> MessageLogEntry? {
        try await tx.messageLogEntry(terminalID: terminal.id, stan: stan)
    }

    func check(_ entry: MessageLogEntry?, session: Int64) -> LogCheck {
        guard let entry else { return .new }
        if entry.requestDigest == request.digest { return .retransmission(entry.response) }
        // A STAN of an earlier session may come round again (STANs wrap at 999999).
        return entry.session == session ? .conflict : .new
    }

    func logResponse(_ response: [UInt8], session: Int64, host: HostEngine) async throws {
        try await tx.putMessageLogEntry(MessageLogEntry(terminalID: terminal.id, stan: stan, session: session,
                                                        requestDigest: request.digest, response: response, createdAt: now))
        if host.messageLogPruning.isDue(terminalID: terminal.id) {
            try await tx.pruneMessageLog(terminalID: terminal.id, keep: host.configuration.retransmissionCacheCapacity)
        }
    }

    // MARK: Freshness

    /// Field 7 within the permitted skew of the host clock.
    func isFresh(skew: TimeInterval) -> Bool {
        guard let time = message.text(MPOSField.transmissionDateTime).flatMap(TransmissionDateTime.init(field:)) else { return false }
        return (try? time.checkFreshness(now: now, skew: skew)) != nil
    }

    /// Signed requests must come in order, per terminal and across sessions: (field 7, STAN)
    /// strictly increasing, so a captured sign-off cannot be replayed into a later session.
    mutating func acceptOrder() -> Bool {
        guard let time = message.text(MPOSField.transmissionDateTime).flatMap(TransmissionDateTime.init(field:))?.date(closestTo: now) else { return false }
        var order = NetworkRequestOrder(lastTime: terminal.lastNetworkRequestAt, lastSTAN: terminal.lastNetworkRequestSTAN)
        guard (try? order.accept(time: time, stan: stan)) != nil else { return false }
        terminal.lastNetworkRequestAt = order.lastTime
        terminal.lastNetworkRequestSTAN = order.lastSTAN
        return true
    }
}
