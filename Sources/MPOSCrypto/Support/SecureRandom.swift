/// Bytes from the system's cryptographically secure generator (`getrandom` on Linux,
/// `arc4random` on Apple systems), drawn 8 at a time: one system call per 8 bytes rather
/// than per byte, which matters for a PIN block made on every transaction.
func secureRandomBytes(_ count: Int) -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    var bytes: [UInt8] = []
    bytes.reserveCapacity(count + 7)
    while bytes.count < count {
        withUnsafeBytes(of: generator.next()) { bytes.append(contentsOf: $0) }
    }
    bytes.removeLast(bytes.count - count)
    return bytes
}
