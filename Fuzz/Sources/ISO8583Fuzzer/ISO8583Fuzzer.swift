// libFuzzer entry point: every input is handed to the ISO 8583 decoder. A crash, a hang or a
// sanitizer report is a finding; an ISO8583Error is the expected answer to garbage. Whatever
// decodes must re-encode to its exact input (the codec is canonical), else we trap on purpose.

import ISO8583
import MPOSProtocol

/// The mpos message set's own table (the seeds in Corpus/ISO8583 are mpos messages; a test in
/// Tests/MPOSProtocolTests checks they decode).
let codec = ISO8583Codec(specification: .mpos)

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
