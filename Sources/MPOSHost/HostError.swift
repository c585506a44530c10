public import MPOSErrors

/// A host failure that is not a response to a terminal: administration, start-up, storage.
/// Compared by code; the message is for people and carries no secret, no full card number.
public struct HostError: CodedError {
    public struct Code: ErrorCode {
        public let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }

        /// The store has no host keys or no active base master key: `mpos-host init` first.
        public static let notInitialized = Code("host.not-initialized")
        /// `init` on a store that already has its keys.
        public static let alreadyInitialized = Code("host.already-initialized")
        /// The host's key blocks do not open under the loaded LMK.
        public static let wrongLocalMasterKey = Code("host.lmk.wrong")
        /// The LMK file is missing, malformed, or readable by others.
        public static let localMasterKeyUnusable = Code("host.lmk.unusable")
        /// No such operator, terminal, card, contract, outbox entry or key version.
        public static let notFound = Code("host.not-found")
        /// The thing exists already (operator number, terminal ID).
        public static let alreadyExists = Code("host.exists")
        /// An administrator's request that breaks a rule (bad operator key, bad terminal ID, …).
        public static let invalidRequest = Code("host.invalid")
        /// The operation does not fit the current state (e.g. retrying a delivered entry).
        public static let wrongState = Code("host.state")
        /// The audit chain does not verify.
        public static let auditChainBroken = Code("host.audit.broken")
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}
