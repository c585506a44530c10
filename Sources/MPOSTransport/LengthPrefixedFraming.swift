public import MPOSErrors
public import NIOCore

/// mpos frames: a 2-byte big-endian length, then that many bytes of ISO 8583 message.
///
/// The length is checked against ``maximumFrameLength`` as soon as its two bytes arrive, before
/// anything of the body is buffered: a hostile peer announcing 65,535 bytes gets an error (and,
/// in the server, a closed connection), not a buffer. An empty frame is an error too.
public enum LengthPrefixedFraming {
    /// A few KiB: every mpos message fits, nothing else does.
    public static let defaultMaximumFrameLength = 4096
    /// The prefix is 16 bits: no frame can be longer.
    public static let absoluteMaximumFrameLength = Int(UInt16.max)
}

/// A frame that breaks the framing rules; the connection cannot continue after it.
public struct FramingError: CodedError {
    public typealias Code = ErrorCodeOf<FramingError>

    public let code: Code
    /// The length the frame announced, or the bytes left over when the connection closed.
    public let length: Int

    public init(code: Code, length: Int) {
        self.code = code
        self.length = length
    }

    public var message: String {
        switch code {
        case .frameTooLarge: "a frame of \(length) bytes exceeds the limit"
        case .emptyFrame: "a frame of 0 bytes"
        default: "the connection closed inside a frame (\(length) bytes left over)"
        }
    }

    /// Equal when code and length are.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code && lhs.length == rhs.length }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(length)
    }
}

/// What the frame decoder tells the handlers after it, besides the frames: a frame has begun
/// (some of its bytes have arrived, not all). The server's frame deadline runs from it.
public enum FramingEvent: Sendable {
    case frameBegun
}

/// Splits the inbound byte stream into frames (`ByteBuffer`s without their prefix), and says
/// when one has begun but is not complete yet (``FramingEvent/frameBegun``): the one place
/// the length prefix is read.
public struct LengthPrefixedFrameDecoder: ByteToMessageDecoder, Sendable {
    public typealias InboundOut = ByteBuffer

    public let maximumFrameLength: Int

    public init(maximumFrameLength: Int = LengthPrefixedFraming.defaultMaximumFrameLength) {
        precondition((1...LengthPrefixedFraming.absoluteMaximumFrameLength).contains(maximumFrameLength))
        self.maximumFrameLength = maximumFrameLength
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self).map(Int.init) else {
            if buffer.readableBytes > 0 { context.fireUserInboundEventTriggered(FramingEvent.frameBegun) }
            return .needMoreData
        }
        guard length > 0 else { throw FramingError(code: .emptyFrame, length: 0) }
        guard length <= maximumFrameLength else { throw FramingError(code: .frameTooLarge, length: length) }
        guard buffer.readableBytes >= 2 + length else {
            context.fireUserInboundEventTriggered(FramingEvent.frameBegun)
            return .needMoreData
        }
        buffer.moveReaderIndex(forwardBy: 2)
        context.fireChannelRead(wrapInboundOut(buffer.readSlice(length: length)!))
        return .continue
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        if buffer.readableBytes > 0 {
            let leftover = buffer.readableBytes
            buffer.moveReaderIndex(forwardBy: leftover)
            throw FramingError(code: .truncatedFrame, length: leftover)
        }
        return .needMoreData
    }
}

/// Prefixes each outbound frame with its 2-byte length; refuses one over the limit.
public struct LengthPrefixedFrameEncoder: MessageToByteEncoder, Sendable {
    public typealias OutboundIn = ByteBuffer

    public let maximumFrameLength: Int

    public init(maximumFrameLength: Int = LengthPrefixedFraming.defaultMaximumFrameLength) {
        precondition((1...LengthPrefixedFraming.absoluteMaximumFrameLength).contains(maximumFrameLength))
        self.maximumFrameLength = maximumFrameLength
    }

    public func encode(data: ByteBuffer, out: inout ByteBuffer) throws {
        let length = data.readableBytes
        guard length > 0 else { throw FramingError(code: .emptyFrame, length: 0) }
        guard length <= maximumFrameLength else { throw FramingError(code: .frameTooLarge, length: length) }
        out.writeInteger(UInt16(length))
        out.writeImmutableBuffer(data)
    }
}

extension ErrorCodeOf where Domain == FramingError {
    public static var frameTooLarge: Self { Self("transport.frame.large") }
    public static var emptyFrame: Self { Self("transport.frame.empty") }
    public static var truncatedFrame: Self { Self("transport.frame.truncated") }
}
