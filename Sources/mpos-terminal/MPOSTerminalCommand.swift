import ArgumentParser
import MPOSCore

/// `mpos-terminal`: a terminal simulator built on the `MPOSTerminal` kit, one command per
/// operation, each a process of its own; what the terminal keeps (device keys, pinned host
/// keys, master key, STAN and, between commands, the session keys) lives encrypted in its
/// state directory.
@main
struct MPOSTerminalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mpos-terminal",
        abstract: "An mpos terminal simulator: enroll, sign on, open cards, sign contracts, sign off.",
        discussion: """
            Start with `mpos-terminal enroll --terminal-id ID --host H --port P` using the enrollment code \
            from `mpos-host terminal add`; later commands find the host in the state directory. Operator \
            keys and PINs are read with echo off, or one per line from a pipe; never from arguments.
            Exit codes: 0 done, 1 refused by the host, 2 outcome unknown (resend it), 3 host unreachable \
            (nothing sent), 4 terminal state or key store, 64 usage.
            """,
        version: MPOSVersion.current,
        subcommands: [Enroll.self, SignOn.self, OpenCard.self, SignContract.self, SignOff.self, Echo.self,
                      Status.self, Resend.self, Abandon.self, LoadCommand.self]
    )
}
