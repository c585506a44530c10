import Foundation
import MPOSHost
import NIOCore
import SQLiteNIO

// How Swift values map to columns: dates as INTEGER microseconds since 1970 UTC, booleans as
// INTEGER 0/1, byte arrays as BLOB, enums as their TEXT raw value.

// `StoredTime` (MPOSHost) is the one conversion every store and the audit chain share.

extension SQLiteData {
    static func int(_ value: some BinaryInteger) -> SQLiteData { .integer(SQLiteInt64(value)) }
    static func bool(_ value: Bool) -> SQLiteData { .integer(value ? 1 : 0) }
    static func date(_ value: Date) -> SQLiteData { .integer(SQLiteInt64(StoredTime.microseconds(value))) }
    static func enumValue<E: RawRepresentable>(_ value: E) -> SQLiteData where E.RawValue == String { .text(value.rawValue) }

    static func bytes(_ value: [UInt8]) -> SQLiteData {
        // SQLite binds a NULL pointer as NULL, not as an empty BLOB: a buffer with real storage
        // keeps `[]` distinct from `nil` (the contract tests check it).
        var buffer = ByteBufferAllocator().buffer(capacity: max(value.count, 1))
        buffer.writeBytes(value)
        return .blob(buffer)
    }

    static func optional<T>(_ value: T?, _ encode: (T) -> SQLiteData) -> SQLiteData {
        value.map(encode) ?? .null
    }
}

/// Reads typed values from a row; anything else than what the schema promises is a damaged
/// database (``StoreError/Code/schema``). Messages name table and column, never the value.
struct RowReader {
    let row: SQLiteRow
    let table: String

    private func value(_ column: String) throws -> SQLiteData {
        guard let value = row.column(column) else { throw StoreError(.schema, "\(table).\(column): missing column") }
        return value
    }

    private func unexpected(_ column: String) -> StoreError {
        StoreError(.schema, "\(table).\(column): unexpected stored value")
    }

    func isNull(_ column: String) throws -> Bool { try value(column).isNull }

    func int64(_ column: String) throws -> Int64 {
        guard case .integer(let value) = try value(column) else { throw unexpected(column) }
        return Int64(value)
    }

    func int(_ column: String) throws -> Int {
        guard let value = Int(exactly: try int64(column)) else { throw unexpected(column) }
        return value
    }

    func bool(_ column: String) throws -> Bool {
        switch try int64(column) {
        case 0: return false
        case 1: return true
        default: throw unexpected(column)
        }
    }

    func text(_ column: String) throws -> String {
        guard case .text(let value) = try value(column) else { throw unexpected(column) }
        return value
    }

    func bytes(_ column: String) throws -> [UInt8] {
        guard case .blob(let buffer) = try value(column) else { throw unexpected(column) }
        return Array(buffer.readableBytesView)
    }

    func date(_ column: String) throws -> Date {
        StoredTime.date(microseconds: try int64(column))
    }

    func enumValue<E: RawRepresentable>(_ column: String, as type: E.Type = E.self) throws -> E where E.RawValue == String {
        guard let value = E(rawValue: try text(column)) else { throw unexpected(column) }
        return value
    }

    /// `nil` for NULL, else `read(column)`.
    func optional<T>(_ column: String, _ read: (String) throws -> T) throws -> T? {
        try isNull(column) ? nil : read(column)
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
