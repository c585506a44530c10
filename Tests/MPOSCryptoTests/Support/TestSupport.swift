import Foundation
@_exported import MPOSTestSupport
@testable import MPOSCrypto

/// Decodes upper-case hex in tests; a malformed fixture is a test bug, so it traps.
func hex(_ text: String) -> [UInt8] {
    try! Hex.decode(text)
}

/// Everything `dump` prints for a value, to check that no secret shows.
func dumped(_ value: Any) -> String {
    var out = ""
    dump(value, to: &out)
    return out
}
