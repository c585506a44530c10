import ArgumentParser
import MPOSCore
import MPOSHost

struct OperatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "operator", abstract: "The operator table: operator numbers and their keys (stored only as keyed verification values).",
        subcommands: [Add.self, List.self, Disable.self, Enable.self, Unlock.self, SetKey.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add an operator; the key is read with echo off (or from a pipe).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Operator number, 1-8 digits.") var number: String
        @Option(help: "The operator's name.") var name: String

        func run() async throws {
            try await runReportingErrors {
                let key = try readOperatorKey()
                let record = try await global.withAdministering { try await $0.addOperator(number: number, name: name, key: key) }
                if global.json { printJSON(["number": record.number, "name": record.name]) } else { print("Added operator \(record.number) (\(record.name)).") }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List operators and their state.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await runReportingErrors {
                var table = Table("number", "name", "state", "failures", "last sign on")
                for record in try await global.withAdministering({ try await $0.operators() }) {
                    table.add(.text(record.number), .text(record.name), .text(record.state), Cell(record.consecutiveFailures), Cell(record.lastSignOnAt))
                }
                table.print(json: global.json)
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable an operator: sign-on and sign-off get A3.")
        @OptionGroup var global: GlobalOptions
        @Argument var number: String
        func run() async throws {
            try await runReportingErrors { try await global.withAdministering { try await $0.setOperatorDisabled(number, true) }; done("Disabled operator \(number).", global) }
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled operator.")
        @OptionGroup var global: GlobalOptions
        @Argument var number: String
        func run() async throws {
            try await runReportingErrors { try await global.withAdministering { try await $0.setOperatorDisabled(number, false) }; done("Enabled operator \(number).", global) }
        }
    }

    struct Unlock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Unlock an operator locked after too many wrong keys.")
        @OptionGroup var global: GlobalOptions
        @Argument var number: String
        func run() async throws {
            try await runReportingErrors { try await global.withAdministering { try await $0.unlockOperator(number) }; done("Unlocked operator \(number).", global) }
        }
    }

    struct SetKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Give an operator a new key (read with echo off); also unlocks it.")
        @OptionGroup var global: GlobalOptions
        @Argument var number: String
        func run() async throws {
            try await runReportingErrors {
                let key = try readOperatorKey()
                try await global.withAdministering { try await $0.setOperatorKey(number, key: key) }
                done("Operator \(number) has a new key.", global)
            }
        }
    }
}

/// Asks twice at a terminal (a typo would lock the operator out), once from a pipe.
private func readOperatorKey() throws -> String {
    let key = try SecretInput.read("Operator key (4-16 characters, not shown): ")
    if isInteractive {
        guard try SecretInput.read("Again: ") == key else { throw ValidationError("the two keys differ") }
    }
    return key
}

/// Reports a change: the sentence for people, `{"result": sentence}` for scripts.
func done(_ message: String, _ global: GlobalOptions) {
    if global.json { printJSON(["result": message]) } else { print(message) }
}
