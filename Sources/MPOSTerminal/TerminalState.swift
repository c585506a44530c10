import Foundation
public import MPOSProtocol

/// What the terminal is doing, for the app's screen.
public enum TerminalState: Sendable, Equatable, CustomStringConvertible {
    case unenrolled, enrolling
    /// Enrolled and signed out.
    case enrolled
    case signingOn, signedIn
    /// Waiting for the answer to a card opening, a contract signing or an echo test.
    case busy
    case signingOff

    init(_ state: TerminalStateMachine.State?) {
        switch state {
        case nil, .unenrolled: self = .unenrolled
        case .enrolling: self = .enrolling
        case .enrolled: self = .enrolled
        case .signingOn: self = .signingOn
        case .signedIn: self = .signedIn
        case .awaitingResponse: self = .busy
        case .signingOff: self = .signingOff
        }
    }

    public var description: String {
        switch self {
        case .unenrolled: "unenrolled"
        case .enrolling: "enrolling"
        case .enrolled: "enrolled (signed out)"
        case .signingOn: "signing on"
        case .signedIn: "signed in"
        case .busy: "awaiting the host"
        case .signingOff: "signing off"
        }
    }
}

/// The check values of a signed-in terminal's keys (CMAC method, 6 hex digits).
public struct KeyCheckValues: Sendable, Equatable {
    public let masterKey: String
    public let pinKey: String
    public let macKey: String
    public let dataKey: String
}

/// What a request achieved: the answer to ``Terminal/resendPendingRequest()``.
public enum CompletedRequest: Sendable, Equatable {
    case enrolled
    case signedOn(KeySetIdentifier)
    case echoed
    case signedOff
    case cardOpened(reference: String)
    case contractSigned(reference: String)
}
