import Crypto
public import Foundation
import ISO8583
public import Logging
public import MPOSCrypto
import MPOSErrors
import MPOSProtocol

/// The mpos host: takes a request frame from a terminal, returns the response frame — the
/// patent's flow (enrollment, sign-on, card opening, contract signing, sign-off) with its
/// weaknesses fixed. No sockets here: the server (`mpos-host serve`) carries the frames.
///
/// Each request is one store transaction: its checks, its effects, its audit entries and its
/// response (kept for retransmissions) commit together, durably, before the response is
/// returned — or nothing commits and the terminal gets `96`.
///
/// What each kind of request does is one file under `Operations/`; this type decodes the
/// frame, makes the checks every request of a family shares (`NetworkRequests.swift`,
/// `BusinessRequests.swift`) in the order of docs/protocol.md §4.4, and runs the operation.
public final class HostEngine: Sendable {
    public let store: any HostStore
    public let configuration: HostConfiguration
    let lmk: LocalMasterKey
    let keys: HostKeys
    let modules: BusinessModuleRegistry
    let clock: @Sendable () -> Date
    let logger: Logger
    let codec = ISO8583Codec(specification: .mpos)
    /// What an operation's preparation may use: the host's keys and rules, not the store.
    let rules: HostRules
    /// Live sessions' keys, unwrapped once per session on this node (see ``SessionKeyCache``).
    let sessionKeyCache: SessionKeyCache
    let messageLogPruning = MessageLogPruning()
    let metrics = RequestMetrics()
    let refusalAggregator = RefusalAggregator()
    /// This node's requests by response code, minute by minute over the last hour.
    public var recentOutcomes: RecentOutcomes { metrics.recent }

    /// Loads the host's keys from `store` under `lmk`.
    public static func start(store: any HostStore, lmk: LocalMasterKey, configuration: HostConfiguration = HostConfiguration(),
                             modules: BusinessModuleRegistry, clock: @escaping @Sendable () -> Date = Date.init,
                             logger: Logger = Logger(label: "mpos.host")) async throws -> HostEngine {
        let keys = try await store.retryingTransaction { tx in try await KeyManagement.loadHostKeys(lmk: lmk, in: tx) }
        return HostEngine(store: store, lmk: lmk, keys: keys, configuration: configuration, modules: modules, clock: clock, logger: logger)
    }

    init(store: any HostStore, lmk: LocalMasterKey, keys: HostKeys, configuration: HostConfiguration, modules: BusinessModuleRegistry,
         clock: @escaping @Sendable () -> Date, logger: Logger) {
        self.store = store; self.lmk = lmk; self.keys = keys; self.configuration = configuration
        self.modules = modules; self.clock = clock; self.logger = logger
        self.rules = HostRules(keys: keys, configuration: configuration)
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

    /// A reply, and whether the request proved its terminal's key (a verified signature, MAC
    /// or enrollment code): what the server's unauthenticated budget goes by.
    public struct Processed: Sendable, Equatable {
        public let reply: Reply
        public let authenticated: Bool
    }

    /// Processes one request frame.
    public func handle(_ frame: [UInt8]) async -> Reply {
        await process(frame).reply
    }

    /// Processes one request frame, saying whether it authenticated.
    public func process(_ frame: [UInt8]) async -> Processed {
        let now = clock()
        guard let message = try? codec.decode(frame), let kind = MessageKind(request: message),
              let terminalID = message.text(MPOSField.terminalID), message.text(MPOSField.systemTraceAuditNumber) != nil
        else { return Processed(reply: .close, authenticated: false) }
        let request = IncomingRequest(kind: kind, message: message, frame: frame, terminalID: terminalID, now: now)
        // Exactly the fields the request's kind carries: anything else is a terminal fault,
        // answered before the store is read (signed: no key of the terminal is needed).
        guard message.presentFields == kind.requestFields else {
            metrics.count(kind, .formatError)
            logger.debug("request refused: not the fields of its message", metadata: ["operation": "\(kind.auditName)", "terminal": "\(terminalID)"])
            return Processed(reply: (try? signedResponse(request, .formatError)).map(Reply.respond) ?? .close, authenticated: false)
        }
        switch kind {
        case .enrollment: return await run(request) { c in try await Enrollment().apply(&c, host: self) }
        case .signOn, .signOff, .echoTest:
            if let refused = await refuseForgedSignatureEarly(request) { return refused }
            switch kind {
            case .signOn: return await run(request) { c in try await self.networkRequest(SignOn(), &c) }
            case .signOff: return await run(request) { c in try await self.networkRequest(SignOff(), &c) }
            default: return await run(request) { c in try await self.networkRequest(EchoTest(), &c) }
            }
        case .cardOpening:
            // The operation's cryptography, done here — in parallel with other requests — when
            // this node holds the session's keys; the transaction checks it applies.
            let early = prepareFromCache(CardOpening(), request)
            return await run(request) { c in try await self.businessRequest(CardOpening(), early: early, &c) }
        case .contractSigning:
            let early = prepareFromCache(ContractSigning(), request)
            return await run(request) { c in try await self.businessRequest(ContractSigning(), early: early, &c) }
        }
    }

    /// One request in one transaction: the terminal it names (`03` if none), then `body`; the
    /// audit events the request recorded are appended last, just before the commit (on
    /// PostgreSQL appending locks the audit chain's head until the commit, and every node's
    /// requests wait for that lock).
    private func run(_ request: IncomingRequest, _ body: @escaping @Sendable (inout RequestContext) async throws -> Outcome) async -> Processed {
        let started = ContinuousClock.now
        do {
            let outcome = try await store.retryingTransaction { tx in
                guard let terminal = try await tx.terminal(id: request.terminalID) else {
                    return Outcome(response: try self.signedResponse(request, .invalidTerminal), code: .invalidTerminal)
                }
                var context = RequestContext(request, terminal: terminal, tx: tx)
                var outcome = try await body(&context)
                for event in context.audit {
                    try await AuditTrail.append(event, key: self.keys.auditChain, in: tx, now: request.now)
                }
                for event in context.unprovenRefusals {
                    try await self.appendUnprovenRefusal(event, in: tx, now: request.now)
                }
                outcome.authenticated = context.authenticated
                return outcome
            }
            metrics.count(request.kind, outcome.code)
            if logger.logLevel <= .debug {
                let elapsed = (ContinuousClock.now - started).components
                logger.debug("request", metadata: [
                    "operation": "\(request.kind.auditName)", "terminal": "\(request.terminalID)", "code": "\(outcome.code)",
                    "ms": "\(Double(elapsed.seconds) * 1000 + Double(elapsed.attoseconds) / 1e15)",
                ])
            }
            return Processed(reply: .respond(outcome.response), authenticated: outcome.authenticated)
        } catch {
            metrics.count(request.kind, .systemMalfunction)
            // Nothing was committed (unless the commit itself failed: the outcome is then
            // unknown, and the terminal's retransmission gets whatever did commit). The
            // response is signed: the session's keys may be what could not be read.
            logger.error("request failed; nothing committed, answered 96", metadata: [
                "operation": "\(request.kind.auditName)", "terminal": "\(request.terminalID)", "error": "\(Self.loggable(error))",
            ])
            return Processed(reply: (try? signedResponse(request, .systemMalfunction)).map(Reply.respond) ?? .close, authenticated: false)
        }
    }

    /// An error as it may be logged: the project's own errors carry no secret by design; of
    /// anything else only the type is named (a library's message might quote its input).
    static func loggable(_ error: any Error) -> String {
        if let error = error as? any CodedError { return error.description }
        return String(describing: type(of: error))
    }

    /// A response signed by the host (field 127) and bound to its request's frame (field 121):
    /// network responses, and business refusals the session's MAC key cannot authenticate
    /// (unknown terminal, revoked keys).
    func signedResponse(_ request: IncomingRequest, _ code: ResponseCode) throws -> [UInt8] {
        try MessageSignature.signResponse(request.kind.response(to: request.message, code: code), answering: request.frame, with: keys.signing, codec: codec)
    }

    func signedResponse(_ c: RequestContext, _ code: ResponseCode) throws -> Outcome {
        Outcome(response: try signedResponse(c.request, code), code: code)
    }

    /// Ends a session: its keys erased in the store and dropped from this node's cache.
    func endSession(_ number: Int64, reason: SessionRecord.EndReason, _ c: RequestContext) async throws {
        sessionKeyCache.remove(session: number)
        try await KeyManagement.endSession(number, reason: reason, in: c.tx, now: c.now)
    }
}
