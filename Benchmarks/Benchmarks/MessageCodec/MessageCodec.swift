// ISO 8583 encode and decode of each mpos message (codec only: no cryptography), on frames
// built by the real protection code. Python counterpart: Benchmarks/python/bench_messages.py.

import Benchmark
import ISO8583
import SampleMessages

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, .throughput],
        warmupIterations: 100,
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 1_000_000
    )
    let codec = SampleMessages.codec
    for (name, bytes) in try! SampleMessages.frames() {
        let message = try! codec.decode(bytes)
        Benchmark("decode \(name)") { benchmark in
            for _ in benchmark.scaledIterations { blackHole(try codec.decode(bytes)) }
        }
        Benchmark("encode \(name)") { benchmark in
            for _ in benchmark.scaledIterations { blackHole(try codec.encode(message)) }
        }
    }
}
