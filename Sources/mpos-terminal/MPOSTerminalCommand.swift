import ArgumentParser
import MPOSCore

/// `mpos-terminal`: the terminal simulator and load generator, built on the MPOSTerminal kit.
/// For now it only reports its version.
@main
struct MPOSTerminalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mpos-terminal",
        abstract: "An mpos terminal simulator: enroll, sign on, open cards, sign contracts, sign off.",
        discussion: "Work in progress: this build has the payment-cryptography core only, so there is no host to talk to yet.",
        version: MPOSVersion.current
    )
}
