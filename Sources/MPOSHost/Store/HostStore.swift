import Foundation
public import MPOSErrors

/// Where the host keeps everything: one implementation per database (embedded SQLite by
/// default; PostgreSQL for several nodes), behind this protocol, so the host's logic makes no
/// assumption about either.
///
/// Every read and write happens inside ``transaction(_:)``. The contract each backend keeps:
/// - **Atomic and durable**: `body`'s writes commit together when it returns, or none do when
///   it throws; once `transaction` returns, the commit survives a crash or a power cut. The
///   host answers a terminal only after that.
/// - **Isolated**: what `body` reads does not change under it until it commits — two
///   transactions racing on the same terminal, card, contract or STAN produce one outcome
///   (the loser waits for the winner's row lock and sees its row, or fails on a unique
///   constraint or with ``StoreError/Code/conflict`` and is run again: see
///   ``HostStore/retryingTransaction(attempts:_:)``). The rows the host reads in order to
///   change them — a terminal, an operator, a card — and the audit chain's head are locked
///   until the transaction ends.
/// - **Not nested**: starting a transaction inside another on the same store is an error; a
///   cancelled task's transaction rolls back.
/// - **Erasure is enforced** by the schema: a retired base master key and an ended session
///   must have their key blocks erased in the same update.
public protocol HostStore: Sendable {
    func transaction<T: Sendable>(_ body: @Sendable (any HostTransaction) async throws -> T) async throws -> T
    func close() async throws
}

extension HostStore {
    /// Runs `body` in a transaction, and again when it lost a race: a conflict, or a row
    /// inserted by a concurrent transaction (a card opened, a contract signed at the same
    /// moment on another node). Rolled back, nothing of the attempt remains; the next attempt
    /// reads the winner's rows and answers accordingly. Bodies must have no effect outside the
    /// store.
    public func retryingTransaction<T: Sendable>(attempts: Int = 4, _ body: @Sendable (any HostTransaction) async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await transaction(body)
            } catch let error as StoreError where attempt < attempts && [.conflict, .duplicate].contains(error.code) {
                attempt += 1
            }
        }
    }
}

/// A store failure. Compared by code; the message names the table and the constraint, never
/// a value.
public typealias StoreError = MPOSError<StoreErrorDomain>
/// The domain of ``StoreError``'s codes.
public enum StoreErrorDomain: Sendable {}

extension ErrorCodeOf where Domain == StoreErrorDomain {
    /// A row with the same key exists.
    public static var duplicate: Self { Self("store.duplicate") }
    /// The row to update does not exist.
    public static var notFound: Self { Self("store.not-found") }
    /// Another writer holds the database; the transaction may be retried.
    public static var busy: Self { Self("store.busy") }
    /// The transaction lost a race with a concurrent one (PostgreSQL: a serialization
    /// failure or a deadlock) and was rolled back; run it again.
    public static var conflict: Self { Self("store.conflict") }
    /// The database's schema is newer than this program, or damaged.
    public static var schema: Self { Self("store.schema") }
    /// The database refused the operation (I/O error, full disk, closed store).
    public static var failure: Self { Self("store.failure") }
}
