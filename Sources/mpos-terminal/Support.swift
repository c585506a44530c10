import ArgumentParser
import Foundation
import MPOSCore
import MPOSCrypto
import MPOSProtocol
import MPOSTerminal
import NIOCore
import NIOSSL
import NIOTLS
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Options every command takes.
struct TerminalOptions: ParsableArguments {
    @Option(help: "The terminal's state directory (one terminal each; default ./mpos-terminal or $MPOS_TERMINAL_DIR).")
    var stateDir: String = ProcessInfo.processInfo.environment["MPOS_TERMINAL_DIR"] ?? "mpos-terminal"

    @Option(help: "The host's address (remembered from enrollment).") var host: String?
    @Option(help: "The host's port (remembered from enrollment).") var port: Int?
    @Option(help: "Speak TLS, trusting only this host certificate (PEM, from the host's data directory; remembered).")
    var tlsCertificate: String?
    @Option(help: "Seconds to wait for each answer before resending the same request.") var responseTimeout = 15
    @Flag(help: "Print JSON for scripts.") var json = false

    /// Where the host is: what was given, else what enrollment remembered.
    func connection() throws -> Connection {
        let saved = Connection.load(stateDir)
        guard let host = host ?? saved?.host, let port = port ?? saved?.port else {
            throw ValidationError("which host? Give --host and --port (they are remembered after enrollment)")
        }
        return Connection(host: host, port: port, tlsCertificate: tlsCertificate ?? saved?.tlsCertificate)
    }

    /// The terminal, from its state directory. The key store's passphrase comes from
    /// MPOS_TERMINAL_PASSPHRASE; without one, a random key file beside the store protects it.
    func terminal(_ connection: Connection) async throws -> Terminal {
        try FileManager.default.createDirectory(atPath: stateDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try lockStateDirectory(stateDir)
        var configuration = TerminalConfiguration(host: connection.host, port: connection.port)
        configuration.responseTimeout = .seconds(responseTimeout)
        configuration.keepsSessionAcrossRestarts = true
        if let certificate = connection.tlsCertificate {
            try Self.useTLS(pinning: certificate, host: connection.host, handshakeTimeout: .seconds(Int64(responseTimeout)), in: &configuration)
        }
        let passphrase = ProcessInfo.processInfo.environment["MPOS_TERMINAL_PASSPHRASE"]
        let store = FileKeyStore(directory: stateDir, protection: passphrase.map(FileKeyStore.Protection.passphrase) ?? .keyFile)
        return try await Terminal(configuration: configuration, keyStore: store)
    }

    /// Every connection made with `configuration` speaks TLS and trusts only `certificate`.
    static func useTLS(pinning certificate: String, host: String, handshakeTimeout: TimeAmount, in configuration: inout TerminalConfiguration) throws {
        let context = try Self.tlsContext(pinning: certificate)
        let hostname = host.contains(where: \.isLetter) ? host : nil
        configuration.channelInitializer = { channel in
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: hostname))
                try channel.pipeline.syncOperations.addHandler(HandshakeWaiter(timeout: handshakeTimeout))
            }
        }
        // Nothing is sent before the handshake: a failed one (a certificate other than the
        // pinned one) is "host unreachable, nothing sent", never "outcome unknown".
        configuration.connectionReady = { channel in
            channel.pipeline.handler(type: HandshakeWaiter.self).flatMap { $0.handshake.futureResult }
        }
    }

    /// TLS 1.2+ trusting exactly the host's certificate.
    static func tlsContext(pinning file: String) throws -> NIOSSLContext {
        guard let pem = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read the host certificate \(file)") }
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(pem)))
        configuration.minimumTLSVersion = .tlsv12
        return try NIOSSLContext(configuration: configuration)
    }
}

/// Where the host is, remembered in the state directory (not secret).
struct Connection: Codable {
    var host: String
    var port: Int
    var tlsCertificate: String?

    static func path(_ directory: String) -> String { (directory as NSString).appendingPathComponent("host.json") }

    static func load(_ directory: String) -> Connection? {
        FileManager.default.contents(atPath: path(directory)).flatMap { try? JSONDecoder().decode(Connection.self, from: $0) }
    }

    func save(_ directory: String) throws {
        try JSONEncoder().encode(self).write(to: URL(fileURLWithPath: Self.path(directory)))
    }
}

/// Progress and results: lines for people on stderr/stdout, one JSON object for scripts.
struct Reporter {
    let json: Bool

    func progress(_ line: String) {
        if !json { FileHandle.standardError.write(Data("\(line)\n".utf8)) }
    }

    func result(_ line: String, _ fields: [String: String]) {
        if json { printJSON(fields) } else { print(line) }
    }

    /// A failure that is not the host's answer, on stderr.
    func failure(_ message: String) {
        FileHandle.standardError.write(Data("✘ \(message)\n".utf8))
    }
}

func printJSON(_ value: some Encodable) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    if let data = try? encoder.encode(value) { print(String(decoding: data, as: UTF8.self)) }
}

/// Runs one operation: progress lines, then the result; errors as a message and an exit code.
func perform(_ options: TerminalOptions, _ what: String, _ body: (Terminal, Reporter) async throws -> Void) async throws {
    let reporter = Reporter(json: options.json)
    do {
        let connection = try options.connection()
        let terminal = try await options.terminal(connection)
        reporter.progress("→ \(what) — host \(connection.host):\(connection.port)\(connection.tlsCertificate == nil ? "" : " (TLS)"), terminal \(await terminal.terminalID ?? "not enrolled")")
        try await body(terminal, reporter)
    } catch let error as TerminalError {
        let status: Int32
        switch error.code {
        case .outcomeUnknown: status = 2
        case .transport, .noAnswer: status = 3
        case .wrongState, .keyStore, .invalidInput, .invalidResponse: status = 4
        default: status = 1
        }
        if options.json {
            reporter.result("", ["result": "error", "code": error.code.rawValue, "response_code": error.responseCode?.rawValue ?? "",
                                 "message": error.message, "pending": error.pendingRequest.map { "\($0)" } ?? ""])
        } else {
            FileHandle.standardError.write(Data("✘ \(error.message)\(error.responseCode.map { " (response code \($0))" } ?? "")\n".utf8))
        }
        throw ExitCode(status)
    } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch {
        // Not the host's answer: the terminal's own files, certificate or setup.
        reporter.failure("\(error)")
        throw ExitCode(4)
    }
}


/// The PIN pad of a simulator: the keyboard, echo off (or a line from a pipe). The PIN is
/// handed to the SDK at once and not kept.
struct KeyboardPINPad: PINPad {
    func readPIN(for cardNumber: String) async throws -> PIN {
        let text = try SecretInput.read("PIN for card \(cardNumber) (not shown): ")
        do { return try PIN(text) } catch { throw TerminalError(.invalidInput, "A PIN is 4 to 12 digits: enter it again") }
    }
}

/// Completes when the TLS handshake does (or fails with it, or after a timeout).
final class HandshakeWaiter: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    private let timeout: TimeAmount
    private(set) var handshake: EventLoopPromise<Void>!
    private var timer: Scheduled<Void>?

    init(timeout: TimeAmount) { self.timeout = timeout }

    func handlerAdded(context: ChannelHandlerContext) {
        let promise = context.eventLoop.makePromise(of: Void.self)
        handshake = promise
        timer = context.eventLoop.scheduleTask(in: timeout) { promise.fail(ChannelError.connectTimeout(self.timeout)) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            timer?.cancel()
            handshake.succeed()
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        timer?.cancel()
        handshake.fail(TLSHandshakeFailed(reason: "\(error)"))
        context.fireErrorCaught(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        handshake.fail(TLSHandshakeFailed(reason: "the host closed the connection"))
        context.fireChannelInactive()
    }
}

/// A TLS handshake that did not complete: most often a host serving plain TCP.
struct TLSHandshakeFailed: Error, CustomStringConvertible {
    let reason: String

    var description: String {
        """
        the TLS handshake failed (\(reason)). If the host serves plain TCP (started without --tls), this is a TLS/plain \
        mismatch: connect without --tls-certificate. Otherwise check that --tls-certificate is this host's certificate
        """
    }
}

/// One command at a time per state directory: two at once would both take the next STAN.
/// The lock is held until the process ends.
func lockStateDirectory(_ directory: String) throws {
    let fd = open((directory as NSString).appendingPathComponent("terminal.lock"), O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
    guard fd >= 0, flock(fd, LOCK_EX | LOCK_NB) == 0 else {
        throw TerminalError(.wrongState, "Another mpos-terminal command is using \(directory): wait for it to finish")
    }
}
