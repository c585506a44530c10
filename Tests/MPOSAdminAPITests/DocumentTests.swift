import Foundation
@testable import MPOSAdminAPI
import MPOSHost
import MPOSTestSupport
import Testing

/// docs/admin-api.yaml against the router: the same operations, the same access on each, the
/// same role table. (schemathesis checks the answers against the document end to end:
/// EndToEndTests/AdminAPISchemathesisTests.)
@Suite("Admin API: the OpenAPI document", .timeLimit(.minutes(2)))
struct DocumentTests {
    @Test("every route the host serves is in docs/admin-api.yaml with the same access, and nothing else is; the role table agrees")
    func routesMatchTheDocument() async throws {
        let harness = try await AdminHarness.make()
        defer { Task { try? await harness.close() } }
        struct Declared: Encodable {
            struct Route: Encodable { let method: String; let path: String; let access: String }
            let routes: [Route]
            let roles: [String: [String]]
        }
        let routes = harness.routes.map { route in
            let access = switch route.access {
            case .anyone: "anyone"
            case .signedIn: "signed-in"
            case .permission(let permission): permission.rawValue
            }
            return Declared.Route(method: route.method.rawValue, path: route.path, access: access)
        }
        let roles = Dictionary(uniqueKeysWithValues: AdminRole.allCases.map { ($0.rawValue, $0.permissions.map(\.rawValue)) })
        let input = try JSONEncoder().encode(Declared(routes: routes, roles: roles))
        let document = PythonScript.repositoryRoot.appendingPathComponent("docs/admin-api.yaml").path
        _ = try await PythonScript.run("admin_api_routes.py", [document], input: input, timeLimit: .seconds(60))
        #expect(routes.count >= 50)
    }
}
