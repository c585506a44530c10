import Foundation
import MPOSCrypto
import MPOSTerminal
import NIOConcurrencyHelpers

/// Runs a ``LoadPlan`` against a host over real sockets: each simulated terminal is the SDK's
/// ``Terminal`` (the real protocol, its own keys and connection), enrolled and signed on at the
/// start — all together, which is the sign-on storm — then making card openings and contract
/// signings until the duration is over. An operation whose outcome is unknown (the host went
/// away) is resent, the same frame, until it is answered or the grace runs out; an approved
/// one is recorded with its reference.
public struct LoadRunner: Sendable {
    public private(set) var plan: LoadPlan
    /// Called once a second with the last second's figures.
    public var progress: @Sendable (LoadProgress) -> Void

    public init(plan: LoadPlan, progress: @escaping @Sendable (LoadProgress) -> Void = { _ in }) {
        self.plan = plan
        self.progress = progress
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public func run(recorder: ApprovalRecorder? = nil) async throws -> LoadSummary {
        guard let faults = plan.faults else { return try await runTerminals(recorder: recorder) }
        guard plan.connection.channelInitializer == nil else {
            throw Failure(description: "faults are injected into plain connections only (the proxy reads the frames): not with TLS")
        }
        let proxy = try await FaultProxy.start(plan: faults, host: plan.connection.host, port: plan.connection.port,
                                               connectTimeout: plan.connection.connectTimeout)
        var proxied = self
        proxied.plan.connection.host = "127.0.0.1"
        proxied.plan.connection.port = proxy.port
        let outcome: Result<LoadSummary, any Error>
        do { outcome = .success(try await proxied.runTerminals(recorder: recorder)) } catch { outcome = .failure(error) }
        await proxy.stop()
        var summary = try outcome.get()
        var counters = proxy.counters
        let offsets = plan.terminals.indices.map { faults.clockOffset(forTerminal: $0) }
        counters.skewedTerminals = offsets.filter { $0 != 0 }.count
        counters.largestSkewSeconds = offsets.map(abs).max() ?? 0
        summary.faults = counters
        return summary
    }

    private func runTerminals(recorder: ApprovalRecorder?) async throws -> LoadSummary {
        let statistics = LoadStatistics()
        let (slots, stormSeconds) = try await setUp(statistics)
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + plan.duration
        let cards = NIOLockedValueBox(plan.terminals.count)
        let context = Context(plan: plan, statistics: statistics, recorder: recorder, cards: cards)

        // Discarding: a finished operation's task leaves nothing behind (an open-loop run starts
        // one per operation).
        try await withThrowingDiscardingTaskGroup { group in
            // The progress line, and the record written out, once a second.
            group.addTask { [progress] in
                var second = 0
                while clock.now < deadline {
                    try await Task.sleep(until: start + .seconds(second + 1), clock: clock)
                    second += 1
                    progress(await statistics.takeProgress(elapsedSeconds: second))
                    try await recorder?.flush()
                }
            }
            if let rate = plan.rate {
                try await openLoop(rate: rate, slots: slots, context: context, until: deadline, group: &group)
            } else {
                for slot in slots {
                    group.addTask {
                        while clock.now < deadline { await context.perform(on: slot, scheduled: clock.now) }
                    }
                }
            }
        }
        try await recorder?.flush()
        let seconds = (clock.now - start).seconds
        return await statistics.summary(mode: plan.rate == nil ? "closed loop" : "open loop", targetRate: plan.rate,
                                        terminals: slots.count, seconds: seconds, stormSeconds: stormSeconds)
    }

    /// Operations started on schedule — the `n`-th at `start + n / rate` — each on a terminal
    /// free at that moment; when none is, the operation waits for one, and its latency counts
    /// from its scheduled moment (no coordinated omission).
    private func openLoop(rate: Double, slots: [TerminalSlot], context: Context, until deadline: ContinuousClock.Instant,
                          group: inout ThrowingDiscardingTaskGroup<any Error>) async throws {
        let idle = IdleTerminals(slots)
        let clock = ContinuousClock()
        let start = clock.now
        var index = 0
        while true {
            let scheduled = start + .nanoseconds(Int64(Double(index) / rate * 1e9))
            guard scheduled < deadline else { break }
            try await Task.sleep(until: scheduled, clock: clock)
            let slot = await idle.take()
            group.addTask {
                await context.perform(on: slot, scheduled: scheduled)
                await idle.give(slot)
            }
            index += 1
        }
    }

    // MARK: Setting up: enrollment, then the sign-on storm, then each terminal's first card

    private func setUp(_ statistics: LoadStatistics) async throws -> (slots: [TerminalSlot], stormSeconds: Double) {
        guard !plan.terminals.isEmpty else { throw Failure(description: "no terminals to run") }
        let firstFailure = NIOLockedValueBox<String?>(nil)
        let enrolled = try await limited(plan.terminals.enumerated().map { $0 }) { index, terminal -> TerminalSlot? in
            do {
                let offset = plan.faults?.clockOffset(forTerminal: index) ?? 0
                let sdk = try await Terminal(configuration: plan.connection, keyStore: InMemoryKeyStore(),
                                             clock: { Date().addingTimeInterval(offset) })
                try await settling(sdk, statistics) {
                    try await sdk.enroll(terminalID: terminal.terminalID, enrollmentCode: terminal.enrollmentCode)
                }
                return TerminalSlot(index: index, id: terminal.terminalID, terminal: sdk)
            } catch {
                await statistics.error("enrollment: \(Self.kind(of: error))")
                firstFailure.withLockedValue { $0 = $0 ?? "enrollment of \(terminal.terminalID): \(error)" }
                return nil
            }
        }.compactMap { $0 }
        let clock = ContinuousClock()
        let stormStart = clock.now
        let signedOn = try await limited(enrolled) { slot -> TerminalSlot? in
            let started = clock.now
            do {
                try await settling(slot.terminal, statistics) {
                    _ = try await slot.terminal.signOn(operatorNumber: plan.operatorNumber, operatorKey: plan.operatorKey)
                }
                await statistics.record(.signOnStorm, clock.now - started)
                return slot
            } catch {
                await statistics.error("sign-on: \(Self.kind(of: error))")
                firstFailure.withLockedValue { $0 = $0 ?? "sign-on of \(slot.id): \(error)" }
                return nil
            }
        }.compactMap { $0 }
        let stormSeconds = (clock.now - stormStart).seconds
        guard !signedOn.isEmpty else {
            // The SDK's messages hold no secret: the first one says why (a TLS mismatch, codes already used, the host down).
            throw Failure(description: "no terminal could enroll and sign on; the first failure: \(firstFailure.withLockedValue { $0 } ?? "none recorded")")
        }
        // Each terminal's first card, which its contract signings use until it opens another.
        let ready = try await limited(signedOn) { slot -> TerminalSlot? in
            let card = plan.cardNumber(serial: slot.index)
            do {
                try await settling(slot.terminal, statistics) {
                    _ = try await slot.terminal.openCard(cardNumber: card, identityType: Context.identityType, identityNumber: Context.identityNumber,
                                                         pinPad: Context.pinPad)
                }
            } catch let error as TerminalError where error.code == .cardAlreadyOpened {
                // A run restarted with the same run ID: the card is there.
            } catch {
                await statistics.error("first card: \(Self.kind(of: error))")
                return nil
            }
            slot.card = card
            return slot
        }.compactMap { $0 }
        return (ready, stormSeconds)
    }

    /// Runs a setup step; an outcome unknown is settled as in the run (resent until answered
    /// or the grace is over), so that a lost answer does not cost the run a terminal.
    private func settling(_ terminal: Terminal, _ statistics: LoadStatistics, _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as TerminalError where error.code == .outcomeUnknown {
            _ = try await Context.settle(terminal, grace: plan.unknownOutcomeGrace, statistics).get()
        }
    }

    /// Runs `body` on every element, at most `setupConcurrency` at once; results in order.
    private func limited<Element: Sendable, Result: Sendable>(_ elements: [Element], _ body: @escaping @Sendable (Element) async -> Result) async throws -> [Result] {
        try await withThrowingTaskGroup(of: (Int, Result).self) { group in
            var results = [Result?](repeating: nil, count: elements.count)
            var next = 0
            func start() {
                guard next < elements.count else { return }
                let (index, element) = (next, elements[next])
                group.addTask { (index, await body(element)) }
                next += 1
            }
            for _ in 0..<max(1, plan.setupConcurrency) { start() }
            while let (index, result) = try await group.next() {
                results[index] = result
                start()
            }
            return results.map { $0! }
        }
    }

    static func kind(of error: any Error) -> String {
        if let failure = error as? Failure { return failure.description }
        guard let error = error as? TerminalError else { return "\(type(of: error))" }
        return error.responseCode?.rawValue ?? error.code.rawValue
    }
}

/// One simulated terminal and the card its contract signings use. Used by one task at a time
/// (its own loop, or the open loop's idle pool hands it out to one operation).
final class TerminalSlot: @unchecked Sendable {
    let index: Int
    let id: String
    let terminal: Terminal
    var card = ""
    var contracts = 0

    init(index: Int, id: String, terminal: Terminal) {
        self.index = index
        self.id = id
        self.terminal = terminal
    }
}

/// Terminals not busy with an operation, handed out first come, first served.
actor IdleTerminals {
    private var idle: [TerminalSlot]
    private var waiting: [CheckedContinuation<TerminalSlot, Never>] = []

    init(_ slots: [TerminalSlot]) { idle = slots }

    func take() async -> TerminalSlot {
        if let slot = idle.popLast() { return slot }
        return await withCheckedContinuation { waiting.append($0) }
    }

    func give(_ slot: TerminalSlot) {
        if waiting.isEmpty { idle.append(slot) } else { waiting.removeFirst().resume(returning: slot) }
    }
}

/// What every operation needs: the plan, where to count, where to record.
struct Context: Sendable {
    static let pin = "123456"
    static let identityType = "01"
    static let identityNumber = "11010519491231002X"
    static let pinPad = FixedPINPad()

    struct FixedPINPad: PINPad {
        func readPIN(for cardNumber: String) async throws -> PIN { try PIN(Context.pin) }
    }

    let plan: LoadPlan
    let statistics: LoadStatistics
    let recorder: ApprovalRecorder?
    /// The next card serial of the run (the first `terminals` went to the terminals' first cards).
    let cards: NIOLockedValueBox<Int>

    /// One operation, chosen by the plan's mix; its latency from `scheduled` if approved.
    func perform(on slot: TerminalSlot, scheduled: ContinuousClock.Instant) async {
        let operation: LoadOperation = Double.random(in: 0..<1) < plan.signOnShare ? .signOn
            : Double.random(in: 0..<1) < plan.contractShare ? .contractSigning : .cardOpening
        let card: String, phone: String
        switch operation {
        case .signOn:
            (card, phone) = ("", "")
        case .contractSigning:
            slot.contracts += 1
            (card, phone) = (slot.card, plan.phoneNumber(serial: slot.contracts))
        default:
            let serial = cards.withLockedValue { value in defer { value += 1 }; return value }
            (card, phone) = (plan.cardNumber(serial: serial), "")
        }
        let outcome: Result<CompletedRequest, any Error>
        do {
            switch operation {
            case .signOn:
                outcome = .success(.signedOn(try await slot.terminal.signOn(operatorNumber: plan.operatorNumber, operatorKey: plan.operatorKey)))
            case .contractSigning:
                outcome = .success(.contractSigned(reference: try await slot.terminal.signContract(
                    cardNumber: card, carrierCode: "1", phoneNumber: phone, tariff: "monthly", pinPad: Self.pinPad)))
            default:
                outcome = .success(.cardOpened(reference: try await slot.terminal.openCard(
                    cardNumber: card, identityType: Self.identityType, identityNumber: Self.identityNumber, pinPad: Self.pinPad)))
            }
        } catch let error as TerminalError where error.code == .outcomeUnknown {
            outcome = await Self.settle(slot.terminal, grace: plan.unknownOutcomeGrace, statistics)
        } catch {
            outcome = .failure(error)
        }
        switch outcome {
        case .success(let completed):
            let reference: String?   // sign-ons have none
            switch completed {
            case .cardOpened(let opened): reference = opened; slot.card = card; slot.contracts = 0
            case .contractSigned(let signed): reference = signed
            case .signedOn: reference = nil
            default: return
            }
            await statistics.record(operation, ContinuousClock.now - scheduled)
            if let reference { await recorder?.approved(ApprovalRecord(operation: operation, reference: reference, terminal: slot.id)) }
        case .failure(let error):
            await statistics.error(LoadRunner.kind(of: error))
            await recover(slot, from: error)
        }
    }

    /// Resends the unanswered request (the same frame) until the host answers or the grace
    /// runs out; then gives it up, counted as `unknown`. Both counted in the summary.
    static func settle(_ terminal: Terminal, grace: Duration, _ statistics: LoadStatistics) async -> Result<CompletedRequest, any Error> {
        await statistics.outcomeUnknown()
        let until = ContinuousClock.now + grace
        while ContinuousClock.now < until {
            try? await Task.sleep(for: .milliseconds(500))
            do {
                return .success(try await terminal.resendPendingRequest())
            } catch let error as TerminalError where error.code == .outcomeUnknown {
                continue
            } catch {
                return .failure(error)
            }
        }
        _ = try? await terminal.abandonPendingRequest()
        await statistics.outcomeGivenUp()
        return .failure(LoadRunner.Failure(description: "unknown"))
    }

    /// After a refusal that ends the session (keys outdated, signed out), signs on again; after
    /// the host was unreachable, pauses a little rather than spin.
    private func recover(_ slot: TerminalSlot, from error: any Error) async {
        guard let error = error as? TerminalError else { return }
        switch error.code {
        case .keysOutdated, .wrongState, .invalidTransaction:
            _ = try? await slot.terminal.signOn(operatorNumber: plan.operatorNumber, operatorKey: plan.operatorKey)
        case .transport:
            try? await Task.sleep(for: .milliseconds(100))
        default:
            break
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
