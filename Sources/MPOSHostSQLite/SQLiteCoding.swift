import Foundation
import MPOSHost
import MPOSHostSQL
import NIOCore
import SQLiteNIO

// How the shared column values (MPOSHostSQL's `StoredValue`) map to SQLite's: integers
// (dates as microseconds since 1970 UTC, booleans as 0/1) as INTEGER, text as TEXT, byte
// arrays as BLOB.

extension SQLiteData {
    init(_ value: StoredValue) {
        switch value {
        case .null, .unsupported: self = .null
        case .integer(let value): self = .integer(SQLiteInt64(value))
        case .boolean(let value): self = .integer(value ? 1 : 0)
        case .text(let value): self = .text(value)
        case .bytes(let value):
            // SQLite binds a NULL pointer as NULL, not as an empty BLOB: a buffer with real
            // storage keeps `[]` distinct from `nil` (the contract tests check it).
            var buffer = ByteBufferAllocator().buffer(capacity: max(value.count, 1))
            buffer.writeBytes(value)
            self = .blob(buffer)
        }
    }

    var storedValue: StoredValue {
        switch self {
        case .null: .null
        case .integer(let value): .integer(Int64(value))
        case .text(let value): .text(value)
        case .blob(let buffer): .bytes(Array(buffer.readableBytesView))
        case .float: .unsupported
        }
    }
}

extension [StoredValue] {
    var sqlite: [SQLiteData] { map(SQLiteData.init) }
}

extension RowReader {
    init(row: SQLiteRow, table: String) {
        self.init(table: table) { row.column($0)?.storedValue }
    }
}

extension TableMapping {
    func decode(_ row: SQLiteRow) throws -> Record {
        try decode(RowReader(row: row, table: table))
    }
}

extension StoreError {
    /// Maps a SQLite failure to the store's codes. SQLite's own messages name the table,
    /// column or constraint, and never echo a bound value, so they are kept.
    static func mapping(_ error: any Error, table: String) -> any Error {
        guard let error = error as? SQLiteError else { return error }
        switch error.reason {
        case .constraintPrimaryKeyFailed, .constraintUniqueFailed, .constraintUniqueRowIDFailed:
            return StoreError(.duplicate, "\(table): \(error.message)")
        case .busy, .busyTimeout, .busyInRecovery, .busyInSnapshot, .locked, .lockedBySharedCache:
            return StoreError(.busy, "\(table): \(error.message)")
        case .corrupt, .corruptIndex, .corruptSequenceSchema, .corruptVirtualTable, .notADatabase:
            return StoreError(.schema, "\(table): the database is damaged (\(error.message))")
        default:
            return StoreError(.failure, "\(table): \(error.reason): \(error.message)")
        }
    }
}
