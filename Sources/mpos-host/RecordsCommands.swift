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
                let cards = try await global.withAdministering { try await $0.cards() }
                for card in cards {
                    table.add(Cell(card.id), .text(card.maskedCardNumber), .text(card.customerIdentifier), .text(card.identityDocumentType),
                              Cell(card.consecutivePinFailures), .flag(card.locked), Cell(card.openedAt), .text(card.openedByTerminal))
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
            try await runReportingErrors { try await global.withAdministering { try await $0.unlockCard(id) }; done("Unlocked card \(id).", global) }
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
                let contracts = try await global.withAdministering { try await $0.contracts(limit: limit) }
                for contract in contracts {
                    table.add(.text(contract.reference), .text(contract.carrierCode), .text(contract.phoneNumber), .text(contract.tariff),
                              .text(contract.maskedCardNumber), .text(contract.customerIdentifier), .text(contract.module),
                              .text(contract.terminal), .text(contract.operator), Cell(contract.signedAt))
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
                var table = Table("id", "contract", "module", "state", "attempts", "next attempt", "last error")
                for entry in try await global.withAdministering({ try await $0.outbox(includingDelivered: all) }) {
                    table.add(Cell(entry.id), .text(entry.contractReference), .text(entry.module), .text(entry.state),
                              Cell(entry.attempts), Cell(entry.state == "pending" ? entry.nextAttemptAt : nil), Cell(entry.lastError))
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
            try await runReportingErrors { try await global.withAdministering { try await $0.retryOutboxEntry(id) }; done("Outbox entry \(id) is queued again.", global) }
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
                let csv = try await global.withAdministering { try await $0.ledgerCSV(carrier: carrier, day: day) }
                if let output {
                    // Phone numbers: the file is the carrier's, not everyone's on this machine.
                    guard FileManager.default.createFile(atPath: output, contents: Data(csv.utf8), attributes: [.posixPermissions: 0o600]) else {
                        throw HostSetupError("cannot write \(output)")
                    }
                } else {
                    print(csv, terminator: "")
                }
            }
        }
    }
}

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "audit", abstract: "The hash-chained audit trail.", subcommands: [Verify.self, Head.self, Tail.self])

    struct Head: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the newest entry as SEQUENCE:MAC, to keep outside the database (then `audit verify --expect-head`).")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await runReportingErrors {
                guard let head = try await global.withAdministering({ try await $0.auditHead() }) else { throw HostError(.notFound, "the audit trail is empty") }
                if global.json { printJSON(["head": head]) } else { print(head) }
            }
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Check the whole chain; exit 1 and name the first bad row if it is broken.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "A head recorded earlier (`audit head`, SEQUENCE:MAC): also finds rows cut from the end.") var expectHead: String?

        func run() async throws {
            try await runReportingErrors {
                let head = try expectHead.map { text in
                    guard let head = AuditHead(text) else { throw ValidationError("--expect-head is SEQUENCE:MAC (32 hex digits)") }
                    return head
                }
                let result = try await global.withAdministering { try await $0.verifyAuditTrail(expectedHead: head) }
                if let sequence = result.brokenAt {
                    let reason = result.reason ?? "?"
                    if global.json { printJSON(["result": "broken", "sequence": String(sequence), "reason": reason]) }
                    throw HostError(.auditChainBroken, "the audit trail is broken at entry \(sequence): \(reason)")
                }
                let entries = result.entries ?? 0
                if global.json { printJSON(["result": "intact", "entries": String(entries)]) } else { print("The audit trail is intact: \(entries) entries.") }
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
                for entry in try await global.withAdministering({ try await $0.auditTail(count) }) {
                    table.add(Cell(entry.sequence), Cell(entry.recordedAt), .text(entry.event), .text(entry.actor), .text(entry.subject),
                              .text(entry.outcome), .text(entry.details))
                }
                table.print(json: global.json)
            }
        }
    }
}

struct ReferencesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "references",
        abstract: "Every reference the host answered an approved operation with: contracts and card openings (JSON).",
        discussion: "For `mpos-terminal load verify --references FILE`: each operation a load run saw approved must be here once.")
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await runReportingErrors {
            let references = try await global.withAdministering { try await $0.references() }
            printJSON(["contracts": references.contracts, "card_openings": references.cardOpenings])
        }
    }
}
