// Prints the sample frames and the field table as JSON, for the Python side of the message
// benchmarks (Benchmarks/python/bench_messages.py): both sides time the same bytes.
import SampleMessages

func hex(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789ABCDEF")
    return String(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] })
}

let frames = try SampleMessages.frames()
let table = SampleMessages.table.map { row in "[\(row[0]), \"\(row[1])\", \(row[2]), \"\(row[3])\"]" }.joined(separator: ", ")
let messages = frames.map { "{\"name\": \"\($0.name)\", \"bytes\": \"\(hex($0.bytes))\"}" }.joined(separator: ", ")
print("{\"spec\": [\(table)], \"messages\": [\(messages)]}")
