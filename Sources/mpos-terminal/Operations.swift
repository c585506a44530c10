import ArgumentParser
import MPOSCore
import Foundation
import MPOSProtocol
import MPOSTerminal

struct Enroll: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Enroll this terminal with the one-time code from `mpos-host terminal add`.")
    @OptionGroup var options: TerminalOptions
    @Option(help: "The terminal ID the administrator issued.") var terminalID: String

    func run() async throws {
        try await perform(options, "enrolling") { terminal, report in
            try FileManager.default.createDirectory(atPath: options.stateDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            try options.connection().save(options.stateDir)
            // Read, never an argument: whoever sees the code first can enroll in its place.
            let code = try SecretInput.read("Enrollment code (not shown): ")
            try await terminal.enroll(terminalID: terminalID, enrollmentCode: code)
            report.result("✔ enrolled as \(terminalID): device keys registered, host keys pinned (state in \(options.stateDir))",
                          ["result": "enrolled", "terminal_id": terminalID])
        }
    }
}

struct SignOn: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sign-on", abstract: "Sign an operator on; the host issues fresh keys.")
    @OptionGroup var options: TerminalOptions
    @Option(help: "Operator number.") var `operator`: String

    func run() async throws {
        try await perform(options, "signing on operator \(`operator`)") { terminal, report in
            let key = try SecretInput.read("Operator key (not shown): ")
            let keySet = try await terminal.signOn(operatorNumber: `operator`, operatorKey: key)
            let kcv = await terminal.keyCheckValues
            report.result("✔ signed on: key set \(keySet.field) (base key version \(keySet.baseKeyVersion), session \(keySet.session))"
                          + (kcv.map { "; check values: master \($0.masterKey), PIN \($0.pinKey), MAC \($0.macKey), data \($0.dataKey)" } ?? ""),
                          ["result": "signed-on", "key_set": keySet.field, "master_key_check_value": kcv?.masterKey ?? "",
                           "pin_key_check_value": kcv?.pinKey ?? "", "mac_key_check_value": kcv?.macKey ?? "", "data_key_check_value": kcv?.dataKey ?? ""])
        }
    }
}

struct OpenCard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "open-card", abstract: "Open a card: card number, the customer's identity document, the customer's PIN.")
    @OptionGroup var options: TerminalOptions
    @Option(help: "The card number.") var card: String
    @Option(help: "Identity document type: 01 resident identity card, 02 passport, 03/04 mainland travel permits, 05 foreign permanent resident card.")
    var idType = "01"
    @Option(help: "Identity document number.") var idNumber: String

    func run() async throws {
        try await perform(options, "opening a card") { terminal, report in
            report.progress("  waiting for the host (up to \(options.responseTimeout) s per try; an unanswered request is resent as it was)")
            let reference = try await terminal.openCard(cardNumber: card, identityType: idType, identityNumber: idNumber, pinPad: KeyboardPINPad())
            report.result("✔ card opened: reference \(reference)", ["result": "card-opened", "reference": reference])
        }
    }
}

struct SignContract: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sign-contract", abstract: "Sign a contract for an opened card, confirmed by the customer's PIN.")
    @OptionGroup var options: TerminalOptions
    @Option(help: "The card number.") var card: String
    @Option(help: "Carrier code (1 China Mobile, 2 China Unicom, 3 China Telecom).") var carrier: String
    @Option(help: "Mobile phone number (11 digits).") var phone: String
    @Option(help: "Tariff, e.g. monthly.") var tariff: String

    func run() async throws {
        try await perform(options, "signing a contract") { terminal, report in
            report.progress("  waiting for the host (up to \(options.responseTimeout) s per try; an unanswered request is resent as it was)")
            let reference = try await terminal.signContract(cardNumber: card, carrierCode: carrier, phoneNumber: phone, tariff: tariff, pinPad: KeyboardPINPad())
            report.result("✔ contract signed: reference \(reference)", ["result": "contract-signed", "reference": reference])
        }
    }
}

struct SignOff: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sign-off", abstract: "Sign the operator off; the session keys are erased.")
    @OptionGroup var options: TerminalOptions
    @Option(help: "Operator number.") var `operator`: String

    func run() async throws {
        try await perform(options, "signing off operator \(`operator`)") { terminal, report in
            let key = try SecretInput.read("Operator key (not shown): ")
            try await terminal.signOff(operatorNumber: `operator`, operatorKey: key)
            report.result("✔ signed off: session keys erased", ["result": "signed-off"])
        }
    }
}

struct Echo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Check the path to the host and both ends' keys (signed echo).")
    @OptionGroup var options: TerminalOptions

    func run() async throws {
        try await perform(options, "echo test") { terminal, report in
            try await terminal.echo()
            report.result("✔ the host answered (signature verified)", ["result": "echoed"])
        }
    }
}

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "What the terminal holds: its ID, state, session and any request awaiting its answer.")
    @OptionGroup var options: TerminalOptions

    func run() async throws {
        try await perform(options, "status") { terminal, report in
            let id = await terminal.terminalID ?? "-"
            let kcv = await terminal.keyCheckValues
            report.result("terminal \(id): \(terminal.state)" + (kcv.map { "; session keys: PIN \($0.pinKey), MAC \($0.macKey), data \($0.dataKey)" } ?? ""),
                          ["terminal_id": id, "state": "\(terminal.state)", "pin_key_check_value": kcv?.pinKey ?? ""])
        }
    }
}

struct Resend: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Resend the request whose outcome is unknown — the same frame, the same STAN.")
    @OptionGroup var options: TerminalOptions

    func run() async throws {
        try await perform(options, "resending the pending request") { terminal, report in
            let completed = try await terminal.resendPendingRequest()
            report.result("✔ \(completed)", ["result": "\(completed)"])
        }
    }
}

struct Abandon: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Give up on the request whose outcome is unknown: the terminal signs out; ask the administrator about the reference.")
    @OptionGroup var options: TerminalOptions

    func run() async throws {
        try await perform(options, "abandoning the pending request") { terminal, report in
            let request = try await terminal.abandonPendingRequest()
            report.result("abandoned \(request); the terminal is signed out", ["result": "abandoned", "request": "\(request)"])
        }
    }
}
