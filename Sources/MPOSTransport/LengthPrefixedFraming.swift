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
        case .tlsMismatch: "the peer speaks TLS and this side does not (a TLS/plain mismatch): both sides must use TLS, or neither"
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
///
/// A connection whose first bytes are a TLS record (a ClientHello reaching a plain server, a
/// TLS server's alert reaching a plain client) is a TLS/plain mismatch, reported as such
/// (``FramingError/Code/tlsMismatch``) rather than as a frame too large: no mpos frame can begin
/// that way, as its third byte is the first digit of an MTI.
public struct LengthPrefixedFrameDecoder: ByteToMessageDecoder, Sendable {
    public typealias InboundOut = ByteBuffer

    public let maximumFrameLength: Int
    private var atFirstBytes = true

    public init(maximumFrameLength: Int = LengthPrefixedFraming.defaultMaximumFrameLength) {
        precondition((1...LengthPrefixedFraming.absoluteMaximumFrameLength).contains(maximumFrameLength))
        self.maximumFrameLength = maximumFrameLength
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if atFirstBytes {
            switch TLSRecord.recognise(buffer.readableBytesView.prefix(3)) {
            case .tls: throw FramingError(code: .tlsMismatch, length: buffer.readableBytes)
            case .undecided:
                if buffer.readableBytes > 0 { context.fireUserInboundEventTriggered(FramingEvent.frameBegun) }
                return .needMoreData
            case .notTLS: atFirstBytes = false
            }
        }
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
    public static var tlsMismatch: Self { Self("transport.tls.mismatch") }
}

/// The first bytes of a TLS record: content type handshake (22) or alert (21), then major
/// version 3 and a minor version 0 to 4 (SSL 3.0 to TLS 1.3's record layer).
public enum TLSRecord {
    public enum Recognition: Equatable, Sendable {
        case tls, notTLS
        /// Fewer than three bytes, all consistent with a TLS record so far.
        case undecided
    }

    public static func recognise<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Recognition {
        let first = Array(bytes.prefix(3))
        guard let type = first.first else { return .undecided }
        guard type == 21 || type == 22 else { return .notTLS }
        guard first.count > 1 else { return .undecided }
        guard first[1] == 3 else { return .notTLS }
        guard first.count > 2 else { return .undecided }
        return first[2] <= 4 ? .tls : .notTLS
    }

    /// A fatal `handshake_failure` alert, as a TLS 1.0 record: what a plain server sends a
    /// TLS client, so that its TLS library reports a handshake refused rather than a dropped
    /// connection.
    public static let handshakeFailureAlert: [UInt8] = [21, 3, 1, 0, 2, 2, 40]
}
