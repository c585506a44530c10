import Foundation
import ArgumentParser
import MPOSCrypto
import MPOSHost
import MPOSHostRuntime

struct TerminalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "terminal", abstract: "Terminals: add (with a one-time enrollment code), list, show, block, unblock, sign off.",
        subcommands: [Add.self, List.self, Show.self, Block.self, Unblock.self, SignOff.self, ReissueCode.self, Reset.self, RequestSignOn.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a terminal and print its one-time enrollment code (shown once).")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Terminal ID, 8 characters (field 41); default: the next free number.") var id: String?
        @Option(help: "Where the terminal is, for people.") var label: String
        @Option(help: "Add this many terminals at once (numbered in turn; --json prints a list), e.g. for `mpos-terminal load`.") var count: Int?
        @Option(help: "With --count: write the list (terminal IDs and their enrollment codes, JSON) to this new file, readable by its owner only, instead of printing it.")
        var output: String?

        func validate() throws {
            if let count, !(1...100_000).contains(count) { throw ValidationError("--count must be 1 to 100000") }
            if count != nil, id != nil { throw ValidationError("--count numbers the terminals itself: leave out --id") }
            if output != nil, count == nil { throw ValidationError("--output goes with --count") }
            // Checked before any code is issued: codes that cannot be written are lost.
            if let output, FileManager.default.fileExists(atPath: output) { throw ValidationError("\(output) exists already") }
        }

        func run() async throws {
            try await runReportingErrors {
                if let count {
                    let added = try await global.withAdministering { admin in
                        var added: [[String: String]] = []
                        for _ in 0..<count {
                            let new = try await admin.addTerminal(id: nil, label: label)
                            added.append(["terminal_id": new.terminal.id, "enrollment_code": new.enrollmentCode])
                        }
                        return added
                    }
                    if let output {
                        // Live enrollment codes: owner-only, and never over an existing file.
                        guard !FileManager.default.fileExists(atPath: output),
                              FileManager.default.createFile(atPath: output, contents: try jsonData(added), attributes: [.posixPermissions: 0o600])
                        else { throw HostSetupError("cannot write \(output) (it must not exist yet)") }
                        print("Added \(count) terminals (\(label)); their one-time enrollment codes are in \(output) (owner-only).")
                        return
                    }
                    if global.json { printJSON(added); return }
                    for terminal in added { print("\(terminal["terminal_id"]!)  \(terminal["enrollment_code"]!)") }
                    print("Added \(count) terminals (\(label)); each code is shown only this once and works once.")
                    return
                }
                let new = try await global.withAdministering { try await $0.addTerminal(id: id, label: label) }
                let (record, code) = (new.terminal, new.enrollmentCode)
                if global.json {
                    printJSON(["terminal_id": record.id, "enrollment_code": code])
                } else {
                    print("""
                        Added terminal \(record.id) (\(record.label)).
                        Enrollment code: \(code)
                        Give it to whoever sets the terminal up; it is shown only this once and works once.
                        """)
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List terminals and their state.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await runReportingErrors {
                var table = Table("id", "label", "state", "key version", "session", "last seen")
                for record in try await global.withAdministering({ try await $0.terminals() }) {
                    table.add(.text(record.id), .text(record.label), .text(record.state), Cell(record.masterKeyVersion),
                              Cell(record.session), Cell(record.lastSeenAt))
                }
                table.print(json: global.json)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one terminal in full (public keys as fingerprints).")
        @OptionGroup var global: GlobalOptions
        @Argument var id: String

        func run() async throws {
            try await runReportingErrors {
                let record = try await global.withAdministering { try await $0.terminal(id) }
                var table = Table("field", "value")
                table.add(.text("id"), .text(record.id))
                table.add(.text("label"), .text(record.label))
                table.add(.text("state"), .text(record.state))
                table.add(.text("enrollment code outstanding"), .flag(record.enrollmentCodeOutstanding))
                table.add(.text("enrollment code expires"), Cell(record.enrollmentCodeExpiresAt))
                table.add(.text("wrong operator keys in a row"), Cell(record.wrongOperatorKeysInARow))
                table.add(.text("enrollment failures"), Cell(record.enrollmentFailures))
                table.add(.text("device signing key"), Cell(record.deviceSigningKeyFingerprint))
                table.add(.text("device sealing key"), Cell(record.deviceSealingKeyFingerprint))
                table.add(.text("master key version"), Cell(record.masterKeyVersion))
                table.add(.text("session"), Cell(record.session))
                table.add(.text("sign-on requested"), .flag(record.signOnRequested))
                table.add(.text("last seen"), Cell(record.lastSeenAt))
                table.add(.text("added"), Cell(record.createdAt))
                table.print(json: global.json)
            }
        }
    }

    struct Block: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Block a terminal: every request gets 58; its session ends.")
        @OptionGroup var global: GlobalOptions
        @Argument var id: String
        func run() async throws {
            try await runReportingErrors { try await global.withAdministering { try await $0.blockTerminal(id) }; done("Blocked terminal \(id).", global) }
        }
    }

    struct Unblock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Unblock a terminal.")
        @OptionGroup var global: GlobalOptions
        @Argument var id: String
        func run() async throws {
            try await runReportingErrors { try await global.withAdministering { try await $0.unblockTerminal(id) }; done("Unblocked terminal \(id).", global) }
        }
    }

    struct SignOff: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "sign-off", abstract: "Force a terminal's sign-off: its session keys are erased now.")
        @OptionGroup var global: GlobalOptions
        @Argument var id: String
        func run() async throws {
            try await runReportingErrors { try await global.withAdministering { try await $0.forceSignOff(id) }; done("Signed terminal \(id) off.", global) }
        }
    }

    struct ReissueCode: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "reissue-code", abstract: "A new enrollment code for a terminal that has not enrolled.")
        @OptionGroup var global: GlobalOptions
        @Argument var id: String
        func run() async throws {
            try await runReportingErrors {
                let code = try await global.withAdministering { try await $0.reissueEnrollmentCode(id) }
                if global.json { printJSON(["terminal_id": id, "enrollment_code": code]) } else { print("Enrollment code for \(id): \(code)") }
            }
        }
    }

    struct Reset: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Return a terminal to awaiting enrollment with a new code (a replaced device); its device keys are forgotten.")
        @OptionGroup var global: GlobalOptions
        @Argument var id: String
        func run() async throws {
            try await runReportingErrors {
                let code = try await global.withAdministering { try await $0.resetTerminal(id) }
                if global.json { printJSON(["terminal_id": id, "enrollment_code": code]) } else { print("Terminal \(id) awaits enrollment. Enrollment code: \(code)") }
            }
        }
    }

    struct RequestSignOn: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "request-sign-on", abstract: "Tell a signed-in terminal to sign on again (its next business message gets A1).")
        @OptionGroup var global: GlobalOptions
        @Argument var id: String
        func run() async throws {
            try await runReportingErrors { try await global.withAdministering { try await $0.requestSignOn(id) }; done("Terminal \(id) will be asked to sign on again.", global) }
        }
    }
}
