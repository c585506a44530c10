import Foundation
import MPOSHost
import Testing

/// The administration API's rows (people, sessions and tokens, dual-control approvals), on
/// every backend in ``StoreBackend``.
@Suite("HostStore contract: people")
struct PeopleRowsContractTests {
    static func user(_ name: String) -> AdminUserRecord {
        AdminUserRecord(name: name, role: .keyCustodian, passwordHash: "$2b$12$abcdefghijklmnopqrstuv", totpSecretBlock: "D0112M7TE00E0000",
                        failedLogins: 3, isLocked: true, isDisabled: true, createdAt: Fixtures.time(1), lastLoginAt: Fixtures.time(1.5))
    }

    static func credential(_ id: String, user: String, created: TimeInterval) -> AdminCredentialRecord {
        AdminCredentialRecord(digest: Array(id.utf8) + Array(repeating: 0, count: 16), id: id, userName: user, kind: .token, label: "CI",
                              createdAt: Fixtures.time(created), expiresAt: Fixtures.time(created + 100), lastUsedAt: Fixtures.time(created + 1))
    }

    @Test("people round-trip with every field and with nil optionals; a name is unique", arguments: StoreBackend.allCases)
    func users(backend: StoreBackend) async throws {
        try await backend.withStore { store async throws in
            let full = Self.user("alice")
            let minimal = AdminUserRecord(name: "bob", role: .viewer, passwordHash: "$2b$12$x", createdAt: Fixtures.time(2))
            try await store.transaction { tx async throws in
                try await tx.insertAdminUser(full)
                try await tx.insertAdminUser(minimal)
            }
            try await store.transaction { tx async throws in
                #expect(try await tx.adminUser(name: "alice") == full)
                #expect(try await tx.adminUsers() == [full, minimal])
                var changed = minimal
                changed.role = .auditor
                changed.lastLoginAt = Fixtures.time(9)
                try await tx.updateAdminUser(changed)
                #expect(try await tx.adminUser(name: "bob") == changed)
            }
            await #expect(throws: StoreError(.duplicate, "")) { try await store.transaction { tx async throws in try await tx.insertAdminUser(full) } }
            await #expect(throws: StoreError(.notFound, "")) {
                try await store.transaction { tx async throws in try await tx.updateAdminUser(Self.user("carol")) }
            }
        }
    }

    @Test("sessions and tokens: by digest, by id, newest first per person; ended ones deleted after a day", arguments: StoreBackend.allCases)
    func credentials(backend: StoreBackend) async throws {
        try await backend.withStore { store async throws in
            try await store.transaction { tx async throws in try await tx.insertAdminUser(Self.user("alice")) }
            let older = Self.credential("aaaaaaaaaaaaaaaa", user: "alice", created: 10)
            let newer = { var record = Self.credential("bbbbbbbbbbbbbbbb", user: "alice", created: 20); record.kind = .session; return record }()
            try await store.transaction { tx async throws in
                try await tx.insertAdminCredential(older)
                try await tx.insertAdminCredential(newer)
            }
            try await store.transaction { tx async throws in
                #expect(try await tx.adminCredential(digest: older.digest) == older)
                #expect(try await tx.adminCredential(id: newer.id) == newer)
                #expect(try await tx.adminCredentials(userName: "alice") == [newer, older])
                var revoked = older
                revoked.revokedAt = Fixtures.time(11)
                try await tx.updateAdminCredential(revoked)
                // older expired at 110 and was revoked at 11; newer expires at 120.
                try await tx.deleteAdminCredentials(endedBefore: Fixtures.time(115))
                #expect(try await tx.adminCredentials(userName: "alice") == [newer])
            }
            // A credential names a person who exists.
            await #expect(throws: StoreError.self) {
                try await store.transaction { tx async throws in try await tx.insertAdminCredential(Self.credential("cccccccccccccccc", user: "nobody", created: 1)) }
            }
        }
    }

    @Test("approvals: the database assigns ids, lists newest first, and refuses a decision by the requester", arguments: StoreBackend.allCases)
    func approvals(backend: StoreBackend) async throws {
        try await backend.withStore { store async throws in
            let request = AdminApprovalRecord(action: .rotateBaseMasterKey, requestSignOn: true, requestedBy: "kc1", requestedAt: Fixtures.time(1))
            let (first, second) = try await store.transaction { tx async throws in
                (try await tx.insertAdminApproval(request), try await tx.insertAdminApproval(request))
            }
            #expect(second > first)
            try await store.transaction { tx async throws in
                var decided = try #require(try await tx.adminApproval(id: first))
                #expect(decided.requestedBy == "kc1" && decided.state == .pending && decided.requestSignOn)
                decided.state = .approved
                decided.decidedBy = "kc2"
                decided.decidedAt = Fixtures.time(2)
                decided.result = "base master key v2"
                try await tx.updateAdminApproval(decided)
                #expect(try await tx.adminApproval(id: first) == decided)
                #expect(try await tx.adminApprovals(limit: 10).map(\.id) == [second, first])
                #expect(try await tx.adminApprovals(limit: 1).map(\.id) == [second])
            }
            // Dual control, in the schema too: the requester cannot be the decider.
            await #expect(throws: StoreError.self) {
                try await store.transaction { tx async throws in
                    var own = try #require(try await tx.adminApproval(id: second))
                    own.state = .approved
                    own.decidedBy = "kc1"
                    own.decidedAt = Fixtures.time(3)
                    try await tx.updateAdminApproval(own)
                }
            }
        }
    }
}
