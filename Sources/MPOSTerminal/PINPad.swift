public import MPOSCrypto

/// Where the customer's PIN comes from: a PIN pad, or a secure entry screen.
///
/// The SDK asks for the PIN only once everything else about the request is checked, turns it
/// into a format 4 PIN block at once (through the state machine) and keeps no copy of it.
public protocol PINPad: Sendable {
    /// - Parameter cardNumber: the card number, masked (e.g. `436712*********4126`), to show
    ///   in the prompt; the PIN pad never needs the full number.
    /// - Returns: the PIN; an error (e.g. the customer cancelled) is passed to the caller as it is.
    func readPIN(for cardNumber: String) async throws -> PIN
}
