import ArgumentParser
import Foundation
import MPOSWorkedExample

/// Regenerates the worked example: `docs/worked-example.json` and section 7 of
/// `docs/protocol.md`. Run from the repository root after changing the protocol; the drift test
/// (Tests/MPOSProtocolTests/WorkedExampleTests) fails until the docs are regenerated.
@main
struct WorkedExampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mpos-worked-example",
        abstract: "Regenerate docs/worked-example.json and docs/protocol.md section 7 from the protocol code."
    )

    @Option(help: "The repository root.")
    var root: String = FileManager.default.currentDirectoryPath

    func run() throws {
        let transcript = try WorkedExample.generate()
        let json = URL(fileURLWithPath: root).appendingPathComponent("docs/worked-example.json")
        try Data(WorkedExample.encoded(transcript)).write(to: json)
        let page = URL(fileURLWithPath: root).appendingPathComponent("docs/protocol.md")
        let text = try String(contentsOf: page, encoding: .utf8)
        guard let updated = WorkedExample.replacingSection(in: text, with: WorkedExample.markdown(transcript)) else {
            throw ValidationError("docs/protocol.md has no worked-example markers")
        }
        try updated.write(to: page, atomically: true, encoding: .utf8)
        print("wrote \(json.path) and section 7 of \(page.path)")
    }
}
