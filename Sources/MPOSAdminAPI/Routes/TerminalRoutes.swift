import Foundation
import Hummingbird
import MPOSHost

/// Terminals: add (with a one-time enrollment code), look up, block, sign off.
enum TerminalRoutes {
    struct NewTerminal: Decodable {
        let id: String?
        let label: String
    }

    static func register(on table: AdminRouteTable) {
        // Filters: state, label (contains, any case), seen_within (seconds).
        table.add(.get, "/api/v1/terminals", .permission(.readTerminals)) { call in
            var filter = TerminalFilter()
            if let state = try call.query("state") {
                guard let value = TerminalRecord.DisplayState(rawValue: state) else {
                    throw AdminProblem(.badRequest, code: "api.bad-request", "state is awaiting-enrollment, signed-out, signed-in or blocked")
                }
                filter.state = value
            }
            filter.labelContains = try call.query("label")
            if try call.query("seen_within") != nil {
                let seconds = try call.integerQuery("seen_within", default: 0, range: 1...31_536_000)
                filter.seenSince = Date().addingTimeInterval(-TimeInterval(seconds))
            }
            let (offset, limit) = try call.paging()
            return try json(try call.page(try await call.administration.terminalPage(filter, offset: offset, limit: limit), TerminalView.init))
        }
        table.add(.post, "/api/v1/terminals", .permission(.manageTerminals)) { call in
            let body = try await call.body(NewTerminal.self)
            guard AdminNames.isPrintable(body.label, limit: 64) else {
                throw AdminProblem(.unprocessableContent, code: "host.invalid", "a terminal's label is 1-64 printable characters")
            }
            let (record, code) = try await call.administration.addTerminal(id: body.id, label: body.label, codeLifetime: call.api.enrollmentCodeLifetime)
            return try json(NewTerminalView(terminal: TerminalView(record), enrollmentCode: code), status: .created)
        }
        table.add(.get, "/api/v1/terminals/{id}", .permission(.readTerminals)) { call in
            try json(TerminalView(try await call.administration.terminal(try call.parameter("id"))))
        }
        table.add(.post, "/api/v1/terminals/{id}/block", .permission(.blockTerminals)) { call in
            try await change(call) { try await $0.blockTerminal($1) }
        }
        table.add(.post, "/api/v1/terminals/{id}/unblock", .permission(.manageTerminals)) { call in
            try await change(call) { try await $0.unblockTerminal($1) }
        }
        table.add(.post, "/api/v1/terminals/{id}/sign-off", .permission(.manageTerminals)) { call in
            try await change(call) { try await $0.forceSignOff($1) }
        }
        table.add(.post, "/api/v1/terminals/{id}/request-sign-on", .permission(.manageTerminals)) { call in
            try await change(call) { try await $0.requestSignOn(terminal: $1) }
        }
        table.add(.post, "/api/v1/terminals/{id}/reissue-code", .permission(.manageTerminals)) { call in
            let id = try call.parameter("id")
            let code = try await call.administration.reissueEnrollmentCode(id, codeLifetime: call.api.enrollmentCodeLifetime)
            return try json(NewTerminalView(terminal: TerminalView(try await call.administration.terminal(id)), enrollmentCode: code))
        }
        table.add(.post, "/api/v1/terminals/{id}/reset", .permission(.manageTerminals)) { call in
            let id = try call.parameter("id")
            let code = try await call.administration.resetTerminal(id, codeLifetime: call.api.enrollmentCodeLifetime)
            return try json(NewTerminalView(terminal: TerminalView(try await call.administration.terminal(id)), enrollmentCode: code))
        }
    }

    private static func change(_ call: AdminCall, _ body: (HostAdministration, String) async throws -> Void) async throws -> Response {
        let id = try call.parameter("id")
        let administration = try call.administration
        try await body(administration, id)
        return try json(TerminalView(try await administration.terminal(id)))
    }
}
