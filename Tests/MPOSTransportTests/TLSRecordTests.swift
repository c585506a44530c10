import MPOSTransport
import Testing

@Suite("TLS records recognised at a connection's start")
struct TLSRecordTests {
    @Test("ClientHello and alert records are TLS; an mpos frame never is, whatever its length")
    func recognition() {
        #expect(TLSRecord.recognise([22, 3, 1]) == .tls)
        #expect(TLSRecord.recognise([21, 3, 3, 0, 2]) == .tls)
        #expect(TLSRecord.recognise([22]) == .undecided)
        #expect(TLSRecord.recognise([22, 3]) == .undecided)
        #expect(TLSRecord.recognise([]) == .undecided)
        // A frame of 0x1603 bytes begins with 22, 3 — then an MTI digit, '0' (48).
        #expect(TLSRecord.recognise([22, 3, 48]) == .notTLS)
        #expect(TLSRecord.recognise([0, 120, 48]) == .notTLS)
        #expect(TLSRecord.recognise([22, 2, 1]) == .notTLS)
        #expect(TLSRecord.recognise([22, 3, 5]) == .notTLS)
    }
}
