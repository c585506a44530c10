import Crypto
public import Foundation
import ISO8583
public import Logging
import Metrics
import NIOConcurrencyHelpers
public import MPOSCrypto
import MPOSProtocol

/// The mpos host: takes a request frame from a terminal, returns the response frame — the
/// patent's flow (enrollment, sign-on, card opening, contract signing, sign-off) with its
/// weaknesses fixed. No sockets here: the server (`mpos-host serve`) carries the frames.
///
/// Each request is one store transaction: its checks, its effects, its audit entries and its
/// response (kept for retransmissions) commit together, durably, before the response is
/// returned — or nothing commits and the terminal gets `96`.
///
/// Checks, in order (docs/protocol.md §4.4): frame and codec (else the connection is closed),
/// exactly the fields of the request's message (`30`),
/// terminal known and enrolled (`03`), not blocked (`58`), device signature or session MAC
/// (`63` / `A0`), the STAN (an exact retransmission gets the original response again; other
/// content under a STAN of the same session `94`), transmission time and, for signed
/// requests, their order (`A4`), state (`12` / `A1`), then the operation's own rules.
public final class HostEngine: Sendable {
    public let store: any HostStore
    public let configuration: HostConfiguration
    let lmk: LocalMasterKey
    let keys: HostKeys
    let modules: BusinessModuleRegistry
    let clock: @Sendable () -> Date
    let logger: Logger
    let codec = ISO8583Codec(specification: .mpos)
    /// Live sessions' keys, unwrapped once per session on this node (see ``SessionKeyCache``).
    let sessionKeyCache: SessionKeyCache
    let messageLogPruning = MessageLogPruning()

    /// Loads the host's keys from `store` under `lmk`.
    public static func start(store: any HostStore, lmk: LocalMasterKey, configuration: HostConfiguration = HostConfiguration(),
                             modules: BusinessModuleRegistry, clock: @escaping @Sendable () -> Date = Date.init,
                             logger: Logger = Logger(label: "mpos.host")) async throws -> HostEngine {
        let keys = try await store.transaction { tx in try await KeyManagement.loadHostKeys(lmk: lmk, in: tx) }
        return HostEngine(store: store, lmk: lmk, keys: keys, configuration: configuration, modules: modules, clock: clock, logger: logger)
    }

    init(store: any HostStore, lmk: LocalMasterKey, keys: HostKeys, configuration: HostConfiguration, modules: BusinessModuleRegistry,
         clock: @escaping @Sendable () -> Date, logger: Logger) {
        self.store = store; self.lmk = lmk; self.keys = keys; self.configuration = configuration
        self.modules = modules; self.clock = clock; self.logger = logger
        self.sessionKeyCache = SessionKeyCache(capacity: configuration.sessionKeyCacheCapacity)
    }

    /// The host's public keys, as terminals pin them at enrollment.
    public var signingPublicKey: SigningPublicKey { keys.signing.publicKey }
    public var sealingPublicKey: SealingPublicKey { keys.sealing.publicKey }

    public enum Reply: Sendable, Equatable {
        case respond([UInt8])
        /// No response can be formed (the frame does not decode, or names no operation):
        /// the server closes the connection.
        case close
    }

    /// Processes one request frame.
    public func handle(_ frame: [UInt8]) async -> Reply {
        let now = clock()
        guard let request = try? codec.decode(frame), let kind = MessageKind(request: request),
              let terminalID = request.text(MPOSField.terminalID), request.text(MPOSField.systemTraceAuditNumber) != nil
        else { return .close }
        // Exactly the fields the request's kind carries: anything else is a terminal fault,
        // answered before the store is read (signed: no key of the terminal is needed).
        guard request.presentFields == kind.requestFields else {
            count(kind, code: ResponseCode.formatError.rawValue)
            logger.debug("request refused: not the fields of its message", metadata: ["operation": "\(kind.auditName)", "terminal": "\(terminalID)"])
            return (try? signedResponse(kind, to: request, frame: frame, .formatError)).map(Reply.respond) ?? .close
        }
        do {
            let start = ContinuousClock.now
            // A business request's cryptography, done here — in parallel with other requests —
            // when this node holds its session's keys; the transaction checks it applies.
            let prepared = prepareFromCache(kind, request: request, frame: frame, terminalID: terminalID, now: now)
            let requestDigest = Array(SHA256.hash(data: frame))
            let response = try await store.retryingTransaction { tx in
                let audit = PendingAudit()
                let response = try await self.process(kind, request: request, frame: frame, requestDigest: requestDigest, terminalID: terminalID,
                                                      prepared: prepared, audit: audit, in: tx, now: now)
                // Last, just before the commit: on PostgreSQL appending locks the audit chain's
                // head until the commit, and every node's requests wait for that lock.
                for event in audit.events {
                    try await AuditTrail.append(event, key: self.keys.auditChain, in: tx, now: now)
                }
                return response
            }
            record(kind, terminalID: terminalID, response: response, since: start)
            return .respond(response)
        } catch {
            count(kind, code: ResponseCode.systemMalfunction.rawValue)
            // Nothing was committed. The response is signed: the session's keys may be unknown.
            logger.error("request failed; nothing committed, answered 96", metadata: [
                "operation": "\(kind)", "terminal": "\(terminalID)", "error": "\(Self.loggable(error))",
            ])
            return (try? signedResponse(kind, to: request, frame: frame, .systemMalfunction)).map(Reply.respond) ?? .close
        }
    }

    private func process(_ kind: MessageKind, request: ISO8583Message, frame: [UInt8], requestDigest: [UInt8], terminalID: String,
                         prepared: PreparedBusinessRequest?, audit: PendingAudit, in tx: any HostTransaction, now: Date) async throws -> [UInt8] {
        guard let terminal = try await tx.terminal(id: terminalID) else {
            return try signedResponse(kind, to: request, frame: frame, .invalidTerminal)
        }
        var context = RequestContext(kind: kind, request: request, frame: frame, requestDigest: requestDigest, terminal: terminal, now: now, tx: tx,
                                     audit: audit, prepared: prepared)
        switch kind {
        case .enrollment: return try await enroll(&context)
        case .signOn, .signOff, .echoTest: return try await networkRequest(&context)
        case .cardOpening, .contractSigning: return try await businessRequest(&context)
        }
    }

    /// One line and one count per request: operation, terminal, response code, time — never
    /// a field of the message.
    private func record(_ kind: MessageKind, terminalID: String, response: [UInt8], since start: ContinuousClock.Instant) {
        let code = (try? codec.decode(response))?.text(MPOSField.responseCode) ?? "?"
        count(kind, code: code)
        if logger.logLevel <= .debug {
            let elapsed = (ContinuousClock.now - start).components
            logger.debug("request", metadata: [
                "operation": "\(kind.auditName)", "terminal": "\(terminalID)", "code": "\(code)",
                "ms": "\(Double(elapsed.seconds) * 1000 + Double(elapsed.attoseconds) / 1e15)",
            ])
        }
    }

    private func count(_ kind: MessageKind, code: String) {
        Counter(label: "mpos_requests_total", dimensions: [("operation", kind.auditName), ("code", code)]).increment()
    }

    /// An error as it may be logged: the project's own errors carry no secret by design; of
    /// anything else only the type is named (a library's message might quote its input).
    static func loggable(_ error: any Error) -> String {
        switch error {
        case let error as StoreError: error.description
        case let error as HostError: error.description
        case let error as MPOSCryptoError: error.description
        case let error as ProtocolError: error.description
        default: String(describing: type(of: error))
        }
    }

    // MARK: Shared steps

    /// What every step of one request needs.
    struct RequestContext {
        let kind: MessageKind
        let request: ISO8583Message
        let frame: [UInt8]
        /// SHA-256 of the frame: what the retransmission cache matches.
        let requestDigest: [UInt8]
        var terminal: TerminalRecord
        let now: Date
        let tx: any HostTransaction
        /// The request's audit events, appended in order at the end of its transaction.
        let audit: PendingAudit
        /// A business request's cryptography if done before the transaction (else nil).
        let prepared: PreparedBusinessRequest?

        var stan: String { request.text(MPOSField.systemTraceAuditNumber) ?? "" }
        var actor: String { "terminal:\(terminal.id)" }
        var subject: String { "terminal:\(terminal.id)" }
    }

    enum LogCheck {
        case new
        case retransmission([UInt8])
        case conflict
    }

    /// The durable retransmission cache: the same frame again gets the response already sent;
    /// the same STAN with other content, in the same session, is refused (`94`).
    func checkMessageLog(_ context: RequestContext, session: Int64) async throws -> LogCheck {
        guard let entry = try await context.tx.messageLogEntry(terminalID: context.terminal.id, stan: context.stan) else { return .new }
        if entry.requestDigest == context.requestDigest { return .retransmission(entry.response) }
        // A STAN of an earlier session may come round again (STANs wrap at 999999).
        return entry.session == session ? .conflict : .new
    }

    func logResponse(_ response: [UInt8], for context: RequestContext, session: Int64) async throws {
        try await context.tx.putMessageLogEntry(MessageLogEntry(terminalID: context.terminal.id, stan: context.stan, session: session,
                                                                requestDigest: context.requestDigest, response: response, createdAt: context.now))
        if messageLogPruning.isDue(terminalID: context.terminal.id) {
            try await context.tx.pruneMessageLog(terminalID: context.terminal.id, keep: configuration.retransmissionCacheCapacity)
        }
    }

    /// Field 7 within the permitted skew of the host clock.
    func isFresh(_ context: RequestContext) -> Bool {
        guard let time = context.request.text(MPOSField.transmissionDateTime).flatMap(TransmissionDateTime.init(field:)) else { return false }
        return (try? time.checkFreshness(now: context.now, skew: configuration.permittedClockSkew)) != nil
    }

    /// Records `event` for the audit trail; it is appended, with the request's others, just
    /// before the request's transaction commits (or not at all, if it does not).
    func audit(_ event: AuditEvent, _ context: RequestContext) {
        context.audit.events.append(event)
    }

    /// A response signed by the host (field 127) and bound to its request's frame (field 121):
    /// network responses, and business refusals the session's MAC key cannot authenticate
    /// (unknown terminal, revoked keys).
    func signedResponse(_ kind: MessageKind, to request: ISO8583Message, frame: [UInt8], _ code: ResponseCode) throws -> [UInt8] {
        try MessageSignature.signResponse(kind.response(to: request, code: code), answering: frame, with: keys.signing, codec: codec)
    }

    func signedResponse(_ c: RequestContext, _ code: ResponseCode) throws -> [UInt8] {
        try signedResponse(c.kind, to: c.request, frame: c.frame, code)
    }
}

/// When a terminal's retransmission cache is cut back to its capacity: every
/// ``interval``-th entry this node logs for the terminal. Pruning finds the cut by walking the
/// terminal's newest entries (as many as the capacity), so once per entry it cost a walk of
/// 1,024 index entries per request, while the store is held; now it costs 1/64 of that. A
/// terminal keeps its newest `retransmissionCacheCapacity` entries at least, and normally fewer
/// than `interval` more per node (a cut made by a request that then failed is made again only
/// `interval` entries later).
final class MessageLogPruning: Sendable {
    static let interval = 64
    private let entriesSincePrune = NIOLockedValueBox([String: Int]())

    func isDue(terminalID: String) -> Bool {
        entriesSincePrune.withLockedValue { counts in
            let count = counts[terminalID, default: 0] + 1
            counts[terminalID] = count == Self.interval ? 0 : count
            return count == Self.interval
        }
    }
}

/// A request's audit events, collected while it is processed and appended at the end of its
/// transaction. Used by the one task running that transaction.
final class PendingAudit: @unchecked Sendable {
    var events: [AuditEvent] = []
}
