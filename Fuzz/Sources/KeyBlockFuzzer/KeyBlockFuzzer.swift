// libFuzzer entry point: TR-31 / X9.143 key blocks (field 62) under a fixed terminal master key.
// The first byte picks the parser: one block as a PIN, MAC or data key, or all of field 62.
// Refusal is the expected answer; a block that unwraps must be what it claims to be.

import FuzzSupport
import MPOSCrypto
import MPOSProtocol

func check<Usage: KeyUsage>(_ block: String, as usage: Usage.Type) {
    guard let unwrapped = try? TR31.unwrap(block, as: usage, under: FixedKeys.masterKey) else { return }
    guard unwrapped.header.keyUsage == Usage.code, block.utf8.count <= TR31.maximumBlockLength,
          Usage.permittedModes.contains(unwrapped.key.modeOfUse)
    else { fatalError("an unwrapped key block does not match what was asked for") }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    guard let selector = bytes.first else { return 0 }
    // As the terminal reads field 62: text, invalid UTF-8 repaired.
    let text = String(decoding: bytes.dropFirst(), as: UTF8.self)
    switch selector % 4 {
    case 0: check(text, as: PINEncryption.self)
    case 1: check(text, as: MessageAuthentication.self)
    case 2: check(text, as: DataEncryption.self)
    default:
        if let keys = try? SignOnSecurity.sessionKeys(fromKeyBlocksField: text, under: FixedKeys.masterKey, keySet: FixedKeys.keySet) {
            guard keys.keySet == FixedKeys.keySet else { fatalError("field 62 gave keys of another key set") }
        }
    }
    return 0
}
