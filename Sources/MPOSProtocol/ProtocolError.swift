/// A request the protocol refuses, with the response code the host answers it with. Never
/// carries field content.
public struct ProtocolError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// The message lacks a field its kind needs, or has one it must not.
        case missingOrUnexpectedField = "protocol.field"
        /// Field 64 is absent, not last, or does not verify.
        case macFailure = "protocol.mac"
        /// Field 61 does not open under the data key, or its content is malformed.
        case confidentialDataInvalid = "protocol.confidential"
        /// Field 7 is malformed or outside the permitted skew.
        case staleOrFutureMessage = "protocol.time"
        /// A STAN used before in this session, with different content.
        case duplicateSTAN = "protocol.stan"
        /// Field 127 is absent, not last, or does not verify.
        case signatureInvalid = "protocol.signature"
        /// Field 63 does not open, or holds malformed credentials or keys.
        case envelopeInvalid = "protocol.envelope"
        /// Field 62's key blocks do not unwrap as the session's keys, or a check value differs.
        case keyDeliveryInvalid = "protocol.keys"
    }

    public let code: Code
    public let message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// What the host answers (field 39).
    public var responseCode: ResponseCode {
        switch code {
        case .missingOrUnexpectedField, .confidentialDataInvalid: .formatError
        case .macFailure: .macFailure
        case .staleOrFutureMessage: .staleMessage
        case .duplicateSTAN: .duplicateTransmission
        case .signatureInvalid, .envelopeInvalid: .securityViolation
        case .keyDeliveryInvalid: .systemMalfunction
        }
    }

    public var description: String { "\(code.rawValue): \(message)" }
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
