// libFuzzer entry point: the frame decoder and the server's frame deadline, in an EmbeddedChannel
// as the server stacks them. The input is a script of chunks (a control byte: low 6 bits the
// chunk's length, high 2 bits how long to wait before it). A model of the framing rules says
// which frames come out, which error ends the stream and when the deadline closes the channel;
// the real pipeline must agree: no frame it returns was not given, none is lost.

import MPOSServer
import MPOSTransport
import NIOCore
import NIOEmbedded

let maximumFrameLength = LengthPrefixedFraming.defaultMaximumFrameLength
let deadline = TimeAmount.seconds(1)
let waits: [TimeAmount] = [.zero, .milliseconds(400), .nanoseconds(999_999_999), deadline]

/// What the framing rules predict: the frames, or the error, from the bytes so far.
struct Model {
    var pending: [UInt8] = []
    var atFirstBytes = true
    var armedAt: NIODeadline?

    mutating func feed(_ chunk: [UInt8], now: NIODeadline) -> (frames: [[UInt8]], error: FramingError?) {
        pending += chunk
        var frames: [[UInt8]] = []
        while true {
            if atFirstBytes {
                switch TLSRecord.recognise(pending.prefix(3)) {
                case .tls: return (frames, FramingError(code: .tlsMismatch, length: pending.count))
                case .undecided:
                    if !pending.isEmpty, armedAt == nil { armedAt = now }
                    return (frames, nil)
                case .notTLS: atFirstBytes = false
                }
            }
            guard pending.count >= 2 else {
                if !pending.isEmpty, armedAt == nil { armedAt = now }
                return (frames, nil)
            }
            let length = Int(pending[0]) << 8 | Int(pending[1])
            if length == 0 { return (frames, FramingError(code: .emptyFrame, length: 0)) }
            if length > maximumFrameLength { return (frames, FramingError(code: .frameTooLarge, length: length)) }
            guard pending.count >= 2 + length else {
                if armedAt == nil { armedAt = now }
                return (frames, nil)
            }
            frames.append(Array(pending[2..<(2 + length)]))
            pending.removeFirst(2 + length)
            armedAt = nil
        }
    }
}

func drain(_ channel: EmbeddedChannel) -> [[UInt8]] {
    var frames: [[UInt8]] = []
    while let frame = try? channel.readInbound(as: ByteBuffer.self) { frames.append(Array(frame.readableBytesView)) }
    return frames
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let script = Array(UnsafeRawBufferPointer(start: start, count: count))
    let loop = EmbeddedEventLoop()
    let channel = EmbeddedChannel(loop: loop)
    try! channel.pipeline.syncOperations.addHandlers(
        ByteToMessageHandler(LengthPrefixedFrameDecoder(maximumFrameLength: maximumFrameLength)), FrameDeadlineHandler(deadline: deadline))
    try! channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 8583)).wait()
    // A channel left open keeps its pipeline alive (a cycle): finish it on every way out.
    var finished = false
    defer { if !finished { _ = try? channel.finish() } }
    var model = Model(armedAt: loop.now)
    var index = 0
    while index < script.count {
        let control = script[index]
        let chunk = Array(script[(index + 1)...].prefix(Int(control & 0x3F)))
        index += 1 + chunk.count
        loop.advanceTime(by: waits[Int(control >> 6)])
        let expiredModel = model.armedAt.map { $0 + deadline <= loop.now } ?? false
        guard channel.isActive == !expiredModel else { fatalError("the frame deadline disagrees with the model") }
        if expiredModel { return 0 }
        let expected = model.feed(chunk, now: loop.now)
        var buffer = channel.allocator.buffer(capacity: chunk.count)
        buffer.writeBytes(chunk)
        var error: FramingError?
        do { try channel.writeInbound(buffer) } catch let caught as FramingError { error = caught } catch { fatalError("unexpected error \(error)") }
        guard drain(channel) == expected.frames, error == expected.error else { fatalError("the frame decoder disagrees with the model") }
        if error != nil { return 0 }
    }
    // End of stream: bytes left inside a frame are a truncated frame.
    var error: FramingError?
    finished = true
    do { _ = try channel.finish() } catch let caught as FramingError { error = caught } catch { fatalError("unexpected error \(error)") }
    let expected = model.pending.isEmpty ? nil : FramingError(code: .truncatedFrame, length: model.pending.count)
    guard error == expected else { fatalError("the end of the stream disagrees with the model") }
    return 0
}
