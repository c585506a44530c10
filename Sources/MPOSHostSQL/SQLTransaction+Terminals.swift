public import MPOSHost

extension SQLTransaction: TerminalRows, SessionRows, SequenceRows, MessageLogRows {
    public func terminal(id: String) async throws -> TerminalRecord? {
        try await fetchOne(Tables.terminals, "WHERE id = \(p(1))", [.text(id)], lock: true)
    }

    public func terminalSnapshot(id: String) async throws -> TerminalRecord? {
        try await fetchOne(Tables.terminals, "WHERE id = \(p(1))", [.text(id)], lock: false)
    }

    public func terminals() async throws -> [TerminalRecord] {
        try await fetch(Tables.terminals, "ORDER BY id")
    }

    public func insertTerminal(_ record: TerminalRecord) async throws {
        try await insert(record, into: Tables.terminals)
    }

    public func updateTerminal(_ record: TerminalRecord) async throws {
        try await update(record, in: Tables.terminals)
    }

    public func terminalCensus(activeVersion: Int?) async throws -> TerminalCensus {
        // The same order as TerminalRecord.displayState: blocked, then enrollment, then session.
        let rows = try await query(
            """
            SELECT \(Self.displayState) AS state,
                   COUNT(*) AS count,
                   SUM(CASE WHEN master_key_version IS NOT NULL AND master_key_version <> \(p(1)) THEN 1 ELSE 0 END) AS older
            FROM terminals GROUP BY 1
            """, [.int(activeVersion ?? -1)], table: "terminals")
        var census = TerminalCensus(byState: [:], onOlderKeys: 0)
        for row in rows {
            guard let state = TerminalRecord.DisplayState(rawValue: try row.text("state")) else { continue }
            census.byState[state] = try row.int("count")
            census.onOlderKeys += try row.int("older")
        }
        return census
    }

    public func terminalPage(_ filter: TerminalFilter, offset: Int, limit: Int) async throws -> RecordPage<TerminalRecord> {
        var conditions: [(sql: String, value: StoredValue)] = []
        if let state = filter.state {
            conditions.append(("\(Self.displayState) = ?", .enumValue(state)))
        }
        if let label = filter.labelContains { conditions.append(("LOWER(label) LIKE ? ESCAPE '\\'", containing(label))) }
        if let since = filter.seenSince { conditions.append(("last_seen_at >= ?", .date(since))) }
        return try await page(Tables.terminals, where: conditions, order: "id", offset: offset, limit: limit)
    }

    /// ``TerminalRecord/displayState`` in SQL: blocked, then enrollment, then the session.
    static let displayState = """
        (CASE WHEN is_blocked THEN 'blocked' WHEN enrollment = 'awaiting-enrollment' THEN 'awaiting-enrollment' \
        WHEN current_session IS NULL THEN 'signed-out' ELSE 'signed-in' END)
        """

    public func terminalCount(masterKeyVersion: Int) async throws -> Int {
        let rows = try await query("SELECT COUNT(*) AS count FROM terminals WHERE master_key_version = \(p(1))", [.int(masterKeyVersion)],
                                   table: "terminals")
        guard let row = rows.first else { return 0 }
        return try row.int("count")
    }

    public func session(number: Int64) async throws -> SessionRecord? {
        try await fetchOne(Tables.sessions, "WHERE number = \(p(1))", [.int(number)])
    }

    public func insertSession(_ record: SessionRecord) async throws {
        try await insert(record, into: Tables.sessions)
    }

    public func updateSession(_ record: SessionRecord) async throws {
        try await update(record, in: Tables.sessions)
    }

    public func nextSequenceValue(_ name: String) async throws -> Int64 {
        if let statement = dialect.nativeSequence(name) {
            guard let row = try await query(statement, table: "sequences").first else { throw StoreError(.failure, "sequences: no value returned") }
            return try row.int64("value")
        }
        let rows = try await query(
            """
            INSERT INTO sequences (name, value) VALUES (\(p(1)), 1)
            ON CONFLICT (name) DO UPDATE SET value = sequences.value + 1
            RETURNING value
            """, [.text(name)], table: "sequences")
        guard let row = rows.first else { throw StoreError(.failure, "sequences: no value returned") }
        return try row.int64("value")
    }



    public func messageLogEntry(terminalID: String, stan: String) async throws -> MessageLogEntry? {
        try await fetchOne(Tables.messageLog, "WHERE terminal_id = \(p(1)) AND stan = \(p(2))", [.text(terminalID), .text(stan)])
    }

    /// A replaced entry takes the newest place in the terminal's order, as if inserted now.
    public func putMessageLogEntry(_ entry: MessageLogEntry) async throws {
        let mapping = Tables.messageLog
        _ = try await query(
            """
            INSERT INTO message_log (\(mapping.columnList), entry_order)
            VALUES (\(dialect.placeholders(1...6)), (SELECT COALESCE(MAX(entry_order), 0) + 1 FROM message_log WHERE terminal_id = \(p(1))))
            ON CONFLICT (terminal_id, stan) DO UPDATE SET
                session = excluded.session, request_digest = excluded.request_digest, response = excluded.response,
                created_at = excluded.created_at, entry_order = excluded.entry_order
            """, mapping.encode(entry), table: mapping.table)
    }

    public func pruneMessageLog(terminalID: String, keep: Int) async throws {
        guard keep >= 0 else { throw StoreError(.failure, "message_log: keep must not be negative") }
        // Everything at or below the (keep+1)-th newest position goes; fewer rows, nothing does.
        _ = try await query(
            """
            DELETE FROM message_log WHERE terminal_id = \(p(1)) AND entry_order <= (
                SELECT entry_order FROM message_log WHERE terminal_id = \(p(1)) ORDER BY entry_order DESC LIMIT 1 OFFSET \(p(2)))
            """, [.text(terminalID), .int(keep)], table: "message_log")
    }
}
