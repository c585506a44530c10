import ArgumentParser
import Foundation
import MPOSAdminAPI
import MPOSCore
import NIOHTTP1

/// `mpos-host login`: signs in to the admin API once and keeps a token for the commands'
/// `--url` mode, in a file readable by its owner only.
struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login", abstract: "Sign in to the admin API and keep a token for the commands (--url mode).",
        discussion: "The password is read with echo off (or from a pipe). The token lives --days days, or until `mpos-host logout`.")

    @Option(help: "The admin API, e.g. https://mpos-admin.bank.example:8580.") var url: String
    @Option(help: "Your user name.") var user: String
    @Option(help: "Days the token lives (1-365).") var days = 30
    @Option(help: "A PEM certificate (the admin API's or its CA's) to trust besides the system's.") var caCertificate: String?

    func run() async throws {
        try await runReportingErrors {
            guard (1...365).contains(days) else { throw ValidationError("--days is 1 to 365") }
            let password = try SecretInput.read("Password for \(user): ")
            let issued: IssuedTokenView = try await AdminClient.with(url: url, token: nil, caCertificate: caCertificate) { client in
                let (body, headers): (Data, HTTPHeaders)
                do {
                    (body, headers) = try await client.send(.POST, "/api/v1/session", json: ["name": user, "password": password])
                } catch let error as AdminAPIError where error.code.rawValue == "host.auth.second-factor" {
                    let code = try SecretInput.readVisible("One-time code from your authenticator app: ").trimmingCharacters(in: .whitespaces)
                    (body, headers) = try await client.send(.POST, "/api/v1/session", json: ["name": user, "password": password, "one_time_code": code])
                }
                let session = try AdminJSON.decoder.decode(SessionView.self, from: body)
                guard let cookie = headers["Set-Cookie"].first?.split(separator: ";").first.map(String.init), let csrf = session.csrfToken else {
                    throw AdminAPIError(.init("api.session"), "the admin API gave no session: is --url the admin API's address?")
                }
                var signedIn = client
                signedIn.headers = [("Cookie", cookie), ("X-CSRF-Token", csrf)]
                let host = ProcessInfo.processInfo.hostName
                let token: IssuedTokenView = try await signedIn.post("/api/v1/tokens", TokenRequest(label: String("mpos-host CLI on \(host)".prefix(64)), lifetimeDays: days, password: password))
                _ = try? await signedIn.send(.DELETE, "/api/v1/session")
                return token
            }
            try AdminTokenFile.write(.init(url: url, token: issued.token))
            print("Signed in as \(user); the token (\(issued.credential.id)) is in \(AdminTokenFile.path) until \(issued.credential.expiresAt.formatted(.iso8601)).")
        }
    }
}

struct LogoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logout", abstract: "End the kept token (at the admin API) and remove its file.")
    @Option(help: "A PEM certificate (the admin API's or its CA's) to trust besides the system's.") var caCertificate: String?

    func run() async throws {
        try await runReportingErrors {
            guard let contents = try AdminTokenFile.read() else { print("Not signed in."); return }
            try await AdminClient.with(url: contents.url, token: contents.token, caCertificate: caCertificate) { client in
                _ = try await client.send(.DELETE, "/api/v1/session")
            }
            AdminTokenFile.remove()
            print("Signed out; the token has ended.")
        }
    }
}

private struct TokenRequest: Encodable {
    let label: String
    let lifetimeDays: Int
    let password: String
}
