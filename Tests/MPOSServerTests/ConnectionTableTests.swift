import MPOSServer
import Testing

@Suite("Who may hold a connection (ConnectionTable)")
struct ConnectionTableTests {
    static let limits = ConnectionTable.Limits(connections: 6, perAddress: 4, unauthenticated: 3)

    @Test("all connections, per address, unauthenticated: each limit refuses with its reason")
    func limits() {
        var table = ConnectionTable(limits: Self.limits)
        #expect(table.admit(1, address: "a") == .admitted)
        #expect(table.admit(2, address: "b") == .admitted)
        #expect(table.admit(3, address: "c") == .admitted)
        // The budget is full, and no address holds more than a newcomer's would: refused.
        #expect(table.admit(4, address: "d") == .refused(.unauthenticatedLimit))
        table.authenticated(1)
        table.authenticated(2)
        table.authenticated(3)
        #expect(table.unauthenticated == 0)
        #expect(table.admit(4, address: "a") == .admitted)
        table.authenticated(4)
        #expect(table.admit(5, address: "a") == .admitted)
        table.authenticated(5)
        #expect(table.admit(6, address: "a") == .admitted)
        #expect(table.admit(7, address: "a") == .refused(.addressLimit), "a holds 4")
        #expect(table.admit(8, address: "f") == .refused(.connectionLimit), "six in all")
        table.remove(6)
        #expect(table.admit(8, address: "f") == .admitted)
        #expect(table.count == 6)
    }

    @Test("one address flooding the unauthenticated budget is displaced by another address, oldest idle first, never busy")
    func eviction() {
        var table = ConnectionTable(limits: Self.limits)
        #expect(table.admit(1, address: "flood") == .admitted)
        #expect(table.admit(2, address: "flood") == .admitted)
        #expect(table.admit(3, address: "flood") == .admitted)
        table.setBusy(1, true)
        // The flooder cannot make room for itself…
        table.remove(3)
        #expect(table.admit(3, address: "flood") == .admitted)
        #expect(table.admit(4, address: "flood") == .refused(.unauthenticatedLimit))
        // …but a terminal from elsewhere takes the oldest idle one (2: 1 is busy).
        #expect(table.admit(10, address: "terminal") == .admittedEvicting(evicted: 2))
        #expect(!table.contains(2))
        #expect(table.admit(11, address: "terminal2") == .admittedEvicting(evicted: 3))
        // Now no address holds more than a newcomer's would with it: refused.
        #expect(table.admit(12, address: "terminal3") == .refused(.unauthenticatedLimit))
        #expect(table.unauthenticated == 3)
    }

    @Test("shutting down refuses everyone and lists the idle connections to close")
    func shutdown() {
        var table = ConnectionTable(limits: Self.limits)
        _ = table.admit(1, address: "a")
        _ = table.admit(2, address: "b")
        table.setBusy(2, true)
        #expect(table.beginShutdown() == [1])
        #expect(table.admit(3, address: "c") == .refused(.shuttingDown))
    }

    @Test("peers are limited by IPv4 address, IPv6 /64, IPv4-mapped IPv6 as IPv4")
    func addressKeys() {
        #expect(ConnectionTable.addressKey(ipv4: [10, 0, 0, 7]) == "10.0.0.7")
        let v6a: [UInt8] = [0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2] + [0, 0, 0, 0, 0, 0, 0, 1]
        let v6b: [UInt8] = [0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2] + [0xff, 1, 2, 3, 4, 5, 6, 7]
        #expect(ConnectionTable.addressKey(ipv6: v6a) == ConnectionTable.addressKey(ipv6: v6b))
        #expect(ConnectionTable.addressKey(ipv6: v6a) == "2001:db8:1:2::/64")
        let mapped: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 168, 1, 9]
        #expect(ConnectionTable.addressKey(ipv6: mapped) == "192.168.1.9")
    }
}
