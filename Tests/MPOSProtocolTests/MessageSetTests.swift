import ISO8583
import Testing
@testable import MPOSProtocol

@Suite("The mpos message set")
struct MessageSetTests {
    @Test("every request is recognised from its MTI and code, and nothing else is")
    func recognition() throws {
        for kind in MessageKind.allCases {
            var message = ISO8583Message(mti: kind.requestMTI)
            if let code = kind.networkManagementCode { message.setText(MPOSField.networkManagementCode, code.rawValue) }
            if let code = kind.processingCode { message.setText(MPOSField.processingCode, code.rawValue) }
            #expect(MessageKind(request: message) == kind)
            // Its response MTI is never taken for a request.
            message.mti = kind.responseMTI
            #expect(MessageKind(request: message) == nil)
        }
        var unknown = ISO8583Message(mti: MessageTypeIndicator("0200")!)
        unknown.setText(MPOSField.processingCode, "000000")
        #expect(MessageKind(request: unknown) == nil)
    }

    @Test("response codes are unique two-character codes")
    func responseCodes() {
        let codes = ResponseCode.allCases.map(\.rawValue)
        #expect(Set(codes).count == codes.count)
        #expect(codes.allSatisfy { $0.utf8.count == 2 })
    }

    @Test("the field table: the signature (127) then the enrollment MAC (128) come last; MAC at 64 in business messages")
    func table() {
        let fields = MessageSpecification.mpos.definedFields.map(\.number)
        #expect(fields.suffix(2) == [MPOSField.signature, MPOSField.secondaryMAC])
        #expect(MessageSpecification.mpos[MPOSField.pinBlock]?.length == .fixed(16))
        #expect(MessageSpecification.mpos[MPOSField.messageAuthenticationCode]?.length == .fixed(16))
        #expect(MessageSpecification.mpos[2] == nil, "the card number never travels in a clear field")
    }
}
