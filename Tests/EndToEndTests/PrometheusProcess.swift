import Foundation
#if canImport(Glibc)
import Glibc
#endif
import MPOSTestSupport

/// Debian's Prometheus server on loopback, scraping one host's admin API every second, with
/// its data in a temporary directory; stopped and removed by `stop()`.
final class PrometheusProcess: @unchecked Sendable {
    let port: Int
    private let process: Process
    private let directory: URL

    static func start(binary: String, scraping adminPort: Int) throws -> PrometheusProcess {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mpos-prometheus-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let configuration = """
            global:
              scrape_interval: 1s
            scrape_configs:
              - job_name: mpos
                metrics_path: /metrics
                static_configs:
                  - targets: ["127.0.0.1:\(adminPort)"]
            """
        try configuration.write(to: directory.appendingPathComponent("prometheus.yml"), atomically: true, encoding: .utf8)
        let port = try FreePort.find()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["--config.file=\(directory.path)/prometheus.yml", "--storage.tsdb.path=\(directory.path)/data",
                             "--web.listen-address=127.0.0.1:\(port)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return PrometheusProcess(port: port, process: process, directory: directory)
    }

    private init(port: Int, process: Process, directory: URL) {
        self.port = port; self.process = process; self.directory = directory
    }

    func stop() {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: directory)
    }

    /// The first value of an instant query's answer (`"value":[time,"N"]`).
    static func value(_ json: String) -> Double? {
        struct Answer: Decodable {
            struct Data: Decodable {
                struct Result: Decodable { let value: [Value] }
                let result: [Result]
            }
            let data: Data
        }
        enum Value: Decodable {
            case number(Double), text(String)
            init(from decoder: any Decoder) throws {
                let container = try decoder.singleValueContainer()
                if let number = try? container.decode(Double.self) { self = .number(number) } else { self = .text(try container.decode(String.self)) }
            }
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(json.utf8)), let first = answer.data.result.first,
              first.value.count == 2, case .text(let text) = first.value[1] else { return nil }
        return Double(text)
    }
}

/// A loopback port free right now (bound to port 0, read, closed).
enum FreePort {
    static func find() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw CocoaError(.fileNoSuchFile) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0 else { throw CocoaError(.fileNoSuchFile) }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
