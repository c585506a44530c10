public import Foundation

// Dual control: a base master key rotation through the API is requested by one key custodian
// and happens only when a different key custodian approves it, in the approval's transaction.
extension HostAdministration {
    public func requestRotation(by identity: AdminIdentity, requestSignOn: Bool) async throws -> AdminApprovalRecord {
        guard identity.role == .keyCustodian else { throw HostError(.forbidden, "only a key custodian may request a key rotation") }
        return try await change { [actor] tx, now in
            var record = AdminApprovalRecord(action: .rotateBaseMasterKey, requestSignOn: requestSignOn, requestedBy: identity.name, requestedAt: now)
            record.id = try await tx.insertAdminApproval(record)
            return (record, AuditEvent("key.rotation.request", actor: actor, subject: "approval:\(record.id)",
                                       details: "awaits a second key custodian" + (requestSignOn ? "; with a sign-on request" : "")))
        }
    }

    /// Newest first; requests past their lifetime show as expired.
    public func approvals(limit: Int = 100, policy: AdminPolicy) async throws -> [AdminApprovalRecord] {
        let now = clock()
        return try await read { tx in try await tx.adminApprovals(limit: limit) }.map { $0.expiring(at: now, policy: policy) }
    }

    public func approval(_ id: Int64, policy: AdminPolicy) async throws -> AdminApprovalRecord {
        let now = clock()
        guard let record = try await read({ tx in try await tx.adminApproval(id: id) }) else { throw HostError(.notFound, "no approval request \(id)") }
        return record.expiring(at: now, policy: policy)
    }

    /// A second key custodian approves: the rotation happens now, in this transaction.
    public func approve(_ id: Int64, by identity: AdminIdentity, policy: AdminPolicy) async throws -> AdminApprovalRecord {
        guard identity.role == .keyCustodian else { throw HostError(.forbidden, "only a key custodian may approve a key rotation") }
        return try await change { [self] tx, now in
            var record = try await pendingApproval(id, decidedBy: identity, in: tx, now: now, policy: policy)
            // Both people must still be enabled key custodians now.
            guard let requester = try await tx.adminUser(name: record.requestedBy), requester.role == .keyCustodian, !requester.isDisabled,
                  let approver = try await tx.adminUser(name: identity.name), approver.role == .keyCustodian, !approver.isDisabled else {
                throw HostError(.wrongState, "the requester or you are no longer an enabled key custodian: the request cannot be approved")
            }
            let (rotated, rotationEvent) = try await rotation(to: nil, origin: "generated (dual control: \(record.requestedBy), \(identity.name))",
                                                              requestSignOn: record.requestSignOn, in: tx, now: now)
            try await AuditTrail.append(rotationEvent, key: keys.auditChain, in: tx, now: now)
            record.state = .approved
            record.decidedBy = identity.name
            record.decidedAt = now
            record.result = "base master key v\(rotated.version), check value \(rotated.checkValue)"
            try await tx.updateAdminApproval(record)
            return (record, AuditEvent("key.rotation.approve", actor: actor, subject: "approval:\(id)", details: record.result ?? ""))
        }
    }

    /// A second key custodian refuses, or the requester withdraws: nothing changes.
    public func decline(_ id: Int64, by identity: AdminIdentity, policy: AdminPolicy) async throws -> AdminApprovalRecord {
        guard identity.role == .keyCustodian else { throw HostError(.forbidden, "only a key custodian may decide a key rotation") }
        return try await change { [self] tx, now in
            guard var record = try await tx.adminApproval(id: id) else { throw HostError(.notFound, "no approval request \(id)") }
            let withdrawing = record.requestedBy == identity.name
            if !withdrawing { record = try await pendingApproval(id, decidedBy: identity, in: tx, now: now, policy: policy) }
            guard record.expiring(at: now, policy: policy).state == .pending else {
                throw HostError(.wrongState, "approval request \(id) is \(record.expiring(at: now, policy: policy).state.rawValue)")
            }
            record.state = withdrawing ? .withdrawn : .rejected
            if !withdrawing {
                record.decidedBy = identity.name
                record.decidedAt = now
            }
            try await tx.updateAdminApproval(record)
            return (record, AuditEvent(withdrawing ? "key.rotation.withdraw" : "key.rotation.reject", actor: actor, subject: "approval:\(id)"))
        }
    }

    private func pendingApproval(_ id: Int64, decidedBy identity: AdminIdentity, in tx: any HostTransaction, now: Date,
                                 policy: AdminPolicy) async throws -> AdminApprovalRecord {
        guard let record = try await tx.adminApproval(id: id) else { throw HostError(.notFound, "no approval request \(id)") }
        guard record.requestedBy != identity.name else {
            throw HostError(.sameCustodian, "you requested this change: a different key custodian must decide it")
        }
        let current = record.expiring(at: now, policy: policy)
        guard current.state == .pending else { throw HostError(.wrongState, "approval request \(id) is \(current.state.rawValue)") }
        return record
    }
}

extension AdminApprovalRecord {
    /// A pending request past the policy's lifetime is expired (it is never approved then).
    public func expiring(at now: Date, policy: AdminPolicy) -> AdminApprovalRecord {
        guard state == .pending, now.timeIntervalSince(requestedAt) >= policy.approvalLifetime else { return self }
        var record = self
        record.state = .expired
        return record
    }
}
