import ArgumentParser
import Foundation
import Logging
import MPOSHost
import MPOSHostRuntime
import MPOSServer
import NIOCore
import NIOSSL
import ServiceLifecycle

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the host: the TCP server for terminals and the outbox dispatcher, until SIGTERM or SIGINT.",
        discussion: """
            With no store in the data directory, it creates the embedded SQLite default there first and says so. \
            With --database (or MPOS_DATABASE_URL, or database in config.json) it serves from PostgreSQL: run any \
            number of nodes on one database, each with a copy of the data directory and its own --node name.
            """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port).") var port = 8583
    @Option(help: "Most connections at once.") var maxConnections = 10_000
    @Option(help: "Seconds a connection may stay silent.") var idleTimeout = 300
    @Option(help: "Seconds a frame, once begun, has to arrive whole.") var frameTimeout = 10
    @Option(help: "Largest frame accepted, in bytes.") var maxFrameLength = 4096
    @Option(help: "Requests read ahead per connection.") var maxInFlight = 4
    @Option(help: "This node's name in outbox leases (default: host name and process ID).") var node: String?
    @Flag(help: "Speak TLS (1.2+) with the data directory's certificate, which terminals pin.") var tls = false
    @Flag(help: "Log every request (operation, terminal, response code, time; never message contents).") var verbose = false

    func validate() throws {
        guard (512...65_535).contains(maxFrameLength) else { throw ValidationError("--max-frame-length is 512 to 65535") }
        guard maxConnections >= 1, maxInFlight >= 1, idleTimeout >= 1, frameTimeout >= 1 else {
            throw ValidationError("--max-connections, --max-in-flight, --idle-timeout and --frame-timeout are at least 1")
        }
        guard (0...65_535).contains(port) else { throw ValidationError("--port is 0 to 65535") }
    }

    func run() async throws {
        try await runReportingErrors {
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = verbose ? .debug : .info
                return handler
            }
            let logger = Logger(label: "mpos.host")
            AllocatorTuning.keepFreedMemoryForReuse()
            let directory = global.directory
            let runtime = try await HostRuntime.open(directory: directory, initializeIfMissing: true, logger: logger)
            var configuration = HostServerConfiguration()
            configuration.host = host
            configuration.port = port
            configuration.maximumConnections = maxConnections
            configuration.idleTimeout = .seconds(Int64(idleTimeout))
            configuration.frameTimeout = .seconds(Int64(frameTimeout))
            configuration.maximumFrameLength = maxFrameLength
            configuration.maximumRequestsInFlight = maxInFlight
            if tls {
                let context = try runtime.tlsContext()
                configuration.tls = { channel in try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context)) }
            }
            let nodeName = node ?? "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
            let (server, services) = runtime.services(server: configuration, node: nodeName, logger: logger)
            // A graceful shutdown waits for requests in flight, but not for ever.
            var groupConfiguration = ServiceGroupConfiguration(services: services.map { .init(service: $0) },
                                                               gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            groupConfiguration.maximumGracefulShutdownDuration = .seconds(30)
            let group = ServiceGroup(configuration: groupConfiguration)

            // Say where, once listening: the address line is what scripts wait for.
            let announcement = Task {
                guard let address = try? await server.listeningAddress() else { return }
                if runtime.createdStore {
                    say("""
                        Created a new host in \(directory.path) (LMK, host keys, base master key v1; store \((try? directory.storeLocation())?.description ?? "?")).
                        Add an operator:    mpos-host operator add 01 --name "Operator 01" --data-dir \(directory.path)
                        Add a terminal:     mpos-host terminal add --label "Counter 1" --data-dir \(directory.path)
                        Enroll it:          mpos-terminal enroll --terminal-id 00000001 --host \(host) --port \(address.port ?? port)
                        """)
                }
                say("mpos-host listening on \(host):\(address.port ?? port)\(tls ? " (TLS)" : "") (data: \(directory.path), node \(nodeName))")
            }
            do {
                try await group.run()
            } catch {
                announcement.cancel()
                try? await runtime.store.close()
                throw error
            }
            announcement.cancel()
            try await runtime.store.close()
            say("mpos-host stopped")
        }
    }
}

/// Unbuffered, so a script reading the pipe sees each line when it is written.
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
