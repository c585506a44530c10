/// Every wait in a test is bounded, and says what did not happen when it runs out.
public enum Deadline {
    public struct Missed: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    /// Polls `condition` every `interval` until it holds; throws ``Missed`` naming `what` if it
    /// still does not after `limit`.
    public static func poll(_ what: String, within limit: Duration, every interval: Duration = .milliseconds(5),
                            _ condition: () async throws -> Bool) async throws {
        let clock = ContinuousClock(), end = clock.now + limit
        while try await !condition() {
            guard clock.now < end else { throw Missed(description: "\(what) did not happen within \(limit)") }
            try await Task.sleep(for: interval)
        }
    }

    /// Runs `body`, and throws ``Missed`` naming `what` if it has not finished after `limit`
    /// (the body is cancelled then).
    public static func within<T: Sendable>(_ limit: Duration, _ what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else { throw Missed(description: "\(what) did not happen within \(limit)") }
            return value
        }
    }
}
