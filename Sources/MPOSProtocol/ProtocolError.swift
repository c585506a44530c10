public import MPOSErrors

/// A request the protocol refuses, with the response code the host answers it with. Never
/// carries field content.
public struct ProtocolError: CodedError {
    /// Each code names the response code (field 39) the host answers with.
    public struct Code: ErrorCode {
        public let rawValue: String
        public let responseCode: ResponseCode
        private init(_ rawValue: String, answered responseCode: ResponseCode) {
            self.rawValue = rawValue
            self.responseCode = responseCode
        }

        /// The message lacks a field its kind needs, or has one it must not.
        public static let missingOrUnexpectedField = Code("protocol.field", answered: .formatError)
        /// Field 64 is absent, not last, or does not verify.
        public static let macFailure = Code("protocol.mac", answered: .macFailure)
        /// Field 61 does not open under the data key, or its content is malformed.
        public static let confidentialDataInvalid = Code("protocol.confidential", answered: .formatError)
        /// Field 7 is malformed or outside the permitted skew.
        public static let staleOrFutureMessage = Code("protocol.time", answered: .staleMessage)
        /// A STAN used before in this session, with different content.
        public static let duplicateSTAN = Code("protocol.stan", answered: .duplicateTransmission)
        /// Field 127 is absent, not last, or does not verify.
        public static let signatureInvalid = Code("protocol.signature", answered: .securityViolation)
        /// Field 63 does not open, or holds malformed credentials or keys.
        public static let envelopeInvalid = Code("protocol.envelope", answered: .securityViolation)
        /// Field 62's key blocks do not unwrap as the session's keys, or a check value differs.
        public static let keyDeliveryInvalid = Code("protocol.keys", answered: .systemMalfunction)
    }

    public let code: Code
    public let message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// What the host answers (field 39).
    public var responseCode: ResponseCode { code.responseCode }
}
