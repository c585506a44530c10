import Hummingbird
import MPOSHost
import NIOCore

/// For load balancers and Prometheus: no sign-in, nothing personal, nothing secret.
enum ServiceRoutes {
    static func register(on table: AdminRouteTable) {
        // Alive: the process answers.
        table.add(.get, "/health", .anyone) { _ in try json(["status": "ok"]) }
        // Ready: loaded, the store answers, not shutting down.
        table.add(.get, "/ready", .anyone) { call in
            guard call.api.readiness.isReady else { return try json(["status": "not ready", "reason": "starting or shutting down"], status: .serviceUnavailable) }
            do {
                _ = try await call.api.administration.auditHead()
            } catch {
                return try json(["status": "not ready", "reason": "the store does not answer"], status: .serviceUnavailable)
            }
            return try json(["status": "ready"])
        }
        table.add(.get, "/metrics", .anyone) { call in
            var buffer: [UInt8] = []
            call.api.metrics?.emit(into: &buffer)
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: buffer)))
        }
    }
}
