// libFuzzer entry point: the enrollment code as typed. It is accepted exactly when, without
// dashes and spaces, the text is 32 ASCII hex digits (an independent model over bytes, not
// characters, so grapheme clustering cannot let anything else through).

import MPOSProtocol

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    let text = String(decoding: bytes, as: UTF8.self)
    let digits = text.utf8.filter { $0 != UInt8(ascii: "-") && $0 != UInt8(ascii: " ") }
    let expected = digits.count == 32 && digits.allSatisfy { (0x30...0x39).contains($0) || (0x41...0x46).contains($0) || (0x61...0x66).contains($0) }
    guard ((try? EnrollmentCode(text: text)) != nil) == expected else { fatalError("the enrollment code parse disagrees with the model") }
    return 0
}
