import AsyncHTTPClient
import Foundation
import NIOHTTP1
import Testing
import MPOSHost
import MPOSWebhook

let contract = ContractDelivery(
    reference: "000000123456", carrierCode: "CM", phoneNumber: "13800138000", tariff: "T-58",
    customerIdentifier: "c1d2e3f4", maskedCardNumber: "622202******1234", terminalID: "TERM0001",
    operatorNumber: "001", signedAt: Date(timeIntervalSince1970: 1_799_999_990)  // whole seconds: ISO 8601 keeps no fraction
)
let secret = WebhookSecret(hex: String(repeating: "5a", count: 32))!
let fixedNow: Int64 = 1_800_000_000

/// Starts a server answering `status` (nil: never) and a client of its own, runs `body` with a
/// module pointed at the server, and shuts both down whatever happens.
func withWebhook(
    status: HTTPResponseStatus?, bodySize: Int = 64, timeout: Duration = .seconds(10), serverRunning: Bool = true,
    _ body: (WebhookModule, TestServer) async throws -> Void
) async throws {
    let server = try await TestServer.start(status: status, bodySize: bodySize)
    if !serverRunning { try await server.stop() }  // leaves a port that refuses connections
    let client = HTTPClient()
    do {
        let configuration = try WebhookConfiguration(
            url: URL(string: "http://127.0.0.1:\(server.port)/hooks/mpos?carrier=CM")!, secret: secret, timeout: timeout)
        let module = WebhookModule(configuration: configuration, client: client,
                                   now: { Date(timeIntervalSince1970: Double(fixedNow) + 0.75) })
        try await body(module, server)
    } catch {
        try? await client.shutdown()
        if serverRunning { try? await server.stop() }
        throw error
    }
    try await client.shutdown()
    if serverRunning { try await server.stop() }
}

@Test func deliveredOn200WithSignedHeadersAndTheContractAsJSON() async throws {
    try await withWebhook(status: .ok) { module, server in
        #expect(module.name == "webhook")
        #expect(module.review(contract) == .accept)
        #expect(await module.deliver(contract) == .delivered)

        let requests = server.requests
        try #require(requests.count == 1)
        let request = requests[0]
        #expect(request.head.method == .POST)
        #expect(request.head.uri == "/hooks/mpos?carrier=CM")
        let headers = request.head.headers
        #expect(headers["Content-Type"] == ["application/json"])
        #expect(headers["Idempotency-Key"] == [contract.reference])
        #expect(headers["User-Agent"] == ["mpos-host"])
        #expect(headers["X-MPOS-Timestamp"] == [String(fixedNow)])
        let signature = try #require(headers["X-MPOS-Signature"].first)
        #expect(signature.hasPrefix("v1="))
        #expect(WebhookSignature.verify(headerValue: signature, body: request.body, timestamp: fixedNow,
                                        secret: secret, now: fixedNow + 10))

        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        #expect(try decoder.decode(ContractDelivery.self, from: Data(request.body)) == contract)
        #expect(String(decoding: request.body, as: UTF8.self).contains(#""signedAt":"2027-01-15T07:59:50Z""#))
    }
}

@Test(arguments: [HTTPResponseStatus.internalServerError, .serviceUnavailable, .tooManyRequests, .requestTimeout])
func transientStatusesAreRetriedLater(status: HTTPResponseStatus) async throws {
    try await withWebhook(status: status) { module, _ in
        #expect(await module.deliver(contract) == .retryLater(reason: "HTTP \(status.code)"))
    }
}

@Test(arguments: [HTTPResponseStatus.badRequest, .unauthorized, .notFound, .gone])
func otherClientErrorsAreRejected(status: HTTPResponseStatus) async throws {
    try await withWebhook(status: status) { module, _ in
        let result = await module.deliver(contract)
        #expect(result == .rejected(reason: "HTTP \(status.code)"))
    }
}

/// AsyncHTTPClient retries a refused connection with backoff until the timeout, then reports the
/// last connection error (not "timeout"): hence the short timeout here.
@Test func aRefusedConnectionIsRetriedLater() async throws {
    try await withWebhook(status: .ok, timeout: .seconds(1), serverRunning: false) { module, _ in
        let result = await module.deliver(contract)
        guard case .retryLater(let reason) = result else {
            Issue.record("expected retryLater, got \(result)")
            return
        }
        #expect(reason.hasPrefix("connection error"))
    }
}

@Test func aLargeResponseBodyIsCutShortAndRedeliveryCarriesTheSameKey() async throws {
    try await withWebhook(status: .ok, bodySize: 1 << 20) { module, server in
        #expect(await module.deliver(contract) == .delivered)
        #expect(await module.deliver(contract) == .delivered)
        let requests = server.requests
        #expect(requests.count == 2)
        #expect(Set(requests.map { $0.head.headers["Idempotency-Key"] }) == [[contract.reference]])
        #expect(requests.first?.body == requests.last?.body)  // same clock, same bytes
    }
}

@Test func aReceiverThatNeverAnswersTimesOutAndIsRetriedLater() async throws {
    // The receiver never answers; the configured timeout, not the default 10 s, ends the
    // attempt (no wall-clock assertion: the machine may be slow; the reason says which).
    try await withWebhook(status: nil, timeout: .milliseconds(500)) { module, server in
        #expect(await module.deliver(contract) == .retryLater(reason: "timeout"))
        #expect(server.requests.count == 1)
    }
}

@Test func configurationAcceptsHTTPSAndLoopbackHTTPOnly() throws {
    for url in ["https://carrier.example/hooks", "HTTP://127.0.0.1:8080/", "http://localhost:9000/x"] {
        #expect(throws: Never.self) { try WebhookConfiguration(url: URL(string: url)!, secret: secret) }
    }
    for url in ["http://carrier.example/hooks", "http://10.0.0.8/hooks", "ftp://carrier.example/hooks", "file:///etc/passwd", "/relative/path"] {
        #expect(throws: WebhookConfiguration.Error.unsupportedURL) {
            try WebhookConfiguration(url: URL(string: url)!, secret: secret)
        }
    }
    #expect(throws: WebhookConfiguration.Error.nonPositiveTimeout) {
        try WebhookConfiguration(url: URL(string: "https://carrier.example/")!, secret: secret, timeout: .zero)
    }
}

@Test func aRedirectIsNotFollowedByTheDefaultClient() async throws {
    let server = try await TestServer.start(status: .temporaryRedirect)
    let configuration = try WebhookConfiguration(url: URL(string: "http://127.0.0.1:\(server.port)/hooks")!, secret: secret, timeout: .seconds(5))
    let module = WebhookModule(configuration: configuration)
    let result = await module.deliver(contract)
    try await server.stop()
    #expect(result == .rejected(reason: "HTTP 307"))
    #expect(server.requests.count == 1)
}
