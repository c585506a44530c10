import Foundation
import ISO8583
import MPOSCrypto
import MPOSProtocol

// What the terminal makes of what its app gives it and of what it holds: typed input, the
// reference of a pending request, its errors.
extension Terminal {
    static let unexpected = TerminalError(.invalidResponse, "The host's answer does not fit the request: report a terminal fault")

    static func reference(_ frame: [UInt8], _ time: Date) -> PendingRequest {
        let message = try? ISO8583Codec(specification: .mpos).decode(frame)
        return PendingRequest(operation: message.flatMap(MessageKind.init(request:)) ?? .echoTest,
                              terminalID: message?.text(MPOSField.terminalID) ?? "",
                              stan: message?.text(MPOSField.systemTraceAuditNumber) ?? "",
                              transmissionTime: message?.text(MPOSField.transmissionDateTime) ?? "", date: time)
    }

    static func operatorCredentials(_ number: String, _ key: String) throws -> OperatorCredentials {
        do { return try OperatorCredentials(number: number, key: key) } catch {
            throw TerminalError(.invalidInput, "The operator number is 1 to 8 digits and the operator key 4 to 16 characters: enter them again")
        }
    }

    static func cardNumber(_ text: String) throws -> PrimaryAccountNumber {
        do { return try PrimaryAccountNumber(text) } catch {
            throw TerminalError(.invalidInput, "The card number is 12 to 19 digits: read the card again")
        }
    }

    static func keyStoreError(_ error: any Error) -> TerminalError {
        error as? TerminalError ?? TerminalError(.keyStore, "The key store failed: \(error)")
    }
}
