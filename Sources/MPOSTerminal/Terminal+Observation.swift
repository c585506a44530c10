import Foundation
import MPOSCrypto
import NIOConcurrencyHelpers

// Observing a terminal: its state as it changes, and its keys' check values.
extension Terminal {
    /// The current state.
    public nonisolated var state: TerminalState { observers.withLockedValue { $0.state } }

    /// The current state, then every change, for as long as the caller iterates (each access
    /// makes a new stream: any number of observers).
    public nonisolated var states: AsyncStream<TerminalState> {
        let (stream, continuation) = AsyncStream.makeStream(of: TerminalState.self)
        let id = observers.withLockedValue { observers in
            defer { observers.nextID += 1 }
            return observers.nextID
        }
        continuation.onTermination = { [observers] _ in observers.withLockedValue { _ = $0.continuations.removeValue(forKey: id) } }
        observers.withLockedValue { observers in
            observers.continuations[id] = continuation
            continuation.yield(observers.state)
        }
        return stream
    }

    /// Check values of the keys the terminal holds while signed in (nil otherwise): for
    /// people comparing keys, e.g. two terminals' or two sessions'. Never the keys.
    public var keyCheckValues: KeyCheckValues? {
        guard let machine, let session = machine.sessionKeys, let masterKey = machine.credentials.masterKey else { return nil }
        return try? KeyCheckValues(masterKey: masterKey.checkValue().hex, pinKey: session.pinKey.checkValue().hex,
                                   macKey: session.macKey.checkValue().hex, dataKey: session.dataKey.checkValue().hex)
    }

    func publish() {
        let state = TerminalState(machine?.state)
        observers.withLockedValue { observers in
            guard observers.state != state else { return }
            observers.state = state
            for continuation in observers.continuations.values { continuation.yield(state) }
        }
    }
}
