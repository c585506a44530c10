public import MPOSHost

// The tables of the people who administer the host (schema version 4).
extension Tables {
    public static let adminUsers = TableMapping<AdminUserRecord>(
        TableDescription("admin_users", columns: [
            Column("name", .text), .oneOf("role", AdminRole.allCases.map(\.rawValue)), Column("password_hash", .text),
            Column("totp_secret_block", .text, nullable: true), Column("totp_confirmed", .boolean),
            Column("totp_pending_block", .text, nullable: true), Column("totp_last_step", .integer, nullable: true),
            .count("failed_logins"), Column("is_locked", .boolean),
            Column("is_disabled", .boolean), Column("created_at", .timestamp), Column("last_login_at", .timestamp, nullable: true),
        ], primaryKey: ["name"],
        // A confirmed second factor has its secret.
        checks: ["NOT totp_confirmed OR totp_secret_block IS NOT NULL"]),
        encode: {
            [.text($0.name), .enumValue($0.role), .text($0.passwordHash), .optional($0.totpSecretBlock, StoredValue.text), .bool($0.totpConfirmed),
             .optional($0.totpPendingBlock, StoredValue.text), .optional($0.totpLastStep, StoredValue.int), .int($0.failedLogins),
             .bool($0.isLocked), .bool($0.isDisabled), .date($0.createdAt), .optional($0.lastLoginAt, StoredValue.date)]
        },
        decode: { row in
            AdminUserRecord(name: try row.text("name"), role: try row.enumValue("role"), passwordHash: try row.text("password_hash"),
                            totpSecretBlock: try row.optional("totp_secret_block", row.text), totpConfirmed: try row.bool("totp_confirmed"),
                            totpPendingBlock: try row.optional("totp_pending_block", row.text), totpLastStep: try row.optional("totp_last_step", row.int64), failedLogins: try row.int("failed_logins"),
                            isLocked: try row.bool("is_locked"), isDisabled: try row.bool("is_disabled"), createdAt: try row.date("created_at"),
                            lastLoginAt: try row.optional("last_login_at", row.date))
        })

    public static let adminCredentials = TableMapping<AdminCredentialRecord>(
        TableDescription("admin_credentials", columns: [
            Column("digest", .bytes), Column("id", .text, unique: true), Column("user_name", .text, references: "admin_users (name)"),
            .oneOf("kind", AdminCredentialRecord.Kind.allCases.map(\.rawValue)), Column("label", .text), Column("created_at", .timestamp),
            Column("expires_at", .timestamp), Column("last_used_at", .timestamp), Column("revoked_at", .timestamp, nullable: true),
        ], primaryKey: ["digest"], indexes: [TableIndex("admin_credentials_user", on: ["user_name"])]),
        encode: {
            [.bytes($0.digest), .text($0.id), .text($0.userName), .enumValue($0.kind), .text($0.label), .date($0.createdAt), .date($0.expiresAt),
             .date($0.lastUsedAt), .optional($0.revokedAt, StoredValue.date)]
        },
        decode: { row in
            AdminCredentialRecord(digest: try row.bytes("digest"), id: try row.text("id"), userName: try row.text("user_name"),
                                  kind: try row.enumValue("kind"), label: try row.text("label"), createdAt: try row.date("created_at"),
                                  expiresAt: try row.date("expires_at"), lastUsedAt: try row.date("last_used_at"),
                                  revokedAt: try row.optional("revoked_at", row.date))
        })

    /// Inserts skip `id` (the database assigns it); updates key on it.
    public static let adminApprovals = TableMapping<AdminApprovalRecord>(
        TableDescription("admin_approvals", columns: [
            Column("id", .integer), .oneOf("action", AdminApprovalRecord.Action.allCases.map(\.rawValue)), Column("request_sign_on", .boolean),
            Column("requested_by", .text), Column("requested_at", .timestamp), .oneOf("state", AdminApprovalRecord.State.allCases.map(\.rawValue)),
            Column("decided_by", .text, nullable: true), Column("decided_at", .timestamp, nullable: true), Column("result", .text, nullable: true),
        ], primaryKey: ["id"], databaseAssignsKey: true,
        // Dual control, in the database too: whoever decides is not whoever asked.
        checks: ["decided_by IS NULL OR decided_by <> requested_by", "(decided_by IS NULL) = (decided_at IS NULL)"]),
        encode: {
            [.int($0.id), .enumValue($0.action), .bool($0.requestSignOn), .text($0.requestedBy), .date($0.requestedAt), .enumValue($0.state),
             .optional($0.decidedBy, StoredValue.text), .optional($0.decidedAt, StoredValue.date), .optional($0.result, StoredValue.text)]
        },
        decode: { row in
            AdminApprovalRecord(id: try row.int64("id"), action: try row.enumValue("action"), requestSignOn: try row.bool("request_sign_on"),
                                requestedBy: try row.text("requested_by"), requestedAt: try row.date("requested_at"), state: try row.enumValue("state"),
                                decidedBy: try row.optional("decided_by", row.text), decidedAt: try row.optional("decided_at", row.date),
                                result: try row.optional("result", row.text))
        })
}
