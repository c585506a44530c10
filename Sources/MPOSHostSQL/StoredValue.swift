public import Foundation
import MPOSHost

/// A column value as both SQL backends see it: what a record encodes to and decodes from.
/// Dates are whole microseconds since 1970 UTC (``StoredTime``), enums their raw text; each
/// backend turns these into its own types (SQLite: INTEGER/TEXT/BLOB, booleans 0/1;
/// PostgreSQL: BIGINT/TEXT/BYTEA/BOOLEAN).
public enum StoredValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case text(String)
    case bytes([UInt8])
    case boolean(Bool)
    /// A value of a type the schema never stores (a SQLite REAL, say): read as damage.
    case unsupported

    public static func int(_ value: some BinaryInteger) -> StoredValue { .integer(Int64(value)) }
    public static func bool(_ value: Bool) -> StoredValue { .boolean(value) }
    public static func date(_ value: Date) -> StoredValue { .integer(StoredTime.microseconds(value)) }
    public static func enumValue<E: RawRepresentable>(_ value: E) -> StoredValue where E.RawValue == String { .text(value.rawValue) }

    public static func optional<T>(_ value: T?, _ encode: (T) -> StoredValue) -> StoredValue {
        value.map(encode) ?? .null
    }

    /// A text, integer or boolean as text (what a PRAGMA, a SHOW or a COUNT answers); `nil`
    /// for anything else.
    public var scalarText: String? {
        switch self {
        case .text(let text): text
        case .integer(let value): String(value)
        case .boolean(let value): String(value)
        default: nil
        }
    }
}

/// Reads typed values from one row; anything else than what the schema promises is a damaged
/// database (``StoreError/Code/schema``). Messages name table and column, never the value.
public struct RowReader {
    public let table: String
    /// The column's value, or `nil` when the row has no such column.
    private let column: (String) -> StoredValue?

    public init(table: String, column: @escaping (String) -> StoredValue?) {
        self.table = table
        self.column = column
    }

    private func value(_ name: String) throws -> StoredValue {
        guard let value = column(name) else { throw StoreError(.schema, "\(table).\(name): missing column") }
        return value
    }

    private func unexpected(_ name: String) -> StoreError {
        StoreError(.schema, "\(table).\(name): unexpected stored value")
    }

    public func isNull(_ name: String) throws -> Bool { try value(name) == .null }

    public func int64(_ name: String) throws -> Int64 {
        guard case .integer(let value) = try value(name) else { throw unexpected(name) }
        return value
    }

    public func int(_ name: String) throws -> Int {
        guard let value = Int(exactly: try int64(name)) else { throw unexpected(name) }
        return value
    }

    /// A boolean column, or an integer one holding 0 or 1 (SQLite has no booleans).
    public func bool(_ name: String) throws -> Bool {
        switch try value(name) {
        case .boolean(let value): return value
        case .integer(0): return false
        case .integer(1): return true
        default: throw unexpected(name)
        }
    }

    public func text(_ name: String) throws -> String {
        guard case .text(let value) = try value(name) else { throw unexpected(name) }
        return value
    }

    public func bytes(_ name: String) throws -> [UInt8] {
        guard case .bytes(let value) = try value(name) else { throw unexpected(name) }
        return value
    }

    public func date(_ name: String) throws -> Date {
        StoredTime.date(microseconds: try int64(name))
    }

    public func enumValue<E: RawRepresentable>(_ name: String, as type: E.Type = E.self) throws -> E where E.RawValue == String {
        guard let value = E(rawValue: try text(name)) else { throw unexpected(name) }
        return value
    }

    /// `nil` for NULL, else `read(name)`.
    public func optional<T>(_ name: String, _ read: (String) throws -> T) throws -> T? {
        try isNull(name) ? nil : read(name)
    }
}
