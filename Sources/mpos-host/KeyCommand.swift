import ArgumentParser
import MPOSCore
import Foundation
import MPOSCrypto
import MPOSHost
import MPOSHostRuntime

struct KeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key", abstract: "Key management: versions and check values (never keys), rotation, key ceremony.",
        subcommands: [List.self, Rotate.self, Ceremony.self, GenerateComponents.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The host's keys and the base master key versions, by check value.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await runReportingErrors {
                let inventory = try await global.withAdministration { try await $0.keyInventory() }
                var table = Table("key", "usage", "state", "check value", "terminals", "origin", "created")
                for version in inventory.baseMasterKeys {
                    table.add(.text("base master key v\(version.record.version)"), .text("B0"), .text(version.record.state.rawValue),
                              Cell(version.record.checkValue), Cell(version.terminals), .text(version.record.origin), Cell(version.record.createdAt))
                }
                for key in inventory.hostKeys {
                    table.add(.text(key.role.rawValue), .text(usage(of: key.role)), .text("active"), .text(key.checkValue), .none, .text("generated"), Cell(key.createdAt))
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
            }
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a new base master key version active; terminals move to it at their next sign-on.")
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
