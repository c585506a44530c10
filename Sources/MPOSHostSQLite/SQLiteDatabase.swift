import CSQLite3
import Foundation
import MPOSHost
import MPOSHostSQL
import NIOConcurrencyHelpers

/// One connection to a SQLite database through its C API, called directly on the caller's
/// thread: a statement of this store takes microseconds, and handing each one to another
/// thread and back cost more than the statement itself (three thread switches each, through
/// sqlite-nio). Prepared statements are kept and reused, so each SQL text is parsed once.
///
/// The store uses it from one task at a time (its lock); each call also holds ``callLock``, so
/// that two statements started at once by one transaction body (`async let`) cannot share the
/// connection (opened `NOMUTEX`) or the statement cache. Uncontended, it costs nanoseconds.
final class SQLiteDatabase: @unchecked Sendable {
    private let callLock = NIOLock()
    private var handle: OpaquePointer?
    /// Whether the caller is on the store's thread; every call that is not is counted.
    private let onStoreThread: @Sendable () -> Bool
    private let offThreadCalls = NIOLockedValueBox(0)
    /// Each prepared statement, with its result columns' positions by name.
    private var statements: [String: (statement: OpaquePointer, columns: [String: Int])] = [:]
    /// The statements the store uses are a small fixed set (a few per table); a bound keeps a
    /// surprise from growing without end.
    private static let maximumCachedStatements = 256

    /// Opens (creating) the file at `path`, or a private in-memory database for `nil`.
    init(path: String?, onStoreThread: @escaping @Sendable () -> Bool) throws {
        self.onStoreThread = onStoreThread
        var handle: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let status = sqlite3_open_v2(path ?? ":memory:", &handle, flags, nil)
        guard status == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(handle)
            throw StoreError(.failure, "database: cannot open it (\(message))")
        }
        self.handle = handle
        sqlite3_extended_result_codes(handle, 1)
    }

    deinit { callLock.withLock { closeLocked() } }

    func close() {
        countThread()
        callLock.withLock { closeLocked() }
    }

    /// SQLite calls made off the store's thread (see ``SQLiteHostStore``): a bug if ever above 0.
    var callsOffStoreThread: Int { offThreadCalls.withLockedValue { $0 } }

    private func countThread() {
        if !onStoreThread() { offThreadCalls.withLockedValue { $0 += 1 } }
    }

    private func closeLocked() {
        for cached in statements.values { sqlite3_finalize(cached.statement) }
        statements.removeAll()
        if let handle { sqlite3_close_v2(handle) }
        handle = nil
    }

    /// Runs `sql` with `binds` (`?1`, `?2`, …) and returns every row it produces.
    func rows(_ sql: String, _ binds: [StoredValue] = [], table: String) throws -> [RowReader] {
        countThread()
        return try callLock.withLock { try rowsLocked(sql, binds, table: table) }
    }

    private func rowsLocked(_ sql: String, _ binds: [StoredValue], table: String) throws -> [RowReader] {
        let (statement, names) = try prepared(sql, table: table)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        for (index, value) in binds.enumerated() {
            try check(bind(value, at: Int32(index + 1), in: statement), table: table)
        }
        let columnCount = sqlite3_column_count(statement)
        var result: [RowReader] = []
        while true {
            let status = sqlite3_step(statement)
            if status == SQLITE_DONE { break }
            guard status == SQLITE_ROW else { throw error(status, table: table) }
            let values = (0..<columnCount).map { column(at: $0, of: statement) }
            result.append(RowReader(table: table) { name in names[name].map { values[$0] } })
        }
        return result
    }

    /// The first column of the first row, if any.
    func scalar(_ sql: String, table: String) throws -> StoredValue? {
        countThread()
        return try callLock.withLock { try scalarLocked(sql, table: table) }
    }

    private func scalarLocked(_ sql: String, table: String) throws -> StoredValue? {
        let statement = try prepared(sql, table: table).statement
        defer { sqlite3_reset(statement) }
        let status = sqlite3_step(statement)
        guard status == SQLITE_ROW else {
            if status == SQLITE_DONE { return nil }
            throw error(status, table: table)
        }
        return sqlite3_column_count(statement) > 0 ? column(at: 0, of: statement) : nil
    }

    /// Runs `sql` for its effect.
    func execute(_ sql: String, table: String) throws {
        _ = try rows(sql, table: table)
    }

    // MARK: - Statements and values

    private func prepared(_ sql: String, table: String) throws -> (statement: OpaquePointer, columns: [String: Int]) {
        if let cached = statements[sql] { return cached }
        guard let handle else { throw StoreError(.failure, "\(table): the store is closed") }
        var statement: OpaquePointer?
        let status = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard status == SQLITE_OK, let statement else { throw error(status, table: table) }
        if statements.count >= Self.maximumCachedStatements {
            for cached in statements.values { sqlite3_finalize(cached.statement) }
            statements.removeAll()
        }
        var columns: [String: Int] = [:]
        for column in 0..<sqlite3_column_count(statement) {
            if let name = sqlite3_column_name(statement, column) { columns[String(cString: name)] = Int(column) }
        }
        statements[sql] = (statement, columns)
        return (statement, columns)
    }

    private func bind(_ value: StoredValue, at index: Int32, in statement: OpaquePointer) -> Int32 {
        switch value {
        case .null, .unsupported: return sqlite3_bind_null(statement, index)
        case .integer(let value): return sqlite3_bind_int64(statement, index, value)
        case .boolean(let value): return sqlite3_bind_int64(statement, index, value ? 1 : 0)
        case .text(let value):
            var value = value
            return value.withUTF8 { csqlite3_bind_text_transient(statement, index, UnsafeRawPointer($0.baseAddress)?.assumingMemoryBound(to: CChar.self), Int32($0.count)) }
        case .bytes(let value):
            // An empty buffer with a non-NULL pointer: a BLOB of no bytes, not NULL.
            if value.isEmpty { return sqlite3_bind_zeroblob(statement, index, 0) }
            return value.withUnsafeBytes { csqlite3_bind_blob_transient(statement, index, $0.baseAddress, Int32($0.count)) }
        }
    }

    private func column(at index: Int32, of statement: OpaquePointer) -> StoredValue {
        switch sqlite3_column_type(statement, index) {
        case SQLITE_NULL: return .null
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(statement, index))
        case SQLITE_TEXT:
            guard let text = sqlite3_column_text(statement, index) else { return .text("") }
            let count = Int(sqlite3_column_bytes(statement, index))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite3_column_bytes(statement, index))
            guard count > 0, let bytes = sqlite3_column_blob(statement, index) else { return .bytes([]) }
            return .bytes(Array(UnsafeRawBufferPointer(start: bytes, count: count)))
        default:
            return .unsupported
        }
    }

    // MARK: - Errors

    // Extended result codes: macros with expressions, which Swift does not import.
    private static let constraintPrimaryKey = SQLITE_CONSTRAINT | (6 << 8)
    private static let constraintUnique = SQLITE_CONSTRAINT | (8 << 8)
    private static let constraintRowID = SQLITE_CONSTRAINT | (10 << 8)

    private func check(_ status: Int32, table: String) throws {
        guard status == SQLITE_OK else { throw error(status, table: table) }
    }

    /// The store's error for a SQLite result code. SQLite's messages name the table, column
    /// or constraint and never echo a bound value, so they are kept.
    private func error(_ status: Int32, table: String) -> StoreError {
        let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "the store is closed"
        switch status {
        case Self.constraintPrimaryKey, Self.constraintUnique, Self.constraintRowID:
            return StoreError(.duplicate, "\(table): \(message)")
        case let code where code & 0xFF == SQLITE_BUSY || code & 0xFF == SQLITE_LOCKED:
            return StoreError(.busy, "\(table): \(message)")
        case let code where code & 0xFF == SQLITE_CORRUPT || code & 0xFF == SQLITE_NOTADB:
            return StoreError(.schema, "\(table): the database is damaged (\(message))")
        default:
            return StoreError(.failure, "\(table): \(message) (SQLite code \(status))")
        }
    }
}
