// libFuzzer entry point: field 53, the key set (n16). Whatever parses prints back as its exact
// input; the parse accepts exactly 16 ASCII digits.

import MPOSProtocol

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    let text = String(decoding: bytes, as: UTF8.self)
    let digitsOnly = bytes.count == 16 && bytes.allSatisfy { (0x30...0x39).contains($0) }
    let parsed = KeySetIdentifier(field: text)
    guard (parsed != nil) == digitsOnly else { fatalError("the key set parse disagrees with n16") }
    if let parsed {
        guard parsed.field == text, KeySetIdentifier(baseKeyVersion: parsed.baseKeyVersion, session: parsed.session) == parsed
        else { fatalError("a parsed key set does not print back as its input") }
    }
    return 0
}
