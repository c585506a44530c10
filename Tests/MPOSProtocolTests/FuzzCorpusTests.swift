import Foundation
import ISO8583
import Testing
import MPOSProtocol

@Suite("Fuzz corpus")
struct FuzzCorpusTests {
    @Test("the fuzzer's seed messages are valid and canonical mpos messages")
    func seedsDecode() throws {
        let codec = ISO8583Codec(specification: .mpos)
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fuzz/Corpus/ISO8583")
        let seeds = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
        #expect(seeds.count >= 5)
        for seed in seeds {
            let bytes = Array(try Data(contentsOf: seed))
            let message = try codec.decode(bytes)
            #expect(try codec.encode(message) == bytes, "\(seed.lastPathComponent)")
            #expect(MessageKind(request: message) != nil || ["0810"].contains(message.mti.rawValue), "\(seed.lastPathComponent)")
        }
    }
}
