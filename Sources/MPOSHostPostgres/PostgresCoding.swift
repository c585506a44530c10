import Foundation
import MPOSHost
import MPOSHostSQL
import NIOCore
import PostgresNIO

// How the shared column values (MPOSHostSQL's `StoredValue`) map to PostgreSQL's: integers
// (dates as microseconds since 1970 UTC) as BIGINT, booleans as BOOLEAN, text as TEXT, byte
// arrays as BYTEA.

extension [StoredValue] {
    var postgresBindings: PostgresBindings {
        var bindings = PostgresBindings(capacity: count)
        for value in self {
            switch value {
            case .null, .unsupported: bindings.appendNull()
            case .integer(let value): bindings.append(value)
            case .boolean(let value): bindings.append(value)
            case .text(let value): bindings.append(value)
            // A ByteBuffer is BYTEA ([UInt8] would be an array of "char").
            case .bytes(let value): bindings.append(ByteBuffer(bytes: value))
            }
        }
        return bindings
    }
}

extension PostgresCell {
    /// `.unsupported` for a type the schema never uses, or a value that does not decode.
    var storedValue: StoredValue {
        guard bytes != nil else { return .null }
        switch dataType {
        case .int8, .int4, .int2: return (try? decode(Int64.self)).map(StoredValue.integer) ?? .unsupported
        case .bool: return (try? decode(Bool.self)).map(StoredValue.boolean) ?? .unsupported
        case .text, .varchar, .name, .bpchar: return (try? decode(String.self)).map(StoredValue.text) ?? .unsupported
        case .bytea: return (try? decode(ByteBuffer.self)).map { .bytes(Array($0.readableBytesView)) } ?? .unsupported
        default: return .unsupported
        }
    }
}

extension RowReader {
    init(row: PostgresRow, table: String) {
        let row = row.makeRandomAccess()
        self.init(table: table) { name in row.contains(name) ? row[name].storedValue : nil }
    }
}

extension StoreError {
    /// Maps a PostgreSQL failure to the store's codes. Only the server's primary message is
    /// kept — it names the table or constraint — never its detail, which quotes the row's
    /// values (a unique violation's detail holds the key), nor the statement.
    static func mapping(_ error: any Error, table: String) -> any Error {
        guard let error = error as? PSQLError else { return error }
        guard error.code == .server, let info = error.serverInfo else {
            // The connection failed or was closed: whether a COMMIT in flight took effect is unknown.
            return StoreError(.failure, "\(table): the database connection failed (\(error.code))")
        }
        let message = info[.message] ?? "no message"
        switch info[.sqlState] ?? "" {
        case "23505":
            return StoreError(.duplicate, "\(table): \(message)")
        case "40001", "40P01":
            return StoreError(.conflict, "\(table): \(message)")
        case "55P03", "57014":
            return StoreError(.busy, "\(table): \(message)")
        case let state where state.hasPrefix("XX"):
            return StoreError(.schema, "\(table): the database reports damage (\(state): \(message))")
        case let state:
            return StoreError(.failure, "\(table): \(state): \(message)")
        }
    }
}
