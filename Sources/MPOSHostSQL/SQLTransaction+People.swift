public import Foundation
public import MPOSHost

extension SQLTransaction: PeopleRows {
    public func adminUser(name: String) async throws -> AdminUserRecord? {
        try await fetchOne(Tables.adminUsers, "WHERE name = \(p(1))", [.text(name)], lock: true)
    }

    public func adminUsers() async throws -> [AdminUserRecord] {
        try await fetch(Tables.adminUsers, "ORDER BY name")
    }

    public func insertAdminUser(_ record: AdminUserRecord) async throws {
        try await insert(record, into: Tables.adminUsers)
    }

    public func updateAdminUser(_ record: AdminUserRecord) async throws {
        try await update(record, in: Tables.adminUsers)
    }

    public func adminCredential(digest: [UInt8]) async throws -> AdminCredentialRecord? {
        try await fetchOne(Tables.adminCredentials, "WHERE digest = \(p(1))", [.bytes(digest)])
    }

    public func adminCredential(id: String) async throws -> AdminCredentialRecord? {
        try await fetchOne(Tables.adminCredentials, "WHERE id = \(p(1))", [.text(id)], lock: true)
    }

    public func adminCredentials(userName: String) async throws -> [AdminCredentialRecord] {
        try await fetch(Tables.adminCredentials, "WHERE user_name = \(p(1)) ORDER BY created_at DESC, id", [.text(userName)])
    }

    public func insertAdminCredential(_ record: AdminCredentialRecord) async throws {
        try await insert(record, into: Tables.adminCredentials)
    }

    public func updateAdminCredential(_ record: AdminCredentialRecord) async throws {
        try await update(record, in: Tables.adminCredentials)
    }

    public func deleteAdminCredentials(endedBefore before: Date) async throws {
        _ = try await query("DELETE FROM admin_credentials WHERE expires_at < \(p(1)) OR revoked_at < \(p(1))", [.date(before)],
                            table: Tables.adminCredentials.table)
    }

    public func insertAdminApproval(_ record: AdminApprovalRecord) async throws -> Int64 {
        let mapping = Tables.adminApprovals
        let columns = mapping.columns.dropFirst().joined(separator: ", ")
        let rows = try await query(
            "INSERT INTO admin_approvals (\(columns)) VALUES (\(dialect.placeholders(1...mapping.columns.count - 1))) RETURNING id",
            Array(mapping.encode(record).dropFirst()), table: mapping.table)
        guard let row = rows.first else { throw StoreError(.failure, "admin_approvals: no id returned") }
        return try row.int64("id")
    }

    public func adminApproval(id: Int64) async throws -> AdminApprovalRecord? {
        try await fetchOne(Tables.adminApprovals, "WHERE id = \(p(1))", [.int(id)], lock: true)
    }

    public func adminApprovals(limit: Int) async throws -> [AdminApprovalRecord] {
        guard let limit = limitBind(limit) else { return [] }
        return try await fetch(Tables.adminApprovals, "ORDER BY id DESC LIMIT \(p(1))", [limit])
    }

    public func updateAdminApproval(_ record: AdminApprovalRecord) async throws {
        try await update(record, in: Tables.adminApprovals)
    }
}
