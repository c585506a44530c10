// libFuzzer entry point: field 61's TLV after decryption. Whatever decodes is canonical: it
// re-encodes to its exact input (or is refused as too long for field 61), and no value holds
// more bytes than were given.

import MPOSProtocol

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    guard let data = try? ConfidentialData(decoding: bytes) else { return 0 }
    guard data.items.reduce(0, { $0 + 3 + $1.value.count }) == bytes.count else { fatalError("the items do not account for the input") }
    guard Set(data.items.map(\.tag)).count == data.items.count else { fatalError("a tag decoded twice") }
    if let again = try? data.encoded() {
        guard again == bytes else { fatalError("decoded input does not re-encode to itself") }
    } else if bytes.count <= ConfidentialData.maximumEncodedLength {
        fatalError("decoded input that fits field 61 does not re-encode")
    }
    return 0
}
