import Hummingbird
import MPOSHost

/// The patent's operator table.
enum OperatorRoutes {
    struct NewOperator: Decodable {
        let number: String
        let name: String
        /// 4–16 printable characters; only its keyed verification value is kept.
        let key: String
    }

    struct NewKey: Decodable {
        let key: String
    }

    static func register(on table: AdminRouteTable) {
        table.add(.get, "/api/v1/operators", .permission(.readOperators)) { call in
            var operators = try await call.administration.operators().map(OperatorView.init)
            if let state = try call.query("state") { operators = operators.filter { $0.state == state } }
            return try json(try call.page(operators))
        }
        table.add(.post, "/api/v1/operators", .permission(.manageOperators)) { call in
            let body = try await call.body(NewOperator.self)
            guard AdminNames.isPrintable(body.name, limit: 64) else {
                throw AdminProblem(.unprocessableContent, code: "host.invalid", "an operator's name is 1-64 printable characters")
            }
            return try json(OperatorView(try await call.administration.addOperator(number: body.number, name: body.name, key: body.key)), status: .created)
        }
        table.add(.get, "/api/v1/operators/{number}", .permission(.readOperators)) { call in
            try json(try await view(try call.parameter("number"), call))
        }
        for (action, disabled) in [("disable", true), ("enable", false)] {
            table.add(.post, "/api/v1/operators/{number}/\(action)", .permission(.manageOperators)) { call in
                let number = try call.parameter("number")
                try await call.administration.setOperatorDisabled(number, disabled)
                return try json(try await view(number, call))
            }
        }
        table.add(.post, "/api/v1/operators/{number}/unlock", .permission(.manageOperators)) { call in
            let number = try call.parameter("number")
            try await call.administration.unlockOperator(number)
            return try json(try await view(number, call))
        }
        table.add(.put, "/api/v1/operators/{number}/key", .permission(.manageOperators)) { call in
            let number = try call.parameter("number")
            try await call.administration.setOperatorKey(number, key: try await call.body(NewKey.self).key)
            return try json(try await view(number, call))
        }
    }

    static func view(_ number: String, _ call: AdminCall) async throws -> OperatorView {
        guard let record = try await call.administration.operators().first(where: { $0.number == number }) else {
            throw HostError(.notFound, "no operator \(number)")
        }
        return OperatorView(record)
    }
}
