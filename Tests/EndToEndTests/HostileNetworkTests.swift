import Foundation
import ISO8583
import MPOSCrypto
import MPOSProtocol
import MPOSTerminal
import MPOSTestSupport
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

/// Issue 17's attack run, each failure replayed against `mpos-host serve` in its own process:
/// descriptors, a second serve, TLS mismatches, echo and enrollment outcomes, a clock stepped
/// back.
@Suite("End to end: hostile clients and faulty networks", .serialized, .timeLimit(.minutes(10)))
struct HostileNetworkTests {
    static func temporary(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("mpos-\(name)-\(UUID().uuidString)")
    }

    static func read(_ log: URL) -> String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// Waits for `text` in the log file.
    static func waitFor(_ text: String, in log: URL) async throws {
        try await Deadline.within(.seconds(10), "\"\(text)\" in the host's log") {
            while !read(log).contains(text) { try await Task.sleep(for: .milliseconds(50)) }
        }
    }

    @Test("descriptors: a default --max-connections is lowered to what `ulimit -n` allows, with a warning; an explicit one that does not fit refuses to start")
    func descriptorBudget() async throws {
        let log = Self.temporary("log")
        let host = try await HostProcess.start(logFile: log, descriptorLimit: 300)
        defer { host.stop(); host.removeData(); try? FileManager.default.removeItem(at: log) }
        #expect(Self.read(log).contains("--max-connections lowered from 10000 to 172: the descriptor limit is 300"))

        let directory = Self.temporary("data")
        defer { try? FileManager.default.removeItem(at: directory) }
        // Under timeout(1): a host that starts instead of refusing would otherwise never return.
        let refused = try await ProcessRunner.run("/usr/bin/timeout", ["--signal=KILL", "30", "/bin/sh", "-c", "ulimit -n 300 && exec \"$0\" \"$@\"",
                                                                       ProcessRunner.executable("mpos-host").path,
                                                                       "serve", "--data-dir", directory.path, "--port", "0", "--admin-port=-1", "--max-connections", "1000"])
        #expect(refused.status != 0 && refused.status != 137, "it refused to start, rather than starting and being killed")
        #expect(refused.error.contains("--max-connections 1000 needs 1128 descriptors") && refused.error.contains("ulimit -n 1128"), "\(refused.error)")
    }

    @Test("descriptors exhausted under a running host: accepts back off instead of spinning, one log line; the host recovers")
    func descriptorExhaustion() async throws {
        let log = Self.temporary("log")
        let host = try await HostProcess.start(arguments: ["--max-unauthenticated-connections", "5000",
                                                           "--max-connections-per-address", "5000"], logFile: log)
        defer { host.stop(); host.removeData(); try? FileManager.default.removeItem(at: log) }
        try await host.admin(["operator", "add", "01", "--name", "Operator 01"], input: "111111\n")
        let pid = String(host.processIdentifier)
        #expect(try await ProcessRunner.run("/usr/bin/prlimit", ["--pid", pid, "--nofile=80:"]).status == 0)
        var clients: [any Channel] = []
        defer { clients.forEach { $0.close(promise: nil) } }
        for _ in 0..<150 {
            // The kernel completes each connection into the backlog, accepted or not.
            clients.append(try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: host.port).get())
        }
        try await Self.waitFor("cannot accept connections", in: log)
        let before = try host.cpuTicks()
        try await Task.sleep(for: .seconds(3))
        let used = try host.cpuTicks() - before
        // Spinning on accept took all of a core: 300 ticks in 3 s.
        #expect(used < 90, "the host used \(used) ticks of CPU in 3 s while out of descriptors")
        #expect(Self.read(log).components(separatedBy: "cannot accept connections").count - 1 == 1, "one line an interval")

        clients.forEach { $0.close(promise: nil) }
        clients = []
        #expect(try await ProcessRunner.run("/usr/bin/prlimit", ["--pid", pid, "--nofile=4096:"]).status == 0)
        let terminal = try await EndToEndTests.terminal(host)
        try await terminal.echo()
    }

    /// Counts the bytes and the whole frames a raw connection receives; says when it closes.
    final class RawConnection: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let received = NIOLockedValueBox(0)
        let frames = NIOLockedValueBox(0)
        private let pending = NIOLockedValueBox<[UInt8]>([])
        let closed = NIOLockedValueBox(false)
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = Array(buffer: unwrapInboundIn(data))
            received.withLockedValue { $0 += bytes.count }
            let whole = pending.withLockedValue { pending -> Int in
                pending += bytes
                var count = 0
                while pending.count >= 2, pending.count >= 2 + (Int(pending[0]) << 8 | Int(pending[1])) {
                    pending.removeFirst(2 + (Int(pending[0]) << 8 | Int(pending[1])))
                    count += 1
                }
                return count
            }
            frames.withLockedValue { $0 += whole }
        }
        func channelInactive(context: ChannelHandlerContext) { closed.withLockedValue { $0 = true } }
    }

    @Test("one client cannot hold the connection table with well-formed echoes of an unknown terminal: terminals still get in, the flood is closed")
    func connectionTableHold() async throws {
        let host = try await EndToEndTests.host(["--max-connections", "40", "--unauthenticated-timeout", "3"], backend: .sqlite)
        defer { host.stop(); host.removeData() }
        let codec = ISO8583Codec(specification: .mpos)
        var flood: [(channel: any Channel, handler: RawConnection)] = []
        defer { flood.forEach { $0.channel.close(promise: nil) } }
        for index in 0..<40 {
            let handler = RawConnection()
            // From another loopback address than the terminals': the attacker is one address.
            let bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .bind(to: try SocketAddress(ipAddress: "127.0.0.2", port: 0))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) }
                }
            let channel = try await bootstrap.connect(host: "127.0.0.1", port: host.port).get()
            let stan = String(format: "%06d", index + 1)
            let echo = try MessageSignature.sign(MessageKind.echoTest.request(transmissionTime: TransmissionDateTime(Date()).field, stan: stan, terminalID: "99999999"),
                                                 with: SigningPrivateKey(), codec: codec)
            // A refused connection may be closed before this is written.
            try? await channel.writeAndFlush(ByteBuffer(bytes: [UInt8(echo.count >> 8), UInt8(echo.count & 0xFF)] + echo))
            flood.append((channel, handler))
        }
        // A quarter of the table (10) for connections that proved nothing: the rest were refused.
        try await Deadline.poll("the flood's answers and refusals", within: .seconds(10)) {
            flood.filter { !$0.handler.closed.withLockedValue { $0 } }.count <= 10
        }
        let terminal = try await EndToEndTests.terminal(host)
        try await terminal.echo()
        _ = try await terminal.openCard(cardNumber: EndToEndTests.card(3), identityType: "01", identityNumber: EndToEndTests.identityNumber,
                                        pinPad: EndToEndTests.FixedPINPad(pin: EndToEndTests.pin))
        try await Deadline.poll("the flood closed at the unauthenticated timeout", within: .seconds(10)) {
            flood.allSatisfy { $0.handler.closed.withLockedValue { $0 } }
        }
        #expect(flood.contains { $0.handler.received.withLockedValue { $0 } > 0 }, "an unknown terminal's echo is still answered (03)")
    }

    /// What the store has made durable so far: the size of SQLite's write-ahead log (which only
    /// grows between checkpoints), or PostgreSQL's next transaction ID (a transaction gets one
    /// only when it writes: a row lock counts). A transaction that changes nothing adds to neither.
    /// (The PostgreSQL server is shared with the suites running beside this one: its figure is
    /// only meaningful when this test runs alone.)
    static func durableWork(_ host: HostProcess, _ backend: HostBackend) async throws -> Int {
        switch backend {
        case .sqlite:
            let wal = host.dataDirectory.appendingPathComponent("mpos.sqlite-wal").path
            return (try FileManager.default.attributesOfItem(atPath: wal)[.size] as? Int) ?? 0
        case .postgres:
            let run = try await ProcessRunner.run("/usr/bin/psql", [try #require(HostBackend.postgresURL), "-Atc",
                                                                    "SELECT pg_snapshot_xmax(pg_current_snapshot())"])
            return try #require(Int(run.output.trimmingCharacters(in: .whitespacesAndNewlines)), "\(run.error)")
        }
    }

    @Test("a flood of forged echoes naming a real terminal: each answered 63, one audit entry, nothing written durably per request", arguments: HostBackend.allCases)
    func forgedEchoFlood(backend: HostBackend) async throws {
        let host = try await EndToEndTests.host(backend: backend)
        defer { host.stop(); host.removeData() }
        let terminal = try await EndToEndTests.terminal(host)
        let id = try #require(await terminal.terminalID)
        let codec = ISO8583Codec(specification: .mpos)
        let handler = RawConnection()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) } }
            .connect(host: "127.0.0.1", port: host.port).get()
        defer { channel.close(promise: nil) }
        let before = try await Self.durableWork(host, backend)
        for index in 0..<500 {
            // Signed with a key that is not the terminal's.
            let echo = try MessageSignature.sign(MessageKind.echoTest.request(transmissionTime: TransmissionDateTime(Date()).field,
                                                                              stan: String(format: "%06d", 900_000 + index), terminalID: id),
                                                 with: SigningPrivateKey(), codec: codec)
            try await channel.writeAndFlush(ByteBuffer(bytes: [UInt8(echo.count >> 8), UInt8(echo.count & 0xFF)] + echo))
        }
        try await Deadline.poll("500 answers", within: .seconds(60)) { handler.frames.withLockedValue { $0 } >= 500 || handler.closed.withLockedValue { $0 } }
        #expect(!handler.closed.withLockedValue { $0 }, "every forged echo answered on the one connection")
        let work = try await Self.durableWork(host, backend) - before
        if backend == .sqlite {
            // One audit row and its commit are a few KiB of log; 500 were about 2 MB.
            #expect(work < 64 * 1024, "\(work) bytes of write-ahead log for 500 forged requests")
        } else if ProcessInfo.processInfo.environment["MPOS_MEASURE_FLOOD"] != nil {
            print("forged-echo flood on PostgreSQL: \(work) transaction IDs assigned for 500 requests")
        }
        let refused = try await host.admin(["audit", "tail", "--count", "20"]).split(separator: "\n").filter { $0.contains("echo.refused") }
        #expect(refused.count == 1, "one audit entry; the other 499 counted until the minute ends")
        try await terminal.echo()
    }

    @Test("a second serve on the same SQLite data directory refuses to start, naming the first")
    func secondServe() async throws {
        let host = try await HostProcess.start()
        defer { host.stop(); host.removeData() }
        let second = try await ProcessRunner.run("/usr/bin/timeout", ["--signal=KILL", "30", ProcessRunner.executable("mpos-host").path,
                                                                      "serve", "--data-dir", host.dataDirectory.path, "--port", "0", "--admin-port=-1"])
        #expect(second.status != 0 && second.status != 137, "it refused to start, rather than starting and being killed")
        #expect(second.error.contains("another mpos-host serve (process \(host.processIdentifier)) is already serving from"), "\(second.error)")
        // Administration still shares the store with the running host.
        #expect(try await host.admin(["terminal", "list"]).isEmpty == false)
    }

    @Test("TLS/plain mismatch, both ways: the terminal and the host each name it, and nothing is left pending")
    func tlsMismatch() async throws {
        let tlsLog = Self.temporary("log"), plainLog = Self.temporary("log")
        let tlsHost = try await HostProcess.start(arguments: ["--tls"], logFile: tlsLog)
        defer { tlsHost.stop(); tlsHost.removeData(); try? FileManager.default.removeItem(at: tlsLog) }
        let plainHost = try await HostProcess.start(logFile: plainLog)
        defer { plainHost.stop(); plainHost.removeData(); try? FileManager.default.removeItem(at: plainLog) }
        let state = Self.temporary("terminal").path
        defer { try? FileManager.default.removeItem(atPath: state) }
        func terminal(_ arguments: [String], input: String = "") async throws -> ProcessRunner.Run {
            try await ProcessRunner.run("mpos-terminal", arguments + ["--state-dir", state, "--response-timeout", "2"], input: input)
        }

        let (id, code) = try await tlsHost.addTerminal()
        let plainToTLS = try await terminal(["enroll", "--terminal-id", id, "--host", "127.0.0.1", "--port", String(tlsHost.port)], input: code + "\n")
        #expect(plainToTLS.status == 3, "\(plainToTLS.error)")
        #expect(plainToTLS.error.contains("TLS/plain mismatch") && !plainToTLS.error.contains("outcome"), "\(plainToTLS.error)")
        try await Self.waitFor("a plain (non-TLS) client on this TLS port", in: tlsLog)
        let nothingPending = try await terminal(["resend"])
        #expect(nothingPending.status == 4 && nothingPending.error.contains("No request is waiting"), "nothing left: \(nothingPending.error)")

        let certificate = tlsHost.dataDirectory.appendingPathComponent("tls-certificate.pem").path
        let (plainID, plainCode) = try await plainHost.addTerminal()
        try? FileManager.default.removeItem(atPath: state)
        let tlsToPlain = try await terminal(["enroll", "--terminal-id", plainID, "--host", "127.0.0.1", "--port", String(plainHost.port),
                                             "--tls-certificate", certificate], input: plainCode + "\n")
        #expect(tlsToPlain.status == 3, "\(tlsToPlain.error)")
        #expect(tlsToPlain.error.contains("TLS/plain mismatch"), "\(tlsToPlain.error)")
        try await Self.waitFor("a TLS client on this plain port", in: plainLog)
    }

    @Test("an echo with no answer leaves nothing pending; an enrollment with no answer is kept, and `resend` completes it")
    func echoAndEnrollmentOutcomes() async throws {
        let host = try await HostProcess.start()
        defer { host.resume(); host.stop(); host.removeData() }
        let state = Self.temporary("terminal").path
        defer { try? FileManager.default.removeItem(atPath: state) }
        let (id, code) = try await host.addTerminal()
        func terminal(_ arguments: [String], input: String = "") async throws -> ProcessRunner.Run {
            try await ProcessRunner.run("mpos-terminal", arguments + ["--state-dir", state, "--response-timeout", "1"], input: input)
        }
        host.pause()
        let lost = try await terminal(["enroll", "--terminal-id", id, "--host", "127.0.0.1", "--port", String(host.port)], input: code + "\n")
        #expect(lost.status == 2, "\(lost.error)")
        host.resume()
        let resent = try await terminal(["resend"])
        #expect(resent.status == 0, "\(resent.error)")
        #expect(try await terminal(["status"]).output.contains("enrolled"))

        host.pause()
        let echo = try await terminal(["echo"])
        #expect(echo.status == 3, "\(echo.error)")
        #expect(echo.error.contains("No answer to the echo test"), "\(echo.error)")
        host.resume()
        let again = try await terminal(["echo"])
        #expect(again.status == 0, "nothing was left pending: \(again.error)")
    }

    @Test("a clock stepped back within the skew is no obstacle; a refused sign-on keeps the session", arguments: HostBackend.allCases)
    func clockSteppedBack(backend: HostBackend) async throws {
        let host = try await EndToEndTests.host(backend: backend)
        defer { host.stop(); host.removeData() }
        let (id, code) = try await host.addTerminal()
        let offset = NIOLockedValueBox<TimeInterval>(0)
        var configuration = TerminalConfiguration(host: "127.0.0.1", port: host.port)
        configuration.responseTimeout = .seconds(10)
        let terminal = try await Terminal(configuration: configuration, keyStore: InMemoryKeyStore()) {
            Date().addingTimeInterval(offset.withLockedValue { $0 })
        }
        try await terminal.enroll(terminalID: id, enrollmentCode: code)
        try await terminal.signOn(operatorNumber: "01", operatorKey: EndToEndTests.operatorKey)
        offset.withLockedValue { $0 = -240 }
        try await terminal.echo()
        _ = try await terminal.openCard(cardNumber: EndToEndTests.card(1), identityType: "01", identityNumber: EndToEndTests.identityNumber,
                                        pinPad: EndToEndTests.FixedPINPad(pin: "123456"))
        try await terminal.signOn(operatorNumber: "01", operatorKey: EndToEndTests.operatorKey)
        #expect(await EndToEndTests.refusal { try await terminal.signOn(operatorNumber: "01", operatorKey: "999999") } == .invalidOperator)
        #expect(terminal.state == .signedIn, "the refused sign-on left the session as it was, here and at the host")
        try await terminal.echo()
        _ = try await terminal.openCard(cardNumber: EndToEndTests.card(2), identityType: "01", identityNumber: EndToEndTests.identityNumber,
                                        pinPad: EndToEndTests.FixedPINPad(pin: "123456"))
    }
}
