import Foundation
import MPOSTestSupport
import Testing

/// The web console in a real browser (Tests/CrossCheck/console_browser.py: headless Chromium
/// driven by Selenium) against a real `mpos-host serve`, with `mpos-terminal` as the terminal:
/// sign in, add a terminal and enroll it with the code read off the page, see it signed in on
/// the dashboard, block it and see its sign-on refused, a viewer's forged POST refused, a
/// rotation that needs a second custodian, an idle session ended; every page at 1280 px and
/// 390 px. Screenshots go to .build/console-screenshots.
@Suite("End to end: the web console in headless Chromium", .serialized, .timeLimit(.minutes(10)))
struct ConsoleBrowserTests {
    static let idleSeconds = 20

    @Test("a fleet's day in the browser, as each role")
    func console() async throws {
        let host = try await HostProcess.start(arguments: ["--admin-session-idle-seconds", String(Self.idleSeconds)])
        defer { host.stop(); host.removeData() }
        let password = AdminAPIEndToEndTests.password
        for (name, role) in [("root", "administrator"), ("helen", "help-desk"), ("vera", "viewer"), ("kc1", "key-custodian"),
                             ("kc2", "key-custodian"), ("audrey", "auditor")] {
            try await host.admin(["user", "add", name, "--role", role], input: "\(password)\n\(password)\n")
        }
        try await host.admin(["operator", "add", "01", "--name", "Operator 01"], input: "111111\n")
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("mpos-console-terminal-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: state) }
        let screenshots = PythonScript.repositoryRoot.appendingPathComponent(".build/console-screenshots")
        let output = try await PythonScript.run("console_browser.py", [
            "--url", "http://127.0.0.1:\(try #require(host.adminPort))",
            "--terminal", ProcessRunner.executable("mpos-terminal").path,
            "--host-port", String(host.port), "--state-dir", state.path,
            "--screenshots", screenshots.path, "--idle-seconds", String(Self.idleSeconds),
        ], timeLimit: .seconds(420))
        let report = String(decoding: output, as: UTF8.self)
        #expect(report.contains("all console checks passed"), "the browser run ended early:\n\(report.suffix(4000))")
        for name in ["dashboard-1280", "dashboard-390", "terminal-1280", "terminal-390"] {
            #expect(FileManager.default.fileExists(atPath: screenshots.appendingPathComponent("\(name).png").path), "screenshot \(name) saved")
        }
    }
}
