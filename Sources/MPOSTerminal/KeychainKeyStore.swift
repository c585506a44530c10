#if canImport(Security)
import Foundation
import Security

/// A key store in the Keychain (Apple platforms): one generic password item holding
/// ``TerminalKeyRecord``'s JSON, readable only while the device is unlocked and never migrated
/// to another device or restored from a backup (`kSecAttrAccessibleWhenUnlockedThisDeviceOnly`).
public actor KeychainKeyStore: TerminalKeyStore {
    public nonisolated let service: String
    public nonisolated let account: String

    public init(service: String = "mpos.terminal", account: String = "default") {
        self.service = service
        self.account = account
    }

    public func load() throws -> TerminalKeyRecord? {
        var query = baseQuery
        query[kSecReturnData as String] = true
        query[kSecMatchLimit as String] = kSecMatchLimitOne
        var result: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &result)
        if status == errSecItemNotFound { return nil }
        guard status == errSecSuccess, let data = result as? Data else { throw failure("read", status) }
        return try TerminalKeyRecord(encoded: Array(data))
    }

    public func save(_ record: TerminalKeyRecord) throws {
        let attributes: [String: Any] = [
            kSecValueData as String: Data(try record.encoded()),
            kSecAttrAccessible as String: kSecAttrAccessibleWhenUnlockedThisDeviceOnly,
        ]
        var status = SecItemUpdate(baseQuery as CFDictionary, attributes as CFDictionary)
        if status == errSecItemNotFound {
            status = SecItemAdd(baseQuery.merging(attributes) { $1 } as CFDictionary, nil)
        }
        guard status == errSecSuccess else { throw failure("save", status) }
    }

    public func erase() throws {
        let status = SecItemDelete(baseQuery as CFDictionary)
        guard status == errSecSuccess || status == errSecItemNotFound else { throw failure("delete", status) }
    }

    private var baseQuery: [String: Any] {
        [kSecClass as String: kSecClassGenericPassword, kSecAttrService as String: service,
         kSecAttrAccount as String: account, kSecUseDataProtectionKeychain as String: true]
    }

    private func failure(_ operation: String, _ status: OSStatus) -> TerminalError {
        let reason = SecCopyErrorMessageString(status, nil) as String? ?? "OSStatus \(status)"
        return TerminalError(.keyStore, "The Keychain cannot \(operation) the terminal's keys: \(reason)")
    }
}
#endif
