public import MPOSHost

extension SQLTransaction: CardRows {
    public func card(lookupDigest: [UInt8]) async throws -> CardRecord? {
        try await fetchOne(Tables.cards, "WHERE lookup_digest = \(p(1))", [.bytes(lookupDigest)], lock: true)
    }

    public func card(id: Int64) async throws -> CardRecord? {
        try await fetchOne(Tables.cards, "WHERE id = \(p(1))", [.int(id)], lock: true)
    }

    public func cards() async throws -> [CardRecord] {
        try await fetch(Tables.cards, "ORDER BY id")
    }

    public func cardPage(openingReference: String?, offset: Int, limit: Int) async throws -> RecordPage<CardRecord> {
        try await page(Tables.cards, where: openingReference.map { [("opening_reference = ?", StoredValue.text($0))] } ?? [], order: "id",
                       offset: offset, limit: limit)
    }

    /// The caller chooses the id (e.g. from ``nextSequenceValue(_:)``): the protocol returns none.
    public func insertCard(_ record: CardRecord) async throws {
        try await insert(record, into: Tables.cards)
    }

    public func updateCard(_ record: CardRecord) async throws {
        try await update(record, in: Tables.cards)
    }
}
