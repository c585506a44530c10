import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import MPOSAdminAPI
import MPOSHost
import Testing

@Suite("Admin API: dual control, and nothing secret in any answer", .timeLimit(.minutes(3)))
struct DualControlTests {
    @Test("a rotation needs a second key custodian: nobody approves their own request, and nothing changes before")
    func rotation() async throws {
        let harness = try await AdminHarness.make()
        let first = try await harness.token(.keyCustodian, name: "kc1")
        let second = try await harness.token(.keyCustodian, name: "kc2")
        let admin = try await harness.token(.administrator, name: "root")
        try await harness.test { client in
            let request = try await client.call(.post, "/api/v1/key-approvals", token: first, json: #"{"request_sign_on": true}"#)
            #expect(request.status == .created)
            let approval = try request.decode(ApprovalView.self)
            #expect(approval.state == "pending" && approval.requestedBy == "kc1")
            #expect(try await client.call(.get, "/api/v1/keys", token: first).decode(KeyInventoryView.self).baseMasterKeys.count == 1)

            let own = try await client.call(.post, "/api/v1/key-approvals/\(approval.id)/approve", token: first, json: "{}")
            #expect(own.status == .conflict && own.code == "host.dual-control.same-person")
            let byAdministrator = try await client.call(.post, "/api/v1/key-approvals/\(approval.id)/approve", token: admin, json: "{}")
            #expect(byAdministrator.status == .forbidden)
            #expect(try await client.call(.get, "/api/v1/keys", token: first).decode(KeyInventoryView.self).baseMasterKeys.count == 1)

            let approved = try await client.call(.post, "/api/v1/key-approvals/\(approval.id)/approve", token: second, json: "{}")
            #expect(approved.status == .ok)
            let decided = try approved.decode(ApprovalView.self)
            #expect(decided.state == "approved" && decided.decidedBy == "kc2")
            let keys = try await client.call(.get, "/api/v1/keys", token: first).decode(KeyInventoryView.self)
            #expect(keys.baseMasterKeys.map(\.version) == [1, 2])
            #expect(keys.baseMasterKeys.first { $0.version == 2 }?.state == "active")
            #expect(decided.result?.contains(keys.baseMasterKeys[1].checkValue) == true)
            // Decided once: a second approval changes nothing.
            let again = try await client.call(.post, "/api/v1/key-approvals/\(approval.id)/approve", token: second, json: "{}")
            #expect(again.status == .conflict && again.code == "host.state")
            #expect(try await client.call(.get, "/api/v1/keys", token: first).decode(KeyInventoryView.self).baseMasterKeys.count == 2)
        }
        let events = try await harness.administration.auditTail(100)
        #expect(events.contains { $0.event == "key.rotation.request" && $0.actor == "user:kc1 (key-custodian)" })
        #expect(events.contains { $0.event == "key.rotation.approve" && $0.actor == "user:kc2 (key-custodian)" })
        #expect(events.contains { $0.event == "key.bmk.rotated" && $0.details.contains("dual control: kc1, kc2") })
        try await harness.close()
    }

    @Test("a request can be rejected by another custodian or withdrawn by its own; an old one expires")
    func declineAndExpiry() async throws {
        let clock = ManualClock()
        let harness = try await AdminHarness.make(clock: clock)
        let first = try await harness.token(.keyCustodian, name: "kc1")
        let second = try await harness.token(.keyCustodian, name: "kc2")
        try await harness.test { client in
            let a = try await client.call(.post, "/api/v1/key-approvals", token: first, json: "{}").decode(ApprovalView.self)
            #expect(try await client.call(.post, "/api/v1/key-approvals/\(a.id)/decline", token: second, json: "{}").decode(ApprovalView.self).state == "rejected")
            let b = try await client.call(.post, "/api/v1/key-approvals", token: first, json: "{}").decode(ApprovalView.self)
            #expect(try await client.call(.post, "/api/v1/key-approvals/\(b.id)/decline", token: first, json: "{}").decode(ApprovalView.self).state == "withdrawn")
            let c = try await client.call(.post, "/api/v1/key-approvals", token: first, json: "{}").decode(ApprovalView.self)
            clock.advance(25 * 3600)
            let late = try await client.call(.post, "/api/v1/key-approvals/\(c.id)/approve", token: second, json: "{}")
            #expect(late.status == .conflict && late.code == "host.state")
            #expect(try await client.call(.get, "/api/v1/key-approvals/\(c.id)", token: second).decode(ApprovalView.self).state == "expired")
            #expect(try await client.call(.get, "/api/v1/keys", token: first).decode(KeyInventoryView.self).baseMasterKeys.count == 1)
        }
        try await harness.close()
    }

    @Test("the enrollment code is shown once, at creation; no answer holds it again, nor a token, password, key or hash")
    func nothingSecret() async throws {
        let harness = try await AdminHarness.make()
        let admin = try await harness.token(.administrator, name: "root")
        let auditor = try await harness.token(.auditor, name: "audrey")
        try await harness.test { client in
            let created = try await client.call(.post, "/api/v1/terminals", token: admin, json: #"{"label": "Counter 1"}"#).decode(NewTerminalView.self)
            let code = created.enrollmentCode
            #expect(code.count == 39)
            _ = try await client.call(.post, "/api/v1/operators", token: admin, json: #"{"number": "01", "name": "Op", "key": "s3cr3t-key"}"#)
            let users = try await harness.administration.adminUsers()
            let credentials = try await harness.administration.credentials(of: "root")
            let secrets = [code, code.replacingOccurrences(of: "-", with: ""), "s3cr3t-key", AdminHarness.password, admin, auditor]
                + users.map(\.passwordHash) + credentials.map { $0.digest.map { String(format: "%02x", $0) }.joined() }
            var answered = 0
            for route in harness.routes where route.method == .get {
                for token in [admin, auditor] {
                    let answer = try await client.call(.get, RoleMatrixTests.concrete(route.path).replacingOccurrences(of: "/7", with: "/00000001"), token: token)
                    for secret in secrets { #expect(!answer.body.contains(secret), "\(route.path) answered a secret") }
                    answered += 1
                }
            }
            #expect(answered > 20)
        }
        try await harness.close()
    }
}

extension DualControlTests {
    @Test("a request whose requester is no longer a key custodian cannot be approved")
    func requesterStillCustodian() async throws {
        let harness = try await AdminHarness.make()
        let first = try await harness.token(.keyCustodian, name: "kc1")
        let second = try await harness.token(.keyCustodian, name: "kc2")
        let admin = try await harness.token(.administrator, name: "root")
        try await harness.test { client in
            let approval = try await client.call(.post, "/api/v1/key-approvals", token: first, json: "{}").decode(ApprovalView.self)
            #expect(try await client.call(.patch, "/api/v1/users/kc1", token: admin, json: #"{"role": "viewer"}"#).status == .ok)
            let late = try await client.call(.post, "/api/v1/key-approvals/\(approval.id)/approve", token: second, json: "{}")
            #expect(late.status == .conflict && late.code == "host.state")
            #expect(try await client.call(.get, "/api/v1/keys", token: second).decode(KeyInventoryView.self).baseMasterKeys.count == 1)
        }
        try await harness.close()
    }
}
