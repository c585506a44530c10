public import Foundation
public import MPOSHost
import MPOSHostPostgres
import MPOSWebhook

/// `config.json` in the data directory: the bank's rules and the carriers' business modules.
/// No secret lives here: a webhook's signing secret is read from the environment variable the
/// file names.
public struct HostSettings: Codable, Sendable {
    public struct Webhook: Codable, Sendable {
        /// The module name carriers refer to.
        public var name: String
        public var url: String
        /// The environment variable holding the HMAC secret (64+ hex digits).
        public var secretEnvironmentVariable: String
        public var timeoutSeconds: Int?
    }

    public var permittedClockSkewSeconds: Int = 300
    public var operatorLockoutThreshold: Int = 5
    public var pinTryLimit: Int = 3
    public var enrollmentCodeLifetimeHours: Int = 168
    public var terminalOperatorFailureLimit: Int = 10
    public var binRanges: [BINRange] = CardNumberPolicy.demonstration.binRanges
    public var carriers: [Carrier] = CarrierRegistry.standard.carriers
    public var webhooks: [Webhook] = []
    public var deliveryRetry: RetryPolicy = RetryPolicy()
    /// How long a node's claim on an outbox entry holds: another node takes the entry over
    /// when a node dies mid-delivery and this has passed.
    public var outboxLeaseSeconds: Int = 120
    /// The PostgreSQL store (`postgres://user@host:port/database?…`, without its password,
    /// which comes from `PGPASSWORD`); absent, the embedded SQLite store in the data directory.
    public var database: String?

    public init() {}

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = HostSettings()
        permittedClockSkewSeconds = try c.decodeIfPresent(Int.self, forKey: .permittedClockSkewSeconds) ?? defaults.permittedClockSkewSeconds
        operatorLockoutThreshold = try c.decodeIfPresent(Int.self, forKey: .operatorLockoutThreshold) ?? defaults.operatorLockoutThreshold
        pinTryLimit = try c.decodeIfPresent(Int.self, forKey: .pinTryLimit) ?? defaults.pinTryLimit
        enrollmentCodeLifetimeHours = try c.decodeIfPresent(Int.self, forKey: .enrollmentCodeLifetimeHours) ?? defaults.enrollmentCodeLifetimeHours
        terminalOperatorFailureLimit = try c.decodeIfPresent(Int.self, forKey: .terminalOperatorFailureLimit) ?? defaults.terminalOperatorFailureLimit
        binRanges = try c.decodeIfPresent([BINRange].self, forKey: .binRanges) ?? defaults.binRanges
        carriers = try c.decodeIfPresent([Carrier].self, forKey: .carriers) ?? defaults.carriers
        webhooks = try c.decodeIfPresent([Webhook].self, forKey: .webhooks) ?? []
        deliveryRetry = try c.decodeIfPresent(RetryPolicy.self, forKey: .deliveryRetry) ?? defaults.deliveryRetry
        outboxLeaseSeconds = try c.decodeIfPresent(Int.self, forKey: .outboxLeaseSeconds) ?? defaults.outboxLeaseSeconds
        database = try c.decodeIfPresent(String.self, forKey: .database)
        if let database, PostgresStoreConfiguration.hasPassword(database) {
            throw DecodingError.dataCorrupted(.init(codingPath: [CodingKeys.database], debugDescription: "the database URL must not hold a password: set PGPASSWORD"))
        }
        // Limits a bank may tune, within reason.
        guard (1...3600).contains(permittedClockSkewSeconds), (1...20).contains(operatorLockoutThreshold),
              (1...10).contains(pinTryLimit), (1...24 * 90).contains(enrollmentCodeLifetimeHours),
              (1...100).contains(terminalOperatorFailureLimit), deliveryRetry.maximumAttempts >= 1,
              (5...3600).contains(outboxLeaseSeconds) else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "a limit is out of range"))
        }
        // Re-validates the carriers (unique codes, tariffs) through the registry's own decoding.
        _ = try JSONDecoder().decode(CarrierRegistry.self, from: JSONEncoder().encode(CarrierRegistry(carriers: carriers)))
    }

    public var hostConfiguration: HostConfiguration {
        var configuration = HostConfiguration()
        configuration.permittedClockSkew = TimeInterval(permittedClockSkewSeconds)
        configuration.operatorLockoutThreshold = operatorLockoutThreshold
        configuration.pinTryLimit = pinTryLimit
        configuration.enrollmentCodeLifetime = TimeInterval(enrollmentCodeLifetimeHours * 3600)
        configuration.terminalOperatorFailureLimit = terminalOperatorFailureLimit
        configuration.cardPolicy = CardNumberPolicy(binRanges: binRanges)
        configuration.carriers = CarrierRegistry(carriers: carriers)
        return configuration
    }

    /// The ledger module and every configured webhook; a webhook whose secret is missing from
    /// the environment is an error (a carrier silently left without deliveries is worse).
    public func businessModules(store: any HostStore & LedgerStore, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> BusinessModuleRegistry {
        var registry = BusinessModuleRegistry([LedgerModule(store: store)])
        for webhook in webhooks {
            guard let url = URL(string: webhook.url) else { throw HostSetupError("webhook \(webhook.name): \(webhook.url) is not a URL") }
            guard let hex = environment[webhook.secretEnvironmentVariable], let secret = WebhookSecret(hex: hex) else {
                throw HostSetupError("webhook \(webhook.name): set \(webhook.secretEnvironmentVariable) to its signing secret (at least 64 hex digits)")
            }
            let configuration = try WebhookConfiguration(url: url, secret: secret, timeout: .seconds(webhook.timeoutSeconds ?? 10), name: webhook.name)
            registry.register(WebhookModule(configuration: configuration))
        }
        for carrier in carriers where registry.module(named: carrier.module) == nil {
            throw HostSetupError("carrier \(carrier.code) (\(carrier.name)) names the business module \"\(carrier.module)\", which is not configured")
        }
        return registry
    }
}
