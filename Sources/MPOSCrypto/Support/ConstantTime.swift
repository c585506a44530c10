/// Compares two byte sequences in time that depends only on their lengths, never on where
/// they differ. Lengths are not secret in any caller (MACs, PIN digits of a known count).
@inline(never)
func constantTimeEquals<A: Collection<UInt8>, B: Collection<UInt8>>(_ a: A, _ b: B) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for (x, y) in zip(a, b) {
        difference |= x ^ y
    }
    return difference == 0
}
