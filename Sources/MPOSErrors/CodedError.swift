/// The shape of every mpos error: a stable ``code`` to switch on, to log and to map to a
/// protocol response, and a ``message`` for people that says what was wrong and what to do,
/// and never holds a key, a PIN, a PIN block or a full card number (so it may be shown and
/// logged as it is).
///
/// Errors are equal when their codes are (messages may be reworded), so a test or a caller
/// matches on the code: `#expect(throws: HostError(.notFound, ""))`.
public protocol CodedError: Error, Hashable, Sendable, CustomStringConvertible {
    associatedtype Code: ErrorCode
    var code: Code { get }
    var message: String { get }
}

extension CodedError {
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
    public var description: String { "\(code.rawValue): \(message)" }
}

/// A stable, machine-readable error code: a struct of static values (`Code.notFound`), so a
/// module can add codes without breaking its callers' `switch`es, which end in `default`.
public protocol ErrorCode: Hashable, Sendable, CustomStringConvertible {
    /// The stable text form, e.g. `host.not-found`: logged, printed as JSON, never reworded.
    var rawValue: String { get }
}

extension ErrorCode {
    public var description: String { rawValue }
}

/// The code type of one error type (`Domain`): each error declares
/// `public typealias Code = ErrorCodeOf<Self>` and its codes in an extension
/// (`public static var notFound: Self { Self("host.not-found") }`), so codes of one error type
/// cannot be mistaken for another's.
public struct ErrorCodeOf<Domain>: ErrorCode {
    public let rawValue: String

    /// For a code's declaration only; callers use the declared codes.
    public init(_ rawValue: String) { self.rawValue = rawValue }
}

/// The error of every mpos domain whose errors carry a code and a message and nothing else
/// (``HostError``, ``StoreError``, …): one struct, so no domain writes its equality, hashing,
/// description or initialiser again. `Domain` names whose codes it takes.
public struct MPOSError<Domain>: CodedError {
    public typealias Code = ErrorCodeOf<Domain>

    public let code: Code
    /// For people: what was wrong and what to do. Never a secret or a full card number.
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public init(code: Code, message: String) {
        self.init(code, message)
    }
}
