import ArgumentParser
import MPOSCore

/// `mpos-host`: the host daemon. For now it only reports its version; the server, the store
/// and the administration commands arrive with the issues that build them.
@main
struct MPOSHostCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mpos-host",
        abstract: "The mpos host: enrolls terminals, signs operators on, manages keys, opens cards and signs contracts.",
        discussion: "Work in progress: this build has the payment-cryptography core only, so there is no server to run yet.",
        version: MPOSVersion.current
    )
}
