import Hummingbird
import MPOSHost
import NIOCore

/// Cards and contracts (masked), the outbox, references, the ledger's files. Reading personal
/// data is itself audited.
enum RecordRoutes {
    static func register(on table: AdminRouteTable) {
        table.add(.get, "/api/v1/cards", .permission(.readCards)) { call in
            let administration = try call.administration
            let (offset, limit) = try call.paging()
            let page = try call.page(try await administration.cardPage(openingReference: try call.query("reference"), offset: offset, limit: limit),
                                     CardView.init)
            try await administration.recordRead("cards", details: "\(page.items.count) cards listed")
            return try json(page)
        }
        table.add(.post, "/api/v1/cards/{id}/unlock", .permission(.manageCards)) { call in
            let id = try call.integerParameter("id")
            try await call.administration.unlockCard(id: id)
            return noContent()
        }
        table.add(.get, "/api/v1/contracts", .permission(.readCards)) { call in
            let administration = try call.administration
            let (offset, limit) = try call.paging()
            let page = try call.page(try await administration.contractPage(reference: try call.query("reference"), terminalID: try call.query("terminal"),
                                                                           offset: offset, limit: limit), ContractView.init)
            try await administration.recordRead("contracts", details: "\(page.items.count) contracts listed")
            return try json(page)
        }
        table.add(.get, "/api/v1/outbox", .permission(.readOutbox)) { call in
            let states: Set<OutboxEntry.State> = switch try call.query("state") {
            case nil: [.pending, .deadLettered]
            case "pending": [.pending]
            case "dead-lettered": [.deadLettered]
            case "delivered": [.delivered]
            default: throw AdminProblem(.badRequest, code: "api.bad-request", "state is pending, dead-lettered or delivered")
            }
            return try json(try call.page(try await call.administration.outbox(states: states, limit: 100_000).map(OutboxView.init)))
        }
        table.add(.post, "/api/v1/outbox/{id}/retry", .permission(.manageOutbox)) { call in
            try await call.administration.retryOutboxEntry(id: try call.integerParameter("id"))
            return noContent()
        }
        table.add(.get, "/api/v1/references", .permission(.readReferences)) { call in
            let references = try await call.administration.references()
            return try json(ReferencesView(contracts: references.contracts, cardOpenings: references.cardOpenings))
        }
        // A carrier's day as the ledger module's CSV file.
        table.add(.get, "/api/v1/ledger/{carrier}/{day}", .permission(.exportLedger)) { call in
            let administration = try call.administration
            let carrier = try call.parameter("carrier"), day = try call.parameter("day")
            let digits = { (text: Substring) in text.utf8.allSatisfy { (0x30...0x39).contains($0) } }
            let parts = day.split(separator: "-", omittingEmptySubsequences: false)
            guard (1...2).contains(carrier.utf8.count), digits(carrier[...]),
                  parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2, parts.allSatisfy(digits) else {
                throw AdminProblem(.badRequest, code: "api.bad-request", "the path is /api/v1/ledger/CARRIER/YYYY-MM-DD (a carrier code of 1-2 digits)")
            }
            let csv = try await administration.ledgerCSV(carrierCode: carrier, day: day)
            try await administration.recordRead("ledger", details: "carrier \(carrier), day \(day)")
            var headers = HTTPFields()
            headers[.contentType] = "text/csv; charset=utf-8"
            headers[.cacheControl] = "no-store"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: csv)))
        }
    }
}
