/// Who holds the server's connection slots, and who may have one: the admission rules, with no
/// sockets (the server applies what they decide).
///
/// Three limits, so that no one client can crowd out the fleet:
/// - **all connections** (`--max-connections`);
/// - **per peer address** (`--max-connections-per-address`): an IPv4 address, or an IPv6 /64
///   (one machine usually holds a whole /64);
/// - **unauthenticated connections** (`--max-unauthenticated-connections`): a connection counts
///   here until one of its requests proves a terminal's key (a verified signature, MAC or
///   enrollment code). An enrolled terminal's connection leaves this budget with its first
///   answer, so a flood of anonymous connections cannot take the slots terminals hold.
///
/// When the unauthenticated budget is full, a newcomer does not simply lose: the oldest idle
/// unauthenticated connection of the address holding the most of them is evicted for it, if
/// that address would still hold more than the newcomer's. One address flooding the budget
/// thus only ever displaces itself.
public struct ConnectionTable: Sendable {
    public struct Limits: Sendable, Equatable {
        public var connections: Int
        public var perAddress: Int
        public var unauthenticated: Int

        public init(connections: Int, perAddress: Int, unauthenticated: Int) {
            self.connections = connections; self.perAddress = perAddress; self.unauthenticated = unauthenticated
        }
    }

    /// Why a connection was refused (a label of `mpos_connections_refused_total`, and a log key).
    public enum Refusal: String, Sendable, CaseIterable {
        case connectionLimit = "connection_limit"
        case addressLimit = "address_limit"
        case unauthenticatedLimit = "unauthenticated_limit"
        case shuttingDown = "shutting_down"
    }

    public enum Admission: Sendable, Equatable {
        case admitted
        /// Admitted in place of `evicted`, which the server closes.
        case admittedEvicting(evicted: Int)
        case refused(Refusal)
    }

    struct Entry: Sendable {
        let address: String
        let sequence: Int
        var authenticated = false
        var busy = false
    }

    public let limits: Limits
    private(set) var entries: [Int: Entry] = [:]
    private var perAddress: [String: Int] = [:]
    private var unauthenticatedPerAddress: [String: Int] = [:]
    private(set) var unauthenticatedCount = 0
    private(set) var busyCount = 0
    private var sequence = 0
    public private(set) var shuttingDown = false

    public init(limits: Limits) {
        precondition(limits.connections > 0 && limits.perAddress > 0 && limits.unauthenticated > 0)
        self.limits = limits
    }

    public var count: Int { entries.count }
    public var busy: Int { busyCount }
    public var unauthenticated: Int { unauthenticatedCount }

    /// Decides on a new connection `id` from `address` (see ``ConnectionTable/addressKey(_:)``).
    public mutating func admit(_ id: Int, address: String) -> Admission {
        guard !shuttingDown else { return .refused(.shuttingDown) }
        guard perAddress[address, default: 0] < limits.perAddress else { return .refused(.addressLimit) }
        var evicted: Int?
        if unauthenticatedCount >= limits.unauthenticated {
            guard let victim = evictionCandidate(sparing: address) else { return .refused(.unauthenticatedLimit) }
            evicted = victim
            remove(victim)
        }
        guard entries.count < limits.connections else { return .refused(.connectionLimit) }
        sequence += 1
        entries[id] = Entry(address: address, sequence: sequence)
        perAddress[address, default: 0] += 1
        unauthenticatedPerAddress[address, default: 0] += 1
        unauthenticatedCount += 1
        return evicted.map { .admittedEvicting(evicted: $0) } ?? .admitted
    }

    /// The oldest idle unauthenticated connection of the address that holds the most, if it
    /// holds more than `address` would with the newcomer.
    private func evictionCandidate(sparing address: String) -> Int? {
        guard let (top, held) = unauthenticatedPerAddress.max(by: { $0.value < $1.value }), top != address,
              held > unauthenticatedPerAddress[address, default: 0] + 1
        else { return nil }
        return entries.filter { $0.value.address == top && !$0.value.authenticated && !$0.value.busy }
            .min(by: { $0.value.sequence < $1.value.sequence })?.key
    }

    /// One of the connection's requests proved a terminal's key.
    public mutating func authenticated(_ id: Int) {
        guard let entry = entries[id], !entry.authenticated else { return }
        entries[id]?.authenticated = true
        leaveUnauthenticated(entry.address)
    }

    private mutating func leaveUnauthenticated(_ address: String) {
        unauthenticatedCount -= 1
        unauthenticatedPerAddress[address, default: 1] -= 1
        if unauthenticatedPerAddress[address] == 0 { unauthenticatedPerAddress[address] = nil }
    }

    public func isAuthenticated(_ id: Int) -> Bool { entries[id]?.authenticated ?? false }
    public func contains(_ id: Int) -> Bool { entries[id] != nil }
    public func isBusy(_ id: Int) -> Bool { entries[id]?.busy ?? false }

    /// Marks a request in processing (or done); a no-op for a connection not in the table.
    public mutating func setBusy(_ id: Int, _ busy: Bool) {
        guard let was = entries[id]?.busy, was != busy else { return }
        entries[id]?.busy = busy
        busyCount += busy ? 1 : -1
    }

    public mutating func remove(_ id: Int) {
        guard let entry = entries.removeValue(forKey: id) else { return }
        if entry.busy { busyCount -= 1 }
        perAddress[entry.address, default: 1] -= 1
        if perAddress[entry.address] == 0 { perAddress[entry.address] = nil }
        if !entry.authenticated { leaveUnauthenticated(entry.address) }
    }

    /// From now on every admission is refused; returns the idle connections to close now.
    public mutating func beginShutdown() -> [Int] {
        shuttingDown = true
        return entries.filter { !$0.value.busy }.map(\.key)
    }

    /// The key a peer is limited by: the IPv4 address, the /64 of an IPv6 address (an IPv4
    /// address mapped into IPv6 counts as IPv4).
    public static func addressKey(ipv4 bytes: [UInt8]) -> String {
        bytes.map(String.init).joined(separator: ".")
    }

    public static func addressKey(ipv6 bytes: [UInt8]) -> String {
        guard bytes.count == 16 else { return "?" }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
            return addressKey(ipv4: Array(bytes[12..<16]))
        }
        let groups = stride(from: 0, to: 8, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
        return groups.joined(separator: ":") + "::/64"
    }
}
