public import MPOSErrors

/// A host failure that is not a response to a terminal: administration, start-up, storage.
/// Compared by code; the message is for people and carries no secret, no full card number.
public typealias HostError = MPOSError<HostErrorDomain>
/// The domain of ``HostError``'s codes.
public enum HostErrorDomain: Sendable {}

extension ErrorCodeOf where Domain == HostErrorDomain {
    /// The store has no host keys or no active base master key: `mpos-host init` first.
    public static var notInitialized: Self { Self("host.not-initialized") }
    /// `init` on a store that already has its keys.
    public static var alreadyInitialized: Self { Self("host.already-initialized") }
    /// The host's key blocks do not open under the loaded LMK.
    public static var wrongLocalMasterKey: Self { Self("host.lmk.wrong") }
    /// The LMK file is missing, malformed, or readable by others.
    public static var localMasterKeyUnusable: Self { Self("host.lmk.unusable") }
    /// No such operator, terminal, card, contract, outbox entry or key version.
    public static var notFound: Self { Self("host.not-found") }
    /// The thing exists already (operator number, terminal ID).
    public static var alreadyExists: Self { Self("host.exists") }
    /// An administrator's request that breaks a rule (bad operator key, bad terminal ID, …).
    public static var invalidRequest: Self { Self("host.invalid") }
    /// The operation does not fit the current state (e.g. retrying a delivered entry).
    public static var wrongState: Self { Self("host.state") }
    /// The audit chain does not verify.
    public static var auditChainBroken: Self { Self("host.audit.broken") }
}

extension ErrorCodeOf where Domain == HostErrorDomain {
    /// A login, session or token that does not prove who someone is (wrong name or password,
    /// expired or revoked token): the message never says which.
    public static var unauthenticated: Self { Self("host.auth.unauthenticated") }
    /// Signed in, but the role does not allow this.
    public static var forbidden: Self { Self("host.auth.forbidden") }
    /// Dual control: the same person may not both request and approve a change.
    public static var sameCustodian: Self { Self("host.dual-control.same-person") }
}

extension ErrorCodeOf where Domain == HostErrorDomain {
    /// The right password for an account with a second factor, but no one-time code.
    public static var secondFactorRequired: Self { Self("host.auth.second-factor") }
}
