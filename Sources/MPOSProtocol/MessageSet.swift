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
///
/// Everything about a kind is in one table, ``properties``; the rest is derived from it.
public enum MessageKind: Sendable, CaseIterable, CustomStringConvertible {
    case enrollment, signOn, echoTest, signOff, cardOpening, contractSigning

    /// How a kind's messages are protected, and so how the host checks them.
    public enum Family: Sendable, Hashable {
        /// 0800/0820 with field 70, signed by the device (enrollment also proves its code).
        case network
        /// 0200 with field 3, under the session's keys (MAC, PIN block, field 61).
        case business
    }

    private struct Properties {
        /// For people: "card opening".
        let description: String
        /// The prefix of the host's audit events for it (`card.open.refused`): a stored vocabulary.
        let auditName: String
        let family: Family
        let requestMTI: String
        /// Field 70 (network) or field 3 (business).
        let code: String
    }

    private var properties: Properties {
        switch self {
        case .enrollment: Properties(description: "enrollment", auditName: "enrollment", family: .network, requestMTI: "0800", code: "810")
        case .signOn: Properties(description: "sign-on", auditName: "sign-on", family: .network, requestMTI: "0800", code: "001")
        case .echoTest: Properties(description: "echo test", auditName: "echo", family: .network, requestMTI: "0800", code: "301")
        case .signOff: Properties(description: "sign-off", auditName: "sign-off", family: .network, requestMTI: "0820", code: "002")
        case .cardOpening: Properties(description: "card opening", auditName: "card.open", family: .business, requestMTI: "0200", code: "910000")
        case .contractSigning: Properties(description: "contract signing", auditName: "contract.sign", family: .business, requestMTI: "0200", code: "920000")
        }
    }

    public var description: String { properties.description }
    /// For machines (metrics, logs, load reports): `card-opening`.
    public var name: String { properties.description.replacingOccurrences(of: " ", with: "-") }
    /// The prefix of the host's audit events for this kind.
    public var auditName: String { properties.auditName }
    public var family: Family { properties.family }

    public var requestMTI: MessageTypeIndicator { MessageTypeIndicator(properties.requestMTI)! }

    /// The request's MTI with its function digit one up: 0800 → 0810, 0820 → 0830, 0200 → 0210.
    public var responseMTI: MessageTypeIndicator {
        var digits = Array(properties.requestMTI.utf8)
        digits[2] += 1
        return MessageTypeIndicator(String(decoding: digits, as: UTF8.self))!
    }

    public var networkManagementCode: NetworkManagementCode? {
        family == .network ? NetworkManagementCode(rawValue: properties.code) : nil
    }

    public var processingCode: ProcessingCode? {
        family == .business ? ProcessingCode(rawValue: properties.code) : nil
    }

    /// The field that names the kind: 70 for network messages, 3 for business ones.
    var identifyingField: Int { family == .network ? MPOSField.networkManagementCode : MPOSField.processingCode }

    /// Which request a message is, from its MTI and field 70 or field 3; nil for anything else.
    public init?(request message: ISO8583Message) {
        guard let kind = Self.allCases.first(where: { $0.requestMTI == message.mti && message.text($0.identifyingField) == $0.properties.code }) else {
            return nil
        }
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
        message.setText(identifyingField, properties.code)
        message.setText(MPOSField.transmissionDateTime, transmissionTime)
        message.setText(MPOSField.systemTraceAuditNumber, stan)
        message.setText(MPOSField.terminalID, terminalID)
        return message
    }

    /// The response to `request` (of this kind): its MTI, the request's fields 7, 11, 41 and 70
    /// (network) or 3 (business) echoed — whichever the request has, and no other of its
    /// fields — and field 39.
    public func response(to request: ISO8583Message, code: ResponseCode) -> ISO8583Message {
        var response = ISO8583Message(mti: responseMTI)
        for field in [MPOSField.transmissionDateTime, MPOSField.systemTraceAuditNumber, MPOSField.terminalID, identifyingField] {
            response[field] = request[field]
        }
        response.setText(MPOSField.responseCode, code.rawValue)
        return response
    }
}
