public import Foundation

/// A contract as handed to the business module of its carrier: what the carrier needs, no secret.
/// The card number appears masked only; the customer is named by the host's keyed customer identifier.
public struct ContractDelivery: Sendable, Hashable, Codable {
    /// The host's contract reference (field 37): also the idempotency key of every delivery.
    public let reference: String
    public let carrierCode: String
    public let phoneNumber: String
    public let tariff: String
    public let customerIdentifier: String
    public let maskedCardNumber: String
    public let terminalID: String
    public let operatorNumber: String
    public let signedAt: Date

    public init(reference: String, carrierCode: String, phoneNumber: String, tariff: String, customerIdentifier: String,
                maskedCardNumber: String, terminalID: String, operatorNumber: String, signedAt: Date) {
        self.reference = reference; self.carrierCode = carrierCode; self.phoneNumber = phoneNumber; self.tariff = tariff
        self.customerIdentifier = customerIdentifier; self.maskedCardNumber = maskedCardNumber
        self.terminalID = terminalID; self.operatorNumber = operatorNumber; self.signedAt = signedAt
    }
}

/// What a module says of a contract at signing time, before the host answers the terminal.
public enum BusinessDecision: Sendable, Equatable {
    case accept
    /// The terminal gets response code 05; the reason is for the audit trail (no secret).
    case decline(reason: String)
}

/// What one delivery attempt achieved.
public enum DeliveryResult: Sendable, Equatable {
    case delivered
    /// A transient failure (network, timeout, 5xx, 408, 429): try again after a backoff.
    case retryLater(reason: String)
    /// The receiver refused it for good (other 4xx): no point retrying; dead-letter it.
    case rejected(reason: String)

    /// Why it was not delivered ("" when it was).
    public var reason: String {
        switch self {
        case .delivered: ""
        case .retryLater(let reason), .rejected(let reason): reason
        }
    }
}

/// A carrier's business module. The host writes each accepted contract to a durable outbox in
/// the same transaction as the contract, and a dispatcher calls `deliver` until it succeeds
/// (at-least-once: a module must treat `reference` as an idempotency key).
public protocol BusinessModule: Sendable {
    /// The name the carrier registry refers to, e.g. "ledger" or "webhook".
    var name: String { get }
    /// Called inside the signing of a contract: must be quick and must not do I/O.
    func review(_ contract: ContractDelivery) -> BusinessDecision
    /// Called by the outbox dispatcher, outside any transaction; may be called more than once.
    func deliver(_ contract: ContractDelivery) async -> DeliveryResult
}

/// The business modules by name; the carrier registry says which module serves which carrier.
public struct BusinessModuleRegistry: Sendable {
    private var modules: [String: any BusinessModule] = [:]

    public init(_ modules: [any BusinessModule] = []) {
        for module in modules { register(module) }
    }

    public mutating func register(_ module: any BusinessModule) {
        modules[module.name] = module
    }

    public func module(named name: String) -> (any BusinessModule)? { modules[name] }
    public var names: [String] { modules.keys.sorted() }
}
