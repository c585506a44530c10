public import ArgumentParser
import Foundation
import MPOSAdminAPI
import MPOSCore
public import MPOSHost

extension AdminRole: ExpressibleByArgument {}

/// The people who administer the host. Locally (store + LMK) to add the first administrator;
/// then through the API (`--url`).
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "The people who administer the host, and their roles.",
        discussion: "Roles: administrator, key-custodian, auditor, help-desk, viewer (docs/host.md lists what each may do).",
        subcommands: [Add.self, List.self, SetRole.self, Disable.self, Enable.self, Unlock.self, SetPassword.self, SecondFactor.self,
                      ClearSecondFactor.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a person; the password is read with echo off (or from a pipe), twice.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "1-32 of a-z, 0-9, '.', '_', '-'.") var name: String
        @Option(help: "Their role.") var role: AdminRole

        func run() async throws {
            try await runReportingErrors {
                let password = try readNewPassword()
                let user = try await global.withAdministering { try await $0.addUser(name: name, role: role, password: password) }
                done("Added \(user.name) (\(user.role.rawValue)).", global)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the people and their state.")
        @OptionGroup var global: GlobalOptions

        func run() async throws {
            try await runReportingErrors {
                var table = Table("name", "role", "state", "second factor", "failed logins", "last login")
                for user in try await global.withAdministering({ try await $0.users() }) {
                    table.add(.text(user.name), .text(user.role.rawValue), .text(user.disabled ? "disabled" : user.locked ? "locked" : "active"),
                              .flag(user.secondFactor), Cell(user.failedLogins), Cell(user.lastLoginAt))
                }
                table.print(json: global.json)
            }
        }
    }

    struct SetRole: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set-role", abstract: "Change a person's role (their sessions and tokens end).")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        @Option var role: AdminRole
        func run() async throws {
            try await runReportingErrors { try await global.withAdministering { try await $0.setUserRole(name, role) }; done("\(name) is now \(role.rawValue).", global) }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a person: their sessions and tokens end now.")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        func run() async throws {
            try await runReportingErrors { try await global.withAdministering { try await $0.setUserDisabled(name, true) }; done("Disabled \(name).", global) }
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled person.")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        func run() async throws {
            try await runReportingErrors { try await global.withAdministering { try await $0.setUserDisabled(name, false) }; done("Enabled \(name).", global) }
        }
    }

    struct Unlock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Unlock a person locked after too many failed logins.")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        func run() async throws {
            try await runReportingErrors { try await global.withAdministering { try await $0.unlockUser(name) }; done("Unlocked \(name).", global) }
        }
    }

    struct SetPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set-password", abstract: "Give a person a new password (their sessions and tokens end).")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        func run() async throws {
            try await runReportingErrors {
                let password = try readNewPassword()
                try await global.withAdministering { try await $0.setUserPassword(name, password: password) }
                done("\(name) has a new password.", global)
            }
        }
    }
}

/// `user second-factor`: begins a second factor for the token's own person and confirms it with
/// the first code the app shows (through the API).
struct SecondFactor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "second-factor", abstract: "Add a one-time-code app (TOTP) to your own sign-in (--url).",
        discussion: "Prints the key to add to the app (and its otpauth:// address), then asks for the code it shows.")
    @OptionGroup var global: GlobalOptions

    func run() async throws {
        try await runReportingErrors {
            guard let url = global.adminURL else { throw ValidationError("a second factor is added through the admin API: give --url") }
            struct Enrollment: Decodable { let secret: String; let authenticatorUrl: String }
            try await global.withClient(url) { client in
                let enrollment: Enrollment
                do {
                    enrollment = try await client.post("/api/v1/session/second-factor")
                } catch let error as AdminAPIError where error.code.rawValue == "host.auth.second-factor" {
                    let current = try SecretInput.readVisible("The code your current app shows (to replace it): ").trimmingCharacters(in: .whitespaces)
                    enrollment = try await client.post("/api/v1/session/second-factor", ["current_code": current])
                }
                print("Add this key to your authenticator app (shown only now): \(enrollment.authenticatorUrl)")
                let code = try SecretInput.readVisible("The code the app shows: ").trimmingCharacters(in: .whitespaces)
                _ = try await client.send(.POST, "/api/v1/session/second-factor/confirm", json: ["code": code])
            }
            done("Your sign-in now needs a one-time code as well as your password.", global)
        }
    }
}

struct ClearSecondFactor: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clear-second-factor", abstract: "Remove a person's one-time-code app (a lost phone): they sign in with their password alone.")
    @OptionGroup var global: GlobalOptions
    @Argument var name: String

    func run() async throws {
        try await runReportingErrors {
            try await global.withAdministering { try await $0.clearSecondFactor(name) }
            done("\(name) signs in with the password alone until they add a second factor again.", global)
        }
    }
}

/// A new password, typed twice with echo off (or two lines from a pipe).
func readNewPassword() throws -> String {
    let password = try SecretInput.read("Password (12 characters or more, not shown): ")
    let again = try SecretInput.read("The same password again: ")
    guard password == again else { throw ValidationError("the two passwords differ") }
    return password
}
