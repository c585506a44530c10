public import ISO8583

/// Field 70 of 0800/0820 network management messages.
public enum NetworkManagementCode: String, Sendable, CaseIterable {
    case signOn = "001"
    case signOff = "002"
    case echoTest = "301"
    /// Private use: a new terminal proves its enrollment code and registers its public keys.
    case enrollment = "810"
}

/// Field 3 of 0200 business messages. Transaction types 91 and 92 are in ISO 8583's range for
/// private use: neither operation moves money.
public enum ProcessingCode: String, Sendable, CaseIterable {
    case cardOpening = "910000"
    case contractSigning = "920000"
}

/// The operations of the patent's flow, each a request/response pair.
public enum MessageKind: Sendable, CaseIterable, CustomStringConvertible {
    case enrollment, signOn, echoTest, signOff, cardOpening, contractSigning

    public var requestMTI: MessageTypeIndicator {
        switch self {
        case .enrollment, .signOn, .echoTest: MessageTypeIndicator("0800")!
        case .signOff: MessageTypeIndicator("0820")!
        case .cardOpening, .contractSigning: MessageTypeIndicator("0200")!
        }
    }

    public var responseMTI: MessageTypeIndicator {
        switch self {
        case .enrollment, .signOn, .echoTest: MessageTypeIndicator("0810")!
        case .signOff: MessageTypeIndicator("0830")!
        case .cardOpening, .contractSigning: MessageTypeIndicator("0210")!
        }
    }

    public var networkManagementCode: NetworkManagementCode? {
        switch self {
        case .enrollment: .enrollment
        case .signOn: .signOn
        case .echoTest: .echoTest
        case .signOff: .signOff
        case .cardOpening, .contractSigning: nil
        }
    }

    public var processingCode: ProcessingCode? {
        switch self {
        case .cardOpening: .cardOpening
        case .contractSigning: .contractSigning
        default: nil
        }
    }

    /// Which request a message is, from its MTI and field 70 or field 3; nil for anything else.
    public init?(request message: ISO8583Message) {
        let kind = Self.allCases.first { kind in
            guard kind.requestMTI == message.mti else { return false }
            if let code = kind.networkManagementCode { return message.text(MPOSField.networkManagementCode) == code.rawValue }
            if let code = kind.processingCode { return message.text(MPOSField.processingCode) == code.rawValue }
            return false
        }
        guard let kind else { return nil }
        self = kind
    }

    /// The fields a request of this kind carries — exactly these (docs/protocol.md §4.2): the
    /// host answers a request with any other set `30`, before it reads anything else.
    public var requestFields: [Int] {
        switch self {
        case .enrollment:
            [MPOSField.transmissionDateTime, MPOSField.systemTraceAuditNumber, MPOSField.terminalID, MPOSField.networkManagementCode,
             MPOSField.publicKeys, MPOSField.signature, MPOSField.secondaryMAC]
        case .signOn, .signOff:
            [MPOSField.transmissionDateTime, MPOSField.systemTraceAuditNumber, MPOSField.terminalID, MPOSField.sealedEnvelope,
             MPOSField.networkManagementCode, MPOSField.signature]
        case .echoTest:
            [MPOSField.transmissionDateTime, MPOSField.systemTraceAuditNumber, MPOSField.terminalID, MPOSField.networkManagementCode, MPOSField.signature]
        case .cardOpening, .contractSigning:
            [MPOSField.processingCode, MPOSField.transmissionDateTime, MPOSField.systemTraceAuditNumber, MPOSField.terminalID, MPOSField.pinBlock,
             MPOSField.keySetIdentifier, MPOSField.confidentialData, MPOSField.messageAuthenticationCode]
        }
    }

    /// The items field 61 of a business request carries — all of them, and no other
    /// (docs/protocol.md §5): the host answers `30` otherwise. Empty for network messages.
    public var confidentialDataTags: Set<ConfidentialData.Tag> {
        switch self {
        case .cardOpening: [.cardNumber, .identityDocumentType, .identityDocumentNumber]
        case .contractSigning: [.cardNumber, .carrierCode, .phoneNumber, .tariff]
        case .enrollment, .signOn, .signOff, .echoTest: []
        }
    }

    /// A request of this kind with its header: MTI, field 3 or 70, and fields 7, 11, 41.
    /// - Parameters: `transmissionTime` is field 7 (`MMDDhhmmss`), `stan` field 11 (6 digits).
    public func request(transmissionTime: String, stan: String, terminalID: String) -> ISO8583Message {
        var message = ISO8583Message(mti: requestMTI)
        if let code = processingCode { message.setText(MPOSField.processingCode, code.rawValue) }
        message.setText(MPOSField.transmissionDateTime, transmissionTime)
        message.setText(MPOSField.systemTraceAuditNumber, stan)
        message.setText(MPOSField.terminalID, terminalID)
        if let code = networkManagementCode { message.setText(MPOSField.networkManagementCode, code.rawValue) }
        return message
    }

    /// The response to `request` (of this kind): its MTI, the request's fields 3, 7, 11, 41 and
    /// 70 echoed — which is how the terminal matches it — and field 39.
    public func response(to request: ISO8583Message, code: ResponseCode) -> ISO8583Message {
        var response = ISO8583Message(mti: responseMTI)
        for field in [MPOSField.processingCode, MPOSField.transmissionDateTime, MPOSField.systemTraceAuditNumber,
                      MPOSField.terminalID, MPOSField.networkManagementCode] {
            response[field] = request[field]
        }
        response.setText(MPOSField.responseCode, code.rawValue)
        return response
    }

    public var description: String {
        switch self {
        case .enrollment: "enrollment"
        case .signOn: "sign-on"
        case .echoTest: "echo test"
        case .signOff: "sign-off"
        case .cardOpening: "card opening"
        case .contractSigning: "contract signing"
        }
    }
}
