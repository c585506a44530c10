import ArgumentParser
import Foundation
import MPOSHost
import MPOSHostRuntime

struct CardCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "card", abstract: "Opened cards (masked card numbers, keyed customer identifiers).", subcommands: [List.self, Unlock.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List opened cards.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await runReportingErrors {
                var table = Table("id", "card", "customer", "identity type", "pin failures", "locked", "opened", "terminal")
                for card in try await global.withAdministration({ try await $0.cards() }) {
                    table.add(Cell(card.id), .text(card.maskedCardNumber), .text(card.customerIdentifier), .text(card.identityDocumentType),
                              Cell(card.consecutivePINFailures), .flag(card.isLocked), Cell(card.openedAt), .text(card.openedByTerminal))
                }
                table.print(json: global.json)
            }
        }
    }

    struct Unlock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Unlock a card's PIN after too many wrong PINs.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The card's id (from `card list`).") var id: Int64
        func run() async throws {
            try await runReportingErrors { try await global.withAdministration { try await $0.unlockCard(id: id) }; done("Unlocked card \(id).", global) }
        }
    }
}

struct ContractCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "contract", abstract: "Signed contracts.", subcommands: [List.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List contracts, newest first.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "At most this many.") var limit = 100

        func run() async throws {
            try await runReportingErrors {
                var table = Table("reference", "carrier", "phone", "tariff", "card", "customer", "module", "terminal", "operator", "signed")
                for contract in try await global.withAdministration({ try await $0.contracts(limit: limit) }) {
                    table.add(.text(contract.reference), .text(contract.carrierCode), .text(contract.phoneNumber), .text(contract.tariff),
                              .text(contract.maskedCardNumber), .text(contract.customerIdentifier), .text(contract.module),
                              .text(contract.terminalID), .text(contract.operatorNumber), Cell(contract.signedAt))
                }
                table.print(json: global.json)
            }
        }
    }
}

struct OutboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox", abstract: "Contracts on their way to the carriers' business modules.", subcommands: [List.self, Retry.self, Dispatch.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Pending and dead-lettered deliveries (with --all, delivered ones too).")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Include delivered entries.") var all = false

        func run() async throws {
            try await runReportingErrors {
                let states: Set<OutboxEntry.State> = all ? [.pending, .delivered, .deadLettered] : [.pending, .deadLettered]
                var table = Table("id", "contract", "module", "state", "attempts", "next attempt", "last error")
                for entry in try await global.withAdministration({ try await $0.outbox(states: states) }) {
                    table.add(Cell(entry.id), .text(entry.contractReference), .text(entry.module), .text(entry.state.rawValue),
                              Cell(entry.attempts), Cell(entry.state == .pending ? entry.nextAttemptAt : nil), Cell(entry.lastError))
                }
                table.print(json: global.json)
            }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Queue a dead-lettered delivery again.")
        @OptionGroup var global: GlobalOptions
        @Argument var id: Int64
        func run() async throws {
            try await runReportingErrors { try await global.withAdministration { try await $0.retryOutboxEntry(id: id) }; done("Outbox entry \(id) is queued again.", global) }
        }
    }

    struct Dispatch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Deliver what is due now, once (the server does this continuously).")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await runReportingErrors {
                ProcessHardening.disableCoreDumps()
                let directory = global.directory
                let settings = try directory.loadSettings()
                let lmk = try directory.loadLocalMasterKey()
                let store = try await directory.openStore()
                do {
                    let host = try await HostEngine.start(store: store, lmk: lmk, configuration: settings.hostConfiguration,
                                                          modules: try settings.businessModules(store: store))
                    let report = try await OutboxDispatcher(host: host, owner: "cli:\(ProcessInfo.processInfo.processIdentifier)",
                                                            retryPolicy: settings.deliveryRetry).dispatchDue(limit: 1000)
                    try await store.close()
                    done("Delivered \(report.delivered), to retry \(report.retried), dead-lettered \(report.deadLettered).", global)
                } catch {
                    try? await store.close()
                    throw error
                }
            }
        }
    }
}

struct LedgerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ledger", abstract: "The ledger module's book.", subcommands: [Export.self])

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write a carrier's daily CSV file (RFC 4180).")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Carrier code, e.g. 1.") var carrier: String
        @Option(help: "Day, YYYY-MM-DD (UTC); default today.") var day: String = LedgerExport.day(of: Date())
        @Option(help: "File to write (default: standard output).") var output: String?

        func run() async throws {
            try await runReportingErrors {
                let csv = try await global.withAdministration { try await $0.ledgerCSV(carrierCode: carrier, day: day) }
                if let output {
                    try Data(csv.utf8).write(to: URL(fileURLWithPath: output))
                } else {
                    print(csv, terminator: "")
                }
            }
        }
    }
}

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "The hash-chained audit trail.", subcommands: [Verify.self, Tail.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check the whole chain; exit 1 and name the first bad row if it is broken.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await runReportingErrors {
                let result = try await global.withAdministration { try await $0.verifyAuditTrail() }
                switch result {
                case .intact(let entries):
                    if global.json { printJSON(["result": "intact", "entries": String(entries)]) } else { print("The audit trail is intact: \(entries) entries.") }
                case .broken(let sequence, let reason):
                    if global.json { printJSON(["result": "broken", "sequence": String(sequence), "reason": reason]) }
                    throw HostError(.auditChainBroken, "the audit trail is broken at entry \(sequence): \(reason)")
                }
            }
        }
    }

    struct Tail: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The newest entries.")
        @OptionGroup var global: GlobalOptions
        @Option(name: [.customShort("n"), .long], help: "How many.") var count = 20

        func run() async throws {
            try await runReportingErrors {
                var table = Table("sequence", "time", "event", "actor", "subject", "outcome", "details")
                for entry in try await global.withAdministration({ try await $0.auditTail(count) }) {
                    table.add(Cell(entry.sequence), Cell(entry.recordedAt), .text(entry.event), .text(entry.actor), .text(entry.subject),
                              .text(entry.outcome), .text(entry.details))
                }
                table.print(json: global.json)
            }
        }
    }
}
