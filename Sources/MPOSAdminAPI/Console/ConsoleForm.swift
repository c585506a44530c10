import Foundation
import Hummingbird
import NIOCore

/// A submitted form whose CSRF token has been checked: a console handler that changes anything
/// receives one of these, and there is no way to make one but ``ConsoleForm/verified(_:)``.
struct ConsoleForm: Sendable {
    private let fields: [String: String]

    private init(fields: [String: String]) { self.fields = fields }

    /// The largest form body read (the console's forms are a few short fields).
    static let maximumBodySize = 16 * 1024
    static let csrfField = "csrf"

    /// Reads an `application/x-www-form-urlencoded` body and checks its `csrf` field against
    /// `expected` (constant time) before anything else is looked at.
    static func verified(_ call: AdminCall, expected: String?) async throws -> ConsoleForm {
        guard let contentType = call.request.headers[.contentType], contentType.lowercased().hasPrefix("application/x-www-form-urlencoded") else {
            throw AdminProblem(.unsupportedMediaType, code: "api.media-type", "send the form as the page does (application/x-www-form-urlencoded)")
        }
        let body = try await call.request.body.collect(upTo: maximumBodySize)
        let fields = try parse(String(buffer: body))
        guard let expected, let sent = fields[csrfField], AdminAuthentication.constantTimeEqual(sent, expected) else {
            throw AdminProblem(.forbidden, code: "api.csrf", "this form is out of date or did not come from this console: reload the page and try again")
        }
        return ConsoleForm(fields: fields)
    }

    /// `a=1&b=x+y` → fields; a name given twice, bad percent-encoding or a control character is refused.
    static func parse(_ body: String) throws -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decode(parts[0]), let value = decode(parts.count > 1 ? parts[1] : ""), fields[name] == nil,
                  !value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
                throw AdminProblem(.badRequest, code: "api.bad-request", "the form is malformed: reload the page and try again")
            }
            fields[name] = value
        }
        return fields
    }

    private static func decode(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    /// A field's value, at most `limit` bytes; nil if absent or empty.
    func optional(_ name: String, limit: Int = 256) throws -> String? {
        guard let value = fields[name], !value.isEmpty else { return nil }
        guard value.utf8.count <= limit else {
            throw AdminProblem(.unprocessableContent, code: "host.invalid", "\(name) is at most \(limit) characters")
        }
        return value
    }

    /// A field's value, which must be there.
    func required(_ name: String, limit: Int = 256) throws -> String {
        guard let value = try optional(name, limit: limit) else {
            throw AdminProblem(.unprocessableContent, code: "host.invalid", "fill in \(name)")
        }
        return value
    }

    /// A checkbox: present and `on` (or `true`).
    func flag(_ name: String) -> Bool { ["on", "true", "1"].contains(fields[name] ?? "") }
}
