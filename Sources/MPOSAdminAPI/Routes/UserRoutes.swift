import Hummingbird
import MPOSHost

/// The people who administer the host.
enum UserRoutes {
    struct NewUser: Decodable {
        let name: String
        let role: AdminRole
        let password: String
    }

    struct Change: Decodable {
        let role: AdminRole?
        let disabled: Bool?
    }

    struct NewPassword: Decodable {
        let password: String
    }

    static func register(on table: AdminRouteTable) {
        table.add(.get, "/api/v1/users", .permission(.readUsers)) { call in
            var users = try await call.administration.adminUsers()
            if let role = try call.query("role") { users = users.filter { $0.role.rawValue == role } }
            return try json(try call.page(users.map(UserView.init)))
        }
        table.add(.post, "/api/v1/users", .permission(.manageUsers)) { call in
            let body = try await call.body(NewUser.self)
            let record = try await call.administration.addUser(name: body.name, role: body.role, password: body.password,
                                                               hasher: call.api.hasher, policy: call.api.policy)
            return try json(UserView(record), status: .created)
        }
        table.add(.get, "/api/v1/users/{name}", .permission(.readUsers)) { call in
            try json(UserView(try await call.administration.adminUser(try call.parameter("name"))))
        }
        table.add(.patch, "/api/v1/users/{name}", .permission(.manageUsers)) { call in
            let name = try call.parameter("name")
            let body = try await call.body(Change.self)
            let administration = try call.administration
            try refuseSelf(name, call)
            try await administration.updateUser(name, role: body.role, disabled: body.disabled)
            return try json(UserView(try await administration.adminUser(name)))
        }
        table.add(.post, "/api/v1/users/{name}/unlock", .permission(.manageUsers)) { call in
            let name = try call.parameter("name")
            try await call.administration.unlockUser(name)
            return try json(UserView(try await call.administration.adminUser(name)))
        }
        table.add(.put, "/api/v1/users/{name}/password", .permission(.manageUsers)) { call in
            let name = try call.parameter("name")
            let body = try await call.body(NewPassword.self)
            try await call.administration.setUserPassword(name, password: body.password, hasher: call.api.hasher, policy: call.api.policy)
            return noContent()
        }
        // A lost phone: the person signs in with their password alone until they begin anew.
        table.add(.delete, "/api/v1/users/{name}/second-factor", .permission(.manageUsers)) { call in
            let name = try call.parameter("name")
            try await call.administration.clearSecondFactor(name)
            return try json(UserView(try await call.administration.adminUser(name)))
        }
        table.add(.get, "/api/v1/users/{name}/credentials", .permission(.readUsers)) { call in
            let name = try call.parameter("name")
            _ = try await call.administration.adminUser(name)
            return try json(try call.page(try await call.administration.credentials(of: name).map(CredentialView.init)))
        }
        table.add(.delete, "/api/v1/users/{name}/credentials/{id}", .permission(.manageUsers)) { call in
            try await call.administration.revokeCredential(id: try call.parameter("id"), owner: try call.parameter("name"))
            return noContent()
        }
    }

    /// An administrator cannot demote or disable themselves (the last one would lock everyone out).
    static func refuseSelf(_ name: String, _ call: AdminCall) throws {
        guard name != call.identity?.name else {
            throw AdminProblem(.conflict, code: "host.state", "you cannot change your own role or disable yourself: ask another administrator")
        }
    }
}
