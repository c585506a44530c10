// The payment-cryptography primitives, one operation per iteration, with the same parameters
// as Benchmarks/python/bench_primitives.py so the two tables compare line by line.

import Benchmark
@_spi(ClearPIN) import MPOSCrypto

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .mallocCountTotal, .throughput],
        warmupIterations: 100,
        scalingFactor: .kilo,
        maxDuration: .seconds(3),
        maxIterations: 1_000_000
    )

    let pinKey = try! AESKey<PINEncryption>(generating: .bits128)
    let pin = try! PIN("123456")
    let pan = try! PrimaryAccountNumber("4367123412341234123")
    let pinBlock = try! PINBlockFormat4.encipher(pin, pan: pan, using: pinKey)
    let kbpk = try! AESKey<KeyBlockProtection>(generating: .bits128)
    let keyBlock = try! TR31.wrap(pinKey, under: kbpk)  // masked to AES-256 length, as psec does by default
    let macKey = try! AESKey<MessageAuthentication>(generating: .bits128)
    let message256 = [UInt8](repeating: 0x5A, count: 256)
    let base = try! AESKey<BaseDerivation>(generating: .bits128)
    let label = Array("MPOS TMK".utf8)
    let context = [UInt8](repeating: 0x31, count: 16)
    let dataKey = try! AESKey<DataEncryption>(generating: .bits128)
    let aad = [UInt8](repeating: 0xA5, count: 16)
    let sealed = try! AuthenticatedEncryption.seal(message256, authenticating: aad, using: dataKey)

    Benchmark("PIN block format 4 encipher") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try PINBlockFormat4.encipher(pin, pan: pan, using: pinKey)) }
    }
    Benchmark("PIN block format 4 decipher") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try PINBlockFormat4.decipher(pinBlock, pan: pan, using: pinKey)) }
    }
    Benchmark("TR-31 D unwrap (AES-128)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try TR31.unwrap(keyBlock, as: PINEncryption.self, under: kbpk)) }
    }
    Benchmark("AES-CMAC 256 B") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try CMAC.authenticationCode(for: message256, using: macKey)) }
    }
    Benchmark("KCV (CMAC)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try macKey.checkValue()) }
    }
    Benchmark("SP 800-108 KDF (CMAC, 16 B)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try CounterModeKDF.deriveKey(DataEncryption.self, size: .bits128, from: base, label: label, context: context))
        }
    }
    Benchmark("AES-GCM seal 256 B") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try AuthenticatedEncryption.seal(message256, authenticating: aad, using: dataKey)) }
    }
    Benchmark("AES-GCM open 256 B") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try AuthenticatedEncryption.open(sealed, authenticating: aad, using: dataKey)) }
    }
}
