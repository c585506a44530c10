import Hummingbird
import MPOSHost

/// Keys by version and check value (never a key), and rotations under dual control.
enum KeyRoutes {
    struct NewRotation: Decodable {
        let requestSignOn: Bool?
    }

    static func register(on table: AdminRouteTable) {
        table.add(.get, "/api/v1/keys", .permission(.readKeys)) { call in
            try json(KeyInventoryView(try await call.administration.keyInventory()))
        }
        table.add(.get, "/api/v1/key-approvals", .permission(.readKeys)) { call in
            var approvals = try await call.administration.approvals(limit: 10_000, policy: call.api.policy)
            if let state = try call.query("state") { approvals = approvals.filter { $0.state.rawValue == state } }
            return try json(try call.page(approvals.map(ApprovalView.init)))
        }
        table.add(.get, "/api/v1/key-approvals/{id}", .permission(.readKeys)) { call in
            try json(ApprovalView(try await call.administration.approval(try call.integerParameter("id"), policy: call.api.policy)))
        }
        // One key custodian asks; nothing changes until another approves.
        table.add(.post, "/api/v1/key-approvals", .permission(.requestKeyChange)) { call in
            let body = try await call.body(NewRotation.self)
            let identity = try call.context.requireIdentity()
            return try json(ApprovalView(try await call.administration.requestRotation(by: identity, requestSignOn: body.requestSignOn ?? false)),
                            status: .created)
        }
        table.add(.post, "/api/v1/key-approvals/{id}/approve", .permission(.approveKeyChange)) { call in
            let identity = try call.context.requireIdentity()
            return try json(ApprovalView(try await call.administration.approve(try call.integerParameter("id"), by: identity, policy: call.api.policy)))
        }
        // Another custodian rejects it, or its requester withdraws it.
        table.add(.post, "/api/v1/key-approvals/{id}/decline", .permission(.approveKeyChange)) { call in
            let identity = try call.context.requireIdentity()
            return try json(ApprovalView(try await call.administration.decline(try call.integerParameter("id"), by: identity, policy: call.api.policy)))
        }
    }
}
