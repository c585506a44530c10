@testable import MPOSServer
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Counts the reads that reach the socket (it sits where the channel's head would read).
private final class ReadCounter: ChannelOutboundHandler, Sendable {
    typealias OutboundIn = Never
    let reads = NIOLockedValueBox(0)
    func read(context: ChannelHandlerContext) {
        reads.withLockedValue { $0 += 1 }
        context.read()
    }
}

@Suite("Accept back-off on descriptor exhaustion")
struct AcceptBackoffTests {
    @Test("EMFILE holds reads back for 50 ms, then twice as long while it goes on; an accepted connection resets the pause")
    func pauses() throws {
        let loop = EmbeddedEventLoop()
        let channel = EmbeddedChannel(loop: loop)
        let counter = ReadCounter()
        let failures = NIOLockedValueBox<[Int64]>([])
        try channel.pipeline.syncOperations.addHandler(counter)
        try channel.pipeline.syncOperations.addHandler(AcceptBackoff { _, pause in failures.withLockedValue { $0.append(pause.nanoseconds / 1_000_000) } })
        func reads() -> Int { counter.reads.withLockedValue { $0 } }

        channel.read()
        #expect(reads() == 1, "no error yet: reads go through")
        channel.pipeline.fireErrorCaught(IOError(errnoCode: EMFILE, reason: "accept"))
        channel.read()
        loop.advanceTime(by: .milliseconds(49))
        channel.read()
        #expect(reads() == 1, "within the pause, no read reaches the socket")
        loop.advanceTime(by: .milliseconds(1))
        channel.read()
        #expect(reads() == 2)
        channel.pipeline.fireErrorCaught(IOError(errnoCode: ENFILE, reason: "accept"))
        loop.advanceTime(by: .milliseconds(99))
        channel.read()
        #expect(reads() == 2, "the second pause is 100 ms")
        loop.advanceTime(by: .milliseconds(1))
        channel.read()
        #expect(reads() == 3)
        channel.pipeline.syncOperations.fireChannelRead(NIOAny(channel as any Channel))
        channel.pipeline.fireErrorCaught(IOError(errnoCode: EMFILE, reason: "accept"))
        #expect(failures.withLockedValue { $0 } == [50, 100, 50], "reported with each pause; reset by the accepted connection")
        // Other errors pass on untouched.
        channel.pipeline.fireErrorCaught(IOError(errnoCode: ECONNRESET, reason: "accept"))
        #expect(throws: IOError.self) { try channel.throwIfErrorCaught() }
        _ = try? channel.finish()
    }
}
