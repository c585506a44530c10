import NIOCore
import NIOEmbedded
import NIOTestUtils
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

    @Test("random byte streams never crash the decoder")
    func hostileStreams() throws {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            let channel = EmbeddedChannel(handler: ByteToMessageHandler(LengthPrefixedFrameDecoder(maximumFrameLength: 512)))
            let bytes = (0..<Int.random(in: 0...700, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            do {
                try channel.writeInbound(ByteBuffer(bytes: bytes))
                while let frame = try channel.readInbound(as: ByteBuffer.self) {
                    #expect((1...512).contains(frame.readableBytes))
                }
                _ = try channel.finish()
            } catch let error as FramingError {
                #expect(error.code == .frameTooLarge || error.code == .emptyFrame || error.code == .truncatedFrame)
            }
        }
    }
}
