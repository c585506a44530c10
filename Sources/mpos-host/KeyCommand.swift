import ArgumentParser
import MPOSCore
import Foundation
import MPOSCrypto
import MPOSHost
import MPOSHostRuntime
import MPOSAdminAPI

struct KeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key", abstract: "Key management: versions and check values (never keys), rotation, key ceremony.",
        subcommands: [List.self, Rotate.self, Approvals.self, Approve.self, Decline.self, Ceremony.self, GenerateComponents.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The host's keys and the base master key versions, by check value.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await runReportingErrors {
                let inventory = try await global.withAdministering { try await $0.keyInventory() }
                var table = Table("key", "usage", "state", "check value", "terminals", "origin", "created")
                for version in inventory.baseMasterKeys {
                    table.add(.text("base master key v\(version.version)"), .text("B0"), .text(version.state),
                              Cell(version.checkValue), Cell(version.terminals), .text(version.origin), Cell(version.createdAt))
                }
                for key in inventory.hostKeys {
                    table.add(.text(key.role), .text(HostKeyRole(rawValue: key.role).map(usage(of:)) ?? "?"), .text("active"), .text(key.checkValue), .none,
                              .text("generated"), Cell(key.createdAt))
                }
                table.print(json: global.json)
            }
        }

        private func usage(of role: HostKeyRole) -> String {
            switch role {
            case .signing: "S0 (P-256)"
            case .sealing: "K3 (P-256)"
            case .operatorVerification: "10"
            case .pinVerification: "V0"
            case .cardLookup, .customerIdentifier: "11"
            case .cardEncryption: "D0"
            case .auditChain: "M6"
            case .adminSecrets: "D0"
            }
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a new base master key version active; terminals move to it at their next sign-on.",
            discussion: """
                With --url (a key custodian's token) this asks for the rotation: it happens when a second key custodian \
                runs `key approve ID`. Locally (store and LMK: bootstrap and recovery) it happens at once.
                """)
        @OptionGroup var global: GlobalOptions
        @Option(help: "Form the new key from 2 or 3 custodians' components instead of generating it.") var ceremony: Int?
        @Flag(help: "Also tell every signed-in terminal to sign on again now.") var requestSignOn = false

        func run() async throws {
            try await runReportingErrors { try await rotate(global: global, ceremony: ceremony, requestSignOn: requestSignOn) }
        }
    }

    struct Ceremony: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Key ceremony: form the new base master key from 2 or 3 components, each confirmed by its check value.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "How many custodians (2 or 3).") var components: Int = 3
        @Flag(help: "Also tell every signed-in terminal to sign on again now.") var requestSignOn = false

        func run() async throws {
            try await runReportingErrors { try await rotate(global: global, ceremony: components, requestSignOn: requestSignOn) }
        }
    }

    struct GenerateComponents: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "generate-components",
            abstract: "Print fresh random key components, one per custodian, each with its check value (for a ceremony on another host).",
            discussion: "Each component is shown only after its custodian presses Enter, and the screen is cleared before the next.")
        @Option(help: "How many components (2 or 3).") var count: Int = 3

        func run() async throws {
            try await runReportingErrors {
                guard (2...3).contains(count) else { throw ValidationError("2 or 3 components") }
                ProcessHardening.disableCoreDumps()
                let key = try AESKey<BaseDerivation>(generating: .bits256)
                for (index, component) in try KeyComponents.split(key, into: count).enumerated() {
                    _ = try SecretInput.readVisible("Custodian \(index + 1) of \(count): press Enter when alone at the screen.")
                    print("component \(index + 1): \(component.unsafeHexDigits)\ncheck value: \(component.checkValue)")
                    _ = try SecretInput.readVisible("Write it down, then press Enter to clear the screen.")
                    print("\u{1B}[2J\u{1B}[H", terminator: "")
                }
                print("The combined key's check value: \(try key.checkValue())")
            }
        }
    }
}

private func rotate(global: GlobalOptions, ceremony: Int?, requestSignOn: Bool) async throws {
    if let url = global.adminURL {
        guard ceremony == nil else {
            throw ValidationError("a key ceremony runs where the custodians type their components: at the host, without --url")
        }
        let approval: ApprovalView = try await global.withClient(url) { try await $0.post("/api/v1/key-approvals", ["request_sign_on": requestSignOn]) }
        if global.json { printJSON(approval) } else {
            print("Rotation requested (approval \(approval.id)): a second key custodian approves it with `mpos-host key approve \(approval.id) --url \(url)`.")
        }
        return
    }
    let components = try ceremony.map(readKeyComponents(count:))
    let record = try await global.withAdministration { admin in
        if let components {
            return try await admin.rotateBaseMasterKey(components: components, requestSignOn: requestSignOn)
        }
        return try await admin.rotateBaseMasterKey(requestSignOn: requestSignOn)
    }
    if global.json {
        printJSON(["version": String(record.version), "check_value": record.checkValue, "origin": record.origin])
    } else {
        print("Base master key version \(record.version) is active (check value \(record.checkValue), \(record.origin)).")
        print("Terminals move to it at their next sign-on; the previous version retires when no terminal holds it.")
    }
}

struct Approvals: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Key rotations waiting for (or decided by) a second key custodian (--url).")
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await runReportingErrors {
            guard let url = global.adminURL else { throw ValidationError("dual control runs through the admin API: give --url") }
            let approvals: [ApprovalView] = try await global.withClient(url) { try await $0.all("/api/v1/key-approvals") }
            var table = Table("id", "action", "state", "requested by", "requested", "decided by", "result")
            for approval in approvals {
                table.add(Cell(approval.id), .text(approval.action), .text(approval.state), .text(approval.requestedBy), Cell(approval.requestedAt),
                          Cell(approval.decidedBy), Cell(approval.result))
            }
            table.print(json: global.json)
        }
    }
}

struct Approve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Approve another key custodian's rotation request: the rotation happens now (--url).")
    @OptionGroup var global: GlobalOptions
    @Argument var id: Int64

    func run() async throws {
        try await runReportingErrors {
            guard let url = global.adminURL else { throw ValidationError("dual control runs through the admin API: give --url") }
            let approval: ApprovalView = try await global.withClient(url) { try await $0.post("/api/v1/key-approvals/\(id)/approve") }
            if global.json { printJSON(approval) } else { print("Approved: \(approval.result ?? "done").") }
        }
    }
}

struct Decline: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Reject another custodian's rotation request, or withdraw your own (--url).")
    @OptionGroup var global: GlobalOptions
    @Argument var id: Int64

    func run() async throws {
        try await runReportingErrors {
            guard let url = global.adminURL else { throw ValidationError("dual control runs through the admin API: give --url") }
            let approval: ApprovalView = try await global.withClient(url) { try await $0.post("/api/v1/key-approvals/\(id)/decline") }
            if global.json { printJSON(approval) } else { print("Approval request \(id) is \(approval.state).") }
        }
    }
}
