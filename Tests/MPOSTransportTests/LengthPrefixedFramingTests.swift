import NIOCore
import NIOEmbedded
import NIOTestUtils
import MPOSTestSupport
import Testing
@testable import MPOSTransport

@Suite("Length-prefixed framing")
struct LengthPrefixedFramingTests {
    private func framed(_ body: [UInt8]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(UInt16(body.count))
        buffer.writeBytes(body)
        return buffer
    }

    @Test("the decoder passes ByteToMessageDecoderVerifier: any split of the input gives the same frames")
    func verifier() throws {
        let bodies: [[UInt8]] = [[0x30], Array("0800 sign-on".utf8), [UInt8](repeating: 0xAB, count: 4096), Array(repeating: 7, count: 300)]
        let inputs = bodies.map { (framed($0), [ByteBuffer(bytes: $0)]) }
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: inputs) { LengthPrefixedFrameDecoder() }
    }

    @Test("a frame over the limit is refused as soon as its length arrives, before its body")
    func tooLarge() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(LengthPrefixedFrameDecoder(maximumFrameLength: 64)))
        var prefixOnly = ByteBuffer()
        prefixOnly.writeInteger(UInt16(65))
        #expect(throws: FramingError(code: .frameTooLarge, length: 65)) { try channel.writeInbound(prefixOnly) }
        _ = try? channel.finish()
    }

    @Test("a frame of 65,535 bytes is refused under the default limit")
    func maximumPrefix() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(LengthPrefixedFrameDecoder()))
        #expect(throws: FramingError(code: .frameTooLarge, length: 65535)) { try channel.writeInbound(ByteBuffer(bytes: [0xFF, 0xFF])) }
        _ = try? channel.finish()
    }

    @Test("an empty frame is refused")
    func emptyFrame() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(LengthPrefixedFrameDecoder()))
        #expect(throws: FramingError(code: .emptyFrame, length: 0)) { try channel.writeInbound(ByteBuffer(bytes: [0x00, 0x00])) }
        _ = try? channel.finish()
    }

    @Test("a connection closing inside a frame is an error, not a silent drop")
    func truncatedAtClose() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(LengthPrefixedFrameDecoder()))
        try channel.writeInbound(ByteBuffer(bytes: [0x00, 0x10, 0x30, 0x31]))
        #expect(try channel.readInbound(as: ByteBuffer.self) == nil)
        #expect(throws: FramingError(code: .truncatedFrame, length: 4)) { try channel.finish() }
    }

    @Test("the encoder prefixes the length and refuses empty or oversized frames")
    func encoder() throws {
        let channel = EmbeddedChannel(handler: MessageToByteHandler(LengthPrefixedFrameEncoder(maximumFrameLength: 8)))
        try channel.writeOutbound(ByteBuffer(bytes: [1, 2, 3]))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == ByteBuffer(bytes: [0x00, 0x03, 1, 2, 3]))
        #expect(try channel.finish().isClean)
        // A failed write leaves the encoder in error, so each refusal gets its own channel.
        let oversized = EmbeddedChannel(handler: MessageToByteHandler(LengthPrefixedFrameEncoder(maximumFrameLength: 8)))
        #expect(throws: FramingError(code: .frameTooLarge, length: 9)) { try oversized.writeOutbound(ByteBuffer(bytes: [UInt8](repeating: 0, count: 9))) }
        _ = try? oversized.finish()
        let empty = EmbeddedChannel(handler: MessageToByteHandler(LengthPrefixedFrameEncoder(maximumFrameLength: 8)))
        #expect(throws: FramingError(code: .emptyFrame, length: 0)) { try empty.writeOutbound(ByteBuffer()) }
        _ = try? empty.finish()
    }

    @Test("what the encoder writes, the decoder reads back: 50 frames arriving in one read")
    func roundTrip() throws {
        let encoder = EmbeddedChannel(handler: MessageToByteHandler(LengthPrefixedFrameEncoder()))
        let bodies = (1...50).map { n in [UInt8](repeating: UInt8(n), count: n * 7) }
        var wire = ByteBuffer()
        for body in bodies {
            try encoder.writeOutbound(ByteBuffer(bytes: body))
            var encoded = try #require(try encoder.readOutbound(as: ByteBuffer.self))
            wire.writeBuffer(&encoded)
        }
        #expect(try encoder.finish().isClean)
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(LengthPrefixedFrameDecoder()))
        try channel.writeInbound(wire)
        for body in bodies {
            #expect(try channel.readInbound(as: ByteBuffer.self) == ByteBuffer(bytes: body))
        }
        #expect(try channel.finish().isClean)
    }

    @Test("random byte streams: the decoder gives exactly the frames and the error a reference reading gives (seeded: MPOS_TEST_SEED replays)")
    func hostileStreams() throws {
        let seed = randomizedSeed
        var rng = SeededGenerator(seed: seed)
        for run in 0..<2000 {
            let channel = EmbeddedChannel(handler: ByteToMessageHandler(LengthPrefixedFrameDecoder(maximumFrameLength: 512)))
            // Short streams mostly make small lengths; a few long ones make whole frames.
            let bytes = rng.bytes(Int.random(in: 0...700, using: &rng))
            let (frames, error) = Self.referenceReading(bytes, maximum: 512)
            var received: [[UInt8]] = []
            var thrown: FramingError?
            do {
                try channel.writeInbound(ByteBuffer(bytes: bytes))
                for _ in 0...bytes.count {  // at most one frame per byte: bounded
                    guard let frame = try channel.readInbound(as: ByteBuffer.self) else { break }
                    received.append(Array(frame.readableBytesView))
                }
                _ = try channel.finish()
            } catch let error as FramingError {
                thrown = error
                while let frame = try? channel.readInbound(as: ByteBuffer.self) { received.append(Array(frame.readableBytesView)) }
            }
            #expect(received == frames, "seed \(seed), run \(run): the frames")
            #expect(thrown == error, "seed \(seed), run \(run): the error")
        }
    }

    /// How the framing rules read `bytes` (frames of 1 to `maximum` bytes, each after its
    /// 2-byte big-endian length): the frames, then the error that ends the stream, if any.
    static func referenceReading(_ bytes: [UInt8], maximum: Int) -> (frames: [[UInt8]], error: FramingError?) {
        var frames: [[UInt8]] = [], index = 0
        while index < bytes.count {
            guard bytes.count - index >= 2 else { return (frames, FramingError(code: .truncatedFrame, length: bytes.count - index)) }
            let length = Int(bytes[index]) << 8 | Int(bytes[index + 1])
            guard length > 0 else { return (frames, FramingError(code: .emptyFrame, length: 0)) }
            guard length <= maximum else { return (frames, FramingError(code: .frameTooLarge, length: length)) }
            guard bytes.count - index - 2 >= length else { return (frames, FramingError(code: .truncatedFrame, length: bytes.count - index)) }
            frames.append(Array(bytes[(index + 2)..<(index + 2 + length)]))
            index += 2 + length
        }
        return (frames, nil)
    }
}
