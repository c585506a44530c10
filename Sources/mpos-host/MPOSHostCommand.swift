import ArgumentParser
import MPOSCore

/// `mpos-host`: the host. `serve` runs it; the administration commands work on the same data
/// directory (`--data-dir`, default `./mpos-data` or `$MPOS_DATA_DIR`).
@main
struct MPOSHostCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mpos-host",
        abstract: "The mpos host: enrolls terminals, signs operators on, manages keys, opens cards and signs contracts.",
        discussion: """
            Start with `mpos-host init` (or just `mpos-host serve`), then add an operator (`operator add`) and a terminal \
            (`terminal add`). Secrets (operator keys, key components) are read with echo off, \
            or one per line from a pipe; never from the command line.
            """,
        version: MPOSVersion.current,
        subcommands: [Serve.self, Init.self, OperatorCommand.self, TerminalCommand.self, KeyCommand.self, CardCommand.self,
                      ContractCommand.self, OutboxCommand.self, LedgerCommand.self, AuditCommand.self, ReferencesCommand.self,
                      UserCommand.self, LoginCommand.self, LogoutCommand.self]
    )
}
