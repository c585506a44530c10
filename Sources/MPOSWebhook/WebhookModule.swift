public import AsyncHTTPClient
public import Foundation
public import MPOSHost
import NIOCore
import NIOHTTP1

/// Where and how one carrier's webhook is delivered.
public struct WebhookConfiguration: Sendable {
    /// Why a configuration was refused.
    public enum Error: Swift.Error, Sendable, Equatable {
        /// Only http and https with a host: anything else (file:, ftp:) is no webhook and, from a
        /// payment host, a way to reach things it should not.
        case unsupportedURL
        /// A delivery needs a positive time limit, or a receiver that never answers holds the dispatcher.
        case nonPositiveTimeout
    }

    public let url: URL
    public let secret: WebhookSecret
    /// The limit for one whole attempt: connect, send, and the response head.
    public let timeout: Duration
    /// The name the carrier registry refers to.
    public let name: String

    public init(url: URL, secret: WebhookSecret, timeout: Duration = .seconds(10), name: String = "webhook")
        throws(WebhookConfiguration.Error) {
        // https only: the body holds phone numbers and customer identifiers. Plain http is
        // allowed to this machine alone (a local relay, tests).
        guard let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty,
              scheme == "https" || (scheme == "http" && ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host.lowercased()))
        else { throw .unsupportedURL }
        guard timeout > .zero else { throw .nonPositiveTimeout }
        self.url = url; self.secret = secret; self.timeout = timeout; self.name = name
    }
}

/// A business module that POSTs each accepted contract, as signed JSON, to the carrier's URL.
///
/// It accepts every contract at signing time (a webhook has nothing to say before the fact) and
/// leaves retries to the outbox dispatcher: `deliver` makes exactly one attempt and classifies it.
/// The receiver deduplicates on `Idempotency-Key` (the contract reference), since delivery is
/// at-least-once, and checks `X-MPOS-Signature` as ``WebhookSignature`` describes.
public final class WebhookModule: BusinessModule {
    /// How much of a response body is read: the status says all; a large body is not worth the memory.
    static let responseBodyLimit = 4096

    public let configuration: WebhookConfiguration
    private let client: HTTPClient
    private let now: @Sendable () -> Date

    /// A process-wide client that never follows a redirect: a redirected POST would carry the
    /// signed body (phone numbers) to wherever the redirect points. A 3xx is a rejection.
    public static let noRedirectClient = HTTPClient(
        eventLoopGroup: HTTPClient.defaultEventLoopGroup,
        configuration: HTTPClient.Configuration(redirectConfiguration: .disallow))

    /// - Parameters:
    ///   - client: ``noRedirectClient`` by default. The caller owns a client it passes and shuts
    ///     it down.
    ///   - now: the clock for `X-MPOS-Timestamp`, injectable for tests.
    public init(configuration: WebhookConfiguration, client: HTTPClient = WebhookModule.noRedirectClient,
                now: @escaping @Sendable () -> Date = Date.init) {
        self.configuration = configuration
        self.client = client
        self.now = now
    }

    public var name: String { configuration.name }

    public func review(_ contract: ContractDelivery) -> BusinessDecision { .accept }

    public func deliver(_ contract: ContractDelivery) async -> DeliveryResult {
        let body: [UInt8]
        do {
            body = try Self.encode(contract)
        } catch {
            // Cannot happen for this type of plain strings and a date; rejected, as retrying would not help.
            return .rejected(reason: "encoding failed")
        }
        let timestamp = Int64(now().timeIntervalSince1970.rounded(.down))

        var request = HTTPClientRequest(url: configuration.url.absoluteString)
        request.method = .POST
        request.headers = [
            "Content-Type": "application/json",
            "Idempotency-Key": contract.reference,
            "X-MPOS-Timestamp": String(timestamp),
            "X-MPOS-Signature": WebhookSignature.headerValue(body: body, timestamp: timestamp, secret: configuration.secret),
            "User-Agent": "mpos-host",
        ]
        request.body = .bytes(ByteBuffer(bytes: body))

        do {
            let response = try await client.execute(request, timeout: TimeAmount(configuration.timeout))
            // Read (a little of) the body so the connection can be reused, then drop it: it may hold
            // anything, and reasons must not carry what the receiver chose to say.
            _ = try? await response.body.collect(upTo: Self.responseBodyLimit)
            return Self.result(status: response.status.code)
        } catch {
            return .retryLater(reason: Self.reason(for: error))
        }
    }

    /// JSON with sorted keys (stable bytes for the same contract) and ISO 8601 dates (whole seconds).
    static func encode(_ contract: ContractDelivery) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return Array(try encoder.encode(contract))
    }

    /// 2xx delivered; 408, 429 and 5xx are the receiver's transient trouble; any other status
    /// (3xx, other 4xx) will not change by sending the same bytes again.
    static func result(status: UInt) -> DeliveryResult {
        switch status {
        case 200..<300: .delivered
        case 408, 429, 500..<600: .retryLater(reason: "HTTP \(status)")
        default: .rejected(reason: "HTTP \(status)")
        }
    }

    /// The kind of a failure, never its details beyond that (which might name hosts or echo data).
    static func reason(for error: any Error) -> String {
        switch error {
        case let error as HTTPClientError
            where [.deadlineExceeded, .connectTimeout, .readTimeout, .writeTimeout, .tlsHandshakeTimeout].contains(error):
            "timeout"
        case let error as HTTPClientError: "HTTP client error: \(error.description)"  // fixed texts, no data
        case let error as IOError: "connection error (errno \(error.errnoCode))"
        case is CancellationError: "cancelled"
        default: "connection error (\(type(of: error)))"
        }
    }
}
