// libFuzzer entry point: field 63's HPKE envelopes. The first byte picks what is done with the
// rest: opened with a host key as raw bytes (operator credentials) or as a terminal master key
// (no public way makes a known P-256 private key, so nothing here opens: any bytes must be
// refused, never crash); or sealed as a plaintext and opened again, which drives the parsing
// behind the envelope (usage, mode and length of a sealed key) with any plaintext.

import FuzzSupport
import MPOSCrypto
import MPOSProtocol

let host = SealingPrivateKey()
let info = Array("mpos v1 operator credentials".utf8) + [0]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    guard let selector = bytes.first else { return 0 }
    let rest = Array(bytes.dropFirst())
    switch selector % 3 {
    case 0:
        if (try? host.open(rest, info: info)) != nil { fatalError("an envelope opened under a key nobody sealed to") }
    case 1:
        if (try? SignOnSecurity.openMasterKey(rest, with: host, terminalID: FixedKeys.terminalID, keySet: FixedKeys.keySet)) != nil {
            fatalError("a master key opened under a key nobody sealed to")
        }
    default:
        guard let envelope = try? host.publicKey.seal(rest, info: info) else {
            guard rest.count > Sealing.maximumEnvelopeLength - 65 - 16 else { fatalError("a plaintext that fits was not sealed") }
            return 0
        }
        guard envelope.count == rest.count + 81, (try? host.open(envelope, info: info)) == rest else {
            fatalError("a sealed plaintext does not open to itself")
        }
        if let key = try? host.openKey(envelope, as: KeyBlockProtection.self, info: info) {
            guard rest.count == 3 + key.size.byteCount, Array(rest.prefix(2)) == Array("K1".utf8) else {
                fatalError("a sealed key opened from a plaintext that does not hold one")
            }
        }
    }
    return 0
}
