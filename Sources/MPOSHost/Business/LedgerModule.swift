public import Foundation

/// The built-in ledger module: books each contract under its carrier and day (UTC), from which
/// `mpos-host ledger export` writes the carrier's daily CSV file. Booking is idempotent by
/// contract reference, so a repeated delivery books nothing twice.
public struct LedgerModule: BusinessModule {
    public let name: String
    let store: any LedgerStore
    let clock: @Sendable () -> Date

    public init(store: any LedgerStore, name: String = "ledger", clock: @escaping @Sendable () -> Date = Date.init) {
        self.store = store
        self.name = name
        self.clock = clock
    }

    public func review(_ contract: ContractDelivery) -> BusinessDecision { .accept }

    public func deliver(_ contract: ContractDelivery) async -> DeliveryResult {
        let entry = LedgerEntry(contractReference: contract.reference, carrierCode: contract.carrierCode, day: LedgerExport.day(of: contract.signedAt),
                                phoneNumber: contract.phoneNumber, tariff: contract.tariff, customerIdentifier: contract.customerIdentifier,
                                maskedCardNumber: contract.maskedCardNumber, signedAt: contract.signedAt, recordedAt: clock())
        do {
            try await store.ledgerTransaction { ledger in try await ledger.recordLedgerEntry(entry) }
            return .delivered
        } catch {
            return .retryLater(reason: "the ledger could not be written")
        }
    }
}

/// The carrier's daily file: RFC 4180 CSV, UTF-8, CRLF line ends, a header row, one row per
/// contract in reference order. No secret: the card is masked, the customer is the host's
/// keyed identifier.
public enum LedgerExport {
    public static let header = ["reference", "carrier", "phone_number", "tariff", "customer_identifier", "card", "signed_at"]

    /// A carrier's book for one day, as its CSV file.
    public static func csv(from store: any LedgerStore, carrierCode: String, day: String) async throws -> String {
        csv(try await store.ledgerTransaction { ledger in try await ledger.ledgerEntries(carrierCode: carrierCode, day: day) })
    }

    public static func csv(_ entries: [LedgerEntry]) -> String {
        let rows = entries.sorted { $0.contractReference < $1.contractReference }.map { entry in
            [entry.contractReference, entry.carrierCode, entry.phoneNumber, entry.tariff, entry.customerIdentifier,
             entry.maskedCardNumber, timestamp(entry.signedAt)]
        }
        return ([header] + rows).map { $0.map(field).joined(separator: ",") + "\r\n" }.joined()
    }

    /// Quotes a field when it holds a comma, quote or line break (RFC 4180).
    static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\r" || $0 == "\n" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// `YYYY-MM-DD` of a moment, UTC.
    public static func day(of date: Date) -> String {
        String(timestamp(date).prefix(10))
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC")!))
    }
}
