// libFuzzer entry point: fields 120 and 127. The input is a frame; its field 120 (if any) gives
// the public keys, which must parse canonically, and the signing one verifies field 127, as at
// enrollment. A frame that verifies decodes to exactly its bytes, and its signature's other
// encoding (r, n − s) is refused: every signature has one spelling.

import FuzzSupport
import ISO8583
import MPOSCrypto
import MPOSProtocol

let fallbackSigner = SigningPrivateKey().publicKey
/// The P-256 group order, big-endian.
let order: [UInt8] = try! Hex.decode("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551")

func negated(_ s: ArraySlice<UInt8>) -> [UInt8] {
    var result = [UInt8](repeating: 0, count: 32), borrow = 0
    for (i, (a, b)) in zip(order, s).enumerated().reversed() {
        let difference = Int(a) - Int(b) - borrow
        borrow = difference < 0 ? 1 : 0
        result[i] = UInt8((difference + 256) % 256)
    }
    return result
}

func checkKeys(_ field: [UInt8]) -> SigningPublicKey? {
    guard field.count == 130 else { return nil }
    let signing = try? SigningPublicKey(x963: field.prefix(65)), sealing = try? SealingPublicKey(x963: field.suffix(65))
    guard signing.map({ $0.x963 == Array(field.prefix(65)) }) ?? true, sealing.map({ $0.x963 == Array(field.suffix(65)) }) ?? true
    else { fatalError("a public key does not re-encode to its bytes") }
    return signing
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    let signer = (try? FixedKeys.codec.decode(bytes))?[MPOSField.publicKeys].flatMap(checkKeys) ?? fallbackSigner
    guard let authenticated = try? MessageSignature.verify(bytes, codec: FixedKeys.codec, signer: signer) else { return 0 }
    guard authenticated.bytes == bytes, (try? FixedKeys.codec.encode(authenticated.message)) == bytes else {
        fatalError("a verified frame is not its own bytes")
    }
    let other = bytes.dropLast(32) + negated(bytes.suffix(32))
    if (try? MessageSignature.verify(Array(other), codec: FixedKeys.codec, signer: signer)) != nil {
        fatalError("the high-S encoding of a valid signature verifies too")
    }
    return 0
}
