public import MPOSHost

extension SQLTransaction: KeyRows, OperatorRows {
    public func hostKey(_ role: HostKeyRole) async throws -> StoredHostKey? {
        try await fetchOne(Tables.hostKeys, "WHERE role = \(p(1))", [.enumValue(role)])
    }

    public func hostKeys() async throws -> [StoredHostKey] {
        try await fetch(Tables.hostKeys, "ORDER BY role")
    }

    public func insertHostKey(_ key: StoredHostKey) async throws {
        try await insert(key, into: Tables.hostKeys)
    }

    public func baseMasterKeys() async throws -> [BaseMasterKeyRecord] {
        try await fetch(Tables.baseMasterKeys, "ORDER BY version")
    }

    public func insertBaseMasterKey(_ record: BaseMasterKeyRecord) async throws {
        try await insert(record, into: Tables.baseMasterKeys)
    }

    public func updateBaseMasterKey(_ record: BaseMasterKeyRecord) async throws {
        try await update(record, in: Tables.baseMasterKeys)
    }



    public func operatorRecord(number: String) async throws -> OperatorRecord? {
        try await fetchOne(Tables.operators, "WHERE number = \(p(1))", [.text(number)], lock: true)
    }

    public func operators() async throws -> [OperatorRecord] {
        try await fetch(Tables.operators, "ORDER BY number")
    }

    public func insertOperator(_ record: OperatorRecord) async throws {
        try await insert(record, into: Tables.operators)
    }

    public func updateOperator(_ record: OperatorRecord) async throws {
        try await update(record, in: Tables.operators)
    }
}
