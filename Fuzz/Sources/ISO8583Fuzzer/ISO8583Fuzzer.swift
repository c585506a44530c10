// libFuzzer entry point: every input is handed to the ISO 8583 decoder. A crash, a hang or a
// sanitizer report is a finding; an ISO8583Error is the expected answer to garbage. Whatever
// decodes must re-encode to its exact input (the codec is canonical), else we trap on purpose.

import ISO8583

/// Every field layout and content type: the same table as Tests/ISO8583Tests (the seeds in
/// Corpus/ISO8583 are checked against it there). It gives way to the mpos message set's
/// specification once that exists.
let specification = MessageSpecification([
    FieldSpecification(2, "PAN", .llvar(maximum: 19), .numeric),
    FieldSpecification(3, "Processing code", .fixed(6), .numeric),
    FieldSpecification(11, "STAN", .fixed(6), .numeric),
    FieldSpecification(39, "Response code", .fixed(2), .alphanumericSpecial),
    FieldSpecification(41, "Terminal ID", .fixed(8), .alphanumericSpecial),
    FieldSpecification(48, "Additional data", .lllvar(maximum: 999), .alphanumericSpecial),
    FieldSpecification(52, "PIN block", .fixed(16), .binary),
    FieldSpecification(62, "Private binary", .lllvar(maximum: 512), .binary),
    FieldSpecification(64, "MAC", .fixed(16), .binary),
    FieldSpecification(70, "Network management code", .fixed(3), .numeric),
    FieldSpecification(100, "Private LLVAR text", .llvar(maximum: 11), .alphanumericSpecial),
    FieldSpecification(128, "MAC (secondary)", .fixed(16), .binary),
])
let codec = ISO8583Codec(specification: specification)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    if let message = try? codec.decode(bytes) {
        guard let again = try? codec.encode(message), again == bytes else {
            fatalError("decoded input does not re-encode to itself")
        }
    }
    return 0
}
