public import MPOSProtocol
package import Foundation
import MPOSCrypto

/// Where a terminal keeps what it must remember across restarts (``TerminalKeyRecord``).
///
/// Session keys are not stored — they live only in memory and are erased at sign-off, so a
/// restarted terminal signs on again — unless the terminal is configured to keep its session
/// across restarts (a simulator whose every command is a process of its own): then they are
/// stored like the other keys (encrypted, for ``FileKeyStore``) and erased at sign-off. Implementations throw ``TerminalError`` with code
/// ``TerminalError/Code/keyStore``. The record's key bytes are readable inside the mpos package
/// only, so new stores are written in this module: ``FileKeyStore``, ``KeychainKeyStore``
/// (where the Security framework exists), ``InMemoryKeyStore``.
public protocol TerminalKeyStore: Sendable {
    /// The stored record, or nil if there is none yet.
    func load() async throws -> TerminalKeyRecord?
    /// Replaces the stored record, durably, before returning.
    func save(_ record: TerminalKeyRecord) async throws
    /// Forgets the terminal (decommissioning it): its keys cannot be recovered afterwards.
    func erase() async throws
}

/// What a terminal keeps: its terminal ID, device signing and sealing private keys, the host
/// keys pinned at enrollment, the TMK with its key set, and the last STAN used.
public struct TerminalKeyRecord: Sendable {
    public var credentials: TerminalStateMachine.Credentials
    /// Saved before each request is sent, so STANs keep increasing across restarts.
    public var lastSTAN: Int

    /// The current session's keys — only when the terminal is configured to keep its session
    /// across restarts (``TerminalConfiguration/keepsSessionAcrossRestarts``); nil otherwise,
    /// and always erased from the store at sign-off.
    package var session: SessionKeys?

    public init(credentials: TerminalStateMachine.Credentials, lastSTAN: Int) {
        self.credentials = credentials
        self.lastSTAN = lastSTAN
    }

    /// The frame of a request whose answer is awaited, and when it was made — kept only with
    /// the session (a simulator's next process must resend it, never make it anew).
    package var pendingFrame: [UInt8]?
    package var pendingDate: Date?
    /// A pending enrollment's one-time code, without which its answer cannot be checked; gone
    /// with the pending frame once answered.
    package var pendingEnrollmentCode: EnrollmentCode?
    /// The latest field 7 sent (field 7 never goes back, even after the clock is stepped back).
    package var lastTransmissionTime: Date?

    package init(credentials: TerminalStateMachine.Credentials, lastSTAN: Int, session: SessionKeys?,
                 pendingFrame: [UInt8]? = nil, pendingDate: Date? = nil) {
        self.init(credentials: credentials, lastSTAN: lastSTAN)
        self.session = session
        self.pendingFrame = pendingFrame
        self.pendingDate = pendingDate
    }

    /// The record as JSON (the plaintext a store encrypts). Key bytes: handle as a secret.
    package func encoded() throws -> [UInt8] {
        let parts = credentials.storedParts
        let stored = Stored(version: Stored.currentVersion, terminalID: parts.terminalID, lastSTAN: lastSTAN,
                            deviceSigningKey: Data(parts.deviceSigningKey), deviceSealingKey: Data(parts.deviceSealingKey),
                            hostSigningKey: parts.hostSigningKey.map { Data($0) }, hostSealingKey: parts.hostSealingKey.map { Data($0) },
                            masterKey: parts.masterKey.map { Data($0) }, masterKeyModeOfUse: parts.masterKeyModeOfUse.map { String($0.character) },
                            masterKeyExportability: parts.masterKeyExportability.map { String($0.character) }, masterKeySet: parts.masterKeySet,
                            session: session.map(StoredSession.init), pendingFrame: pendingFrame.map { Data($0) },
                            pendingDate: pendingDate?.timeIntervalSince1970, pendingEnrollmentCode: pendingEnrollmentCode?.unsafeDisplayText,
                            lastTransmissionTime: lastTransmissionTime?.timeIntervalSince1970)
        return try Array(JSONEncoder().encode(stored))
    }

    package init(encoded bytes: [UInt8]) throws {
        let stored: Stored
        do {
            stored = try JSONDecoder().decode(Stored.self, from: Data(bytes))
        } catch {
            throw TerminalError(.keyStore, "The key store's contents are unreadable: restore it or enroll the terminal again")
        }
        guard stored.version == Stored.currentVersion else {
            throw TerminalError(.keyStore, "The key store's contents have format version \(stored.version), which this version of the SDK does not read")
        }
        let parts = TerminalStateMachine.Credentials.StoredParts(
            terminalID: stored.terminalID, deviceSigningKey: Array(stored.deviceSigningKey), deviceSealingKey: Array(stored.deviceSealingKey),
            hostSigningKey: stored.hostSigningKey.map(Array.init), hostSealingKey: stored.hostSealingKey.map(Array.init),
            masterKey: stored.masterKey.map(Array.init),
            masterKeyModeOfUse: stored.masterKeyModeOfUse.flatMap { $0.utf8.first }.flatMap(ModeOfUse.init(rawValue:)),
            masterKeyExportability: stored.masterKeyExportability.flatMap { $0.utf8.first }.flatMap(Exportability.init(rawValue:)),
            masterKeySet: stored.masterKeySet)
        do {
            credentials = try TerminalStateMachine.Credentials(storedParts: parts)
        } catch {
            throw TerminalError(.keyStore, "The key store holds keys that are not valid: restore it or enroll the terminal again")
        }
        lastSTAN = stored.lastSTAN
        pendingFrame = stored.pendingFrame.map(Array.init)
        pendingDate = stored.pendingDate.map(Date.init(timeIntervalSince1970:))
        pendingEnrollmentCode = stored.pendingEnrollmentCode.flatMap { try? EnrollmentCode(text: $0) }
        lastTransmissionTime = stored.lastTransmissionTime.map(Date.init(timeIntervalSince1970:))
        do {
            session = try stored.session?.keys()
        } catch {
            throw TerminalError(.keyStore, "The key store holds session keys that are not valid: sign on again")
        }
    }

    private struct Stored: Codable {
        static let currentVersion = 1
        var version: Int
        var terminalID: String
        var lastSTAN: Int
        var deviceSigningKey: Data
        var deviceSealingKey: Data
        var hostSigningKey: Data?
        var hostSealingKey: Data?
        var masterKey: Data?
        var masterKeyModeOfUse: String?
        var masterKeyExportability: String?
        var masterKeySet: String?
        var session: StoredSession?
        var pendingFrame: Data?
        var pendingDate: Double?
        // Added in place: absent from records written before them, which read as nil.
        var pendingEnrollmentCode: String?
        var lastTransmissionTime: Double?
    }

    /// A session's three keys (with their modes) and its key set.
    private struct StoredSession: Codable {
        var pinKey: Data, pinKeyMode: String
        var macKey: Data, macKeyMode: String
        var dataKey: Data, dataKeyMode: String
        var keySet: String

        init(_ keys: SessionKeys) {
            pinKey = Data(keys.pinKey.unsafeRawBytes()); pinKeyMode = String(keys.pinKey.modeOfUse.character)
            macKey = Data(keys.macKey.unsafeRawBytes()); macKeyMode = String(keys.macKey.modeOfUse.character)
            dataKey = Data(keys.dataKey.unsafeRawBytes()); dataKeyMode = String(keys.dataKey.modeOfUse.character)
            keySet = keys.keySet.field
        }

        func keys() throws -> SessionKeys {
            func mode(_ text: String) throws -> ModeOfUse {
                guard let byte = text.utf8.first, let mode = ModeOfUse(rawValue: byte) else { throw TerminalError(.keyStore, "mode") }
                return mode
            }
            guard let keySet = KeySetIdentifier(field: keySet) else { throw TerminalError(.keyStore, "key set") }
            return SessionKeys(pinKey: try AESKey(unsafeRawBytes: Array(pinKey), modeOfUse: mode(pinKeyMode), exportability: .nonExportable),
                               macKey: try AESKey(unsafeRawBytes: Array(macKey), modeOfUse: mode(macKeyMode), exportability: .nonExportable),
                               dataKey: try AESKey(unsafeRawBytes: Array(dataKey), modeOfUse: mode(dataKeyMode), exportability: .nonExportable),
                               keySet: keySet)
        }
    }
}

/// A key store in memory only: for tests and demonstrations (a restart forgets the terminal).
public actor InMemoryKeyStore: TerminalKeyStore {
    private var record: TerminalKeyRecord?
    /// How many times the record was saved.
    public private(set) var saveCount = 0

    public init(_ record: TerminalKeyRecord? = nil) { self.record = record }

    public func load() -> TerminalKeyRecord? { record }

    public func save(_ record: TerminalKeyRecord) {
        self.record = record
        saveCount += 1
    }

    public func erase() { record = nil }
}
