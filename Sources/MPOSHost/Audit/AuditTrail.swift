import Foundation
public import MPOSCrypto

/// What happened, to be appended to the audit trail. Never carries a key, a PIN, a PIN block,
/// an operator key or a full card number: at most a masked one.
public struct AuditEvent: Sendable, Hashable {
    public var event: String
    public var actor: String
    public var subject: String
    public var outcome: String
    public var details: String

    public init(_ event: String, actor: String, subject: String, outcome: String = "ok", details: String = "") {
        self.event = event; self.actor = actor; self.subject = subject; self.outcome = outcome; self.details = details
    }
}

/// The hash-chained audit trail: entry n's MAC is AES-CMAC(audit key, MAC of entry n−1 ‖
/// canonical encoding of entry n), starting from 16 zero bytes. A row altered, inserted or
/// deleted breaks the chain at that row; recomputing the chain needs the audit key, which is
/// held under the LMK and not in the database — a keyed chain, so someone who can write to
/// the database cannot rebuild it after an edit.
public enum AuditTrail {
    static let genesis = [UInt8](repeating: 0, count: 16)

    /// Appends `event` in the caller's transaction, so the audit row commits with the change it
    /// describes (or not at all).
    @discardableResult
    static func append(_ event: AuditEvent, key: AESKey<MessageAuthentication>, in tx: any HostTransaction, now: Date) async throws -> AuditEntry {
        let last = try await tx.lastAuditEntry()
        // The time as the store will give it back: the MAC covers exactly what verify reads.
        var entry = AuditEntry(sequence: (last?.sequence ?? 0) + 1, recordedAt: StoredTime.rounded(now), event: event.event, actor: event.actor,
                               subject: event.subject, outcome: event.outcome, details: event.details, mac: [])
        entry.mac = try CMAC.authenticationCode(for: (last?.mac ?? genesis) + canonicalEncoding(entry), using: key)
        try await tx.appendAuditEntry(entry)
        return entry
    }

    /// Every field but the MAC, each length-prefixed (4 bytes, big-endian), so no two entries
    /// share an encoding. Time as microseconds since 1970.
    static func canonicalEncoding(_ entry: AuditEntry) -> [UInt8] {
        var out: [UInt8] = []
        func field(_ bytes: [UInt8]) {
            withUnsafeBytes(of: UInt32(bytes.count).bigEndian) { out += $0 }
            out += bytes
        }
        func integer(_ value: Int64) { field(withUnsafeBytes(of: value.bigEndian) { Array($0) }) }
        integer(entry.sequence)
        integer(StoredTime.microseconds(entry.recordedAt))
        for text in [entry.event, entry.actor, entry.subject, entry.outcome, entry.details] { field(Array(text.utf8)) }
        return out
    }

    /// The result of checking the whole chain.
    public enum Verification: Sendable, Equatable {
        case intact(entries: Int64)
        /// The first row where the chain breaks, and why (a row changed, or one is missing or
        /// inserted before it).
        case broken(atSequence: Int64, reason: String)
    }

    /// Walks the whole trail from the first entry. With `expectedHead` — a head recorded
    /// earlier outside the database (`mpos-host audit head`) — it also finds rows removed from
    /// the end, which a chain alone cannot show.
    public static func verify(store: any HostStore, key: AESKey<MessageAuthentication>, expectedHead: AuditHead? = nil, batchSize: Int = 1000) async throws -> Verification {
        var previousMAC = genesis
        var expectedSequence: Int64 = 1
        while true {
            let after = expectedSequence - 1
            let batch = try await store.transaction { tx in try await tx.auditEntries(after: after, limit: batchSize) }
            if batch.isEmpty { break }
            for entry in batch {
                guard entry.sequence == expectedSequence else {
                    return .broken(atSequence: expectedSequence, reason: "entry \(expectedSequence) is missing (the next entry is \(entry.sequence))")
                }
                let mac = try CMAC.authenticationCode(for: previousMAC + canonicalEncoding(entry), using: key)
                guard mac == entry.mac else {
                    return .broken(atSequence: entry.sequence, reason: "entry \(entry.sequence) was altered, or an entry before it was removed or inserted")
                }
                if let expectedHead, expectedHead.sequence == entry.sequence, expectedHead.mac != entry.mac {
                    return .broken(atSequence: entry.sequence, reason: "entry \(entry.sequence) is not the one recorded in the expected head")
                }
                previousMAC = entry.mac
                expectedSequence += 1
            }
        }
        let count = expectedSequence - 1
        if let expectedHead, expectedHead.sequence > count {
            return .broken(atSequence: count + 1, reason: "entries \(count + 1) to \(expectedHead.sequence) are missing: the trail was cut short")
        }
        return .intact(entries: count)
    }
}

/// The newest entry of the trail, as `SEQUENCE:MAC` (hex): recorded somewhere else (a log
/// collector, a report), it lets `audit verify --expect-head` find rows cut from the end.
public struct AuditHead: Sendable, Hashable, CustomStringConvertible {
    public let sequence: Int64
    public let mac: [UInt8]

    public init(sequence: Int64, mac: [UInt8]) {
        self.sequence = sequence
        self.mac = mac
    }

    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let sequence = Int64(parts[0]), sequence > 0, parts[1].utf8.count == 32,
              let mac = try? Hex.decode(String(parts[1]).uppercased()) else { return nil }
        self.init(sequence: sequence, mac: mac)
    }

    public var description: String { "\(sequence):\(Hex.encode(mac))" }
}
