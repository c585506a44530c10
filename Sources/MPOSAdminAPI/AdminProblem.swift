import Foundation
public import Hummingbird
import MPOSErrors
import MPOSHost
import Logging

/// An error as the API answers it: `application/problem+json` (RFC 9457) with the same stable
/// code the CLI prints, and a message that says what to do and holds no secret.
public struct AdminProblem: HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let code: String
    public let detail: String

    public init(_ status: HTTPResponse.Status, code: String, _ detail: String) {
        self.status = status; self.code = code; self.detail = detail
    }

    /// A project error, mapped by its code.
    init(_ error: any CodedError) {
        func codeText(_ error: some CodedError) -> String { error.code.rawValue }
        let code = codeText(error)
        let status: HTTPResponse.Status = switch code {
        case "host.not-found": .notFound
        case "host.exists": .conflict
        case "host.invalid": .unprocessableContent
        case "host.state", "host.dual-control.same-person": .conflict
        case "host.auth.unauthenticated", "host.auth.second-factor": .unauthorized
        case "host.auth.forbidden": .forbidden
        case "host.audit.broken": .conflict
        // Transient: another transaction held the rows, or the database was busy; try again.
        case "store.conflict", "store.busy": .serviceUnavailable
        default: .internalServerError
        }
        // A store or host failure is told by its code only: its message may name internals.
        let detail = status == .serviceUnavailable ? "the host is busy: try again in a moment" : status == .internalServerError ? "the host could not do this now (\(code)): try again; if it persists, see the host's log" : error.message
        self.init(status, code: code, detail)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = ProblemBody(type: "https://mpos.invalid/problems/\(code)", title: status.reasonPhrase, status: status.code, code: code, detail: detail)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(body)
        var headers = HTTPFields()
        headers[.contentType] = "application/problem+json"
        headers[.cacheControl] = "no-store"
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer realm=\"mpos\"" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Turns every error a route throws into a problem response: the project's by their code,
/// Hummingbird's own (bad JSON, too large) by their status, anything else as a 500 that says
/// nothing of its cause.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return try AdminProblem.from(error, logger: context.logger).response(from: request, context: context)
        }
    }
}

extension AdminProblem {
    /// Any error as the problem the API (or the console) shows for it.
    static func from(_ error: any Error, logger: Logger) -> AdminProblem {
        switch error {
        case let problem as AdminProblem:
            return problem
        case let error as any CodedError:
            return AdminProblem(error)
        case let error as any HTTPResponseError:
            return switch error.status {
            case .notFound: AdminProblem(.notFound, code: "api.not-found", "no such resource: see docs/admin-api.yaml")
            case .methodNotAllowed: AdminProblem(.methodNotAllowed, code: "api.method", "this resource does not take that method")
            case .contentTooLarge: AdminProblem(.contentTooLarge, code: "api.too-large", "the request body is larger than 64 KiB")
            case .unsupportedMediaType: AdminProblem(.unsupportedMediaType, code: "api.media-type", "send the body as application/json")
            default: error.status.code < 500
                ? AdminProblem(.badRequest, code: "api.bad-request", "the request is malformed: send the JSON body docs/admin-api.yaml describes")
                : AdminProblem(.internalServerError, code: "api.internal", "the host could not do this now: try again; if it persists, see the host's log")
            }
        case is DecodingError:
            return AdminProblem(.badRequest, code: "api.bad-request", "the request body is not the JSON this operation takes: see docs/admin-api.yaml")
        default:
            logger.error("admin API request failed", metadata: ["error_type": "\(type(of: error))"])
            return AdminProblem(.internalServerError, code: "api.internal", "the host could not do this now: try again; if it persists, see the host's log")
        }
    }
}

/// RFC 9457's members, and the stable code.
struct ProblemBody: Encodable {
    let type: String, title: String, status: Int, code: String, detail: String
}
