import MPOSServer
import MPOSTestSupport
import MPOSTransport
import NIOCore
import Testing

/// What one hostile client can no longer do to the server (issue 17's attack run).
@Suite("Hostile clients")
struct HostileClientTests {
    @Test("a connection that only sends anonymous frames is closed at its deadline, answered meanwhile; an authenticated one stays")
    func unauthenticatedDeadline() async throws {
        // Long enough that the terminal's first frame is surely answered in time on a busy machine.
        try await withServer({ $0.unauthenticatedTimeout = .seconds(8); $0.idleTimeout = .seconds(60) }) { _, address, _ in
            let terminal = try await RawClient.connect(address)
            try await terminal.send(RawClient.frame([1, 2]))
            #expect(try await terminal.receive(4) == RawClient.frame([2, 1]))
            let stranger = try await RawClient.connect(address)
            try await stranger.send(RawClient.frame([anonymous, 1]))
            #expect(try await stranger.receive(4, timeout: .seconds(7)) == RawClient.frame([1, anonymous]), "a well-formed frame is answered")
            #expect(await stranger.isClosed(within: .seconds(20)), "still unauthenticated at the deadline")
            try await terminal.send(RawClient.frame([3, 4]))
            #expect(try await terminal.receive(4) == RawClient.frame([4, 3]), "the authenticated connection outlives the deadline")
            terminal.close()
        }
    }

    @Test("one address cannot hold the unauthenticated budget: a terminal from another address takes its oldest connection's place")
    func budgetIsFair() async throws {
        try await withServer({ $0.maximumUnauthenticatedConnections = 3; $0.unauthenticatedTimeout = .seconds(60) }) { _, address, _ in
            var flood: [RawClient] = []
            for index in 0..<3 {
                let client = try await RawClient.connect(address, from: "127.0.0.1")
                try await client.send(RawClient.frame([anonymous, UInt8(index)]))
                #expect(try await client.receive(4) != nil)
                flood.append(client)
            }
            let more = try await RawClient.connect(address, from: "127.0.0.1")
            #expect(await more.isClosed(within: .seconds(5)), "the flooding address gets no fourth")
            let terminal = try await RawClient.connect(address, from: "127.0.0.2")
            try await terminal.send(RawClient.frame([7]))
            #expect(try await terminal.receive(3) == RawClient.frame([7]))
            #expect(await flood[0].isClosed(within: .seconds(5)), "the flood's oldest made room")
            try await flood[2].send(RawClient.frame([anonymous, 9]))
            #expect(try await flood[2].receive(4) != nil, "the others stay")
        }
    }

    @Test("authenticated connections leave the unauthenticated budget; one address is held to its own cap")
    func perAddressCap() async throws {
        try await withServer({ $0.maximumUnauthenticatedConnections = 1; $0.maximumConnectionsPerAddress = 2 }) { _, address, _ in
            let first = try await RawClient.connect(address)
            try await first.send(RawClient.frame([1]))
            #expect(try await first.receive(3) == RawClient.frame([1]))
            let second = try await RawClient.connect(address)
            try await second.send(RawClient.frame([2]))
            #expect(try await second.receive(3) == RawClient.frame([2]), "admitted: the first no longer counts as unauthenticated")
            let third = try await RawClient.connect(address)
            #expect(await third.isClosed(within: .seconds(5)), "a third from one address")
            let elsewhere = try await RawClient.connect(address, from: "127.0.0.3")
            try await elsewhere.send(RawClient.frame([3]))
            #expect(try await elsewhere.receive(3) == RawClient.frame([3]))
        }
    }

    @Test("a TLS client on the plain port gets a TLS handshake_failure alert, not silence")
    func tlsClientOnPlainPort() async throws {
        try await withServer { _, address, _ in
            let client = try await RawClient.connect(address)
            // The start of a ClientHello record: handshake (22), TLS 1.0 record version, length.
            try await client.send([22, 3, 1, 0, 200, 1, 0, 0, 196, 3, 3])
            #expect(try await client.receive(7) == TLSRecord.handshakeFailureAlert)
            #expect(await client.isClosed(within: .seconds(5)))
        }
    }
}
