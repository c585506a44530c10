public import ISO8583

/// The ISO 8583 fields mpos uses, and how each is laid out (docs/protocol.md, "Fields").
///
/// Nothing confidential travels in a clear field: the card number, the customer identity and
/// the contract live in field 61 (AES-GCM under the session's data key); operator credentials
/// and the terminal master key in field 63 (HPKE); keys in field 62 (TR-31 key blocks).
public enum MPOSField {
    public static let processingCode = 3
    public static let transmissionDateTime = 7
    public static let systemTraceAuditNumber = 11
    public static let retrievalReferenceNumber = 37
    public static let responseCode = 39
    public static let terminalID = 41
    public static let pinBlock = 52
    public static let keySetIdentifier = 53
    public static let confidentialData = 61
    public static let keyBlocks = 62
    public static let sealedEnvelope = 63
    public static let messageAuthenticationCode = 64
    public static let networkManagementCode = 70
    public static let publicKeys = 120
    /// SHA-256 of the request frame a host-signed response answers.
    public static let requestDigest = 121
    public static let signature = 127
    public static let secondaryMAC = 128
}

extension MessageSpecification {
    /// The mpos message set's table.
    public static let mpos = MessageSpecification([
        FieldSpecification(MPOSField.processingCode, "Processing code", .fixed(6), .numeric),
        FieldSpecification(MPOSField.transmissionDateTime, "Transmission date and time (MMDDhhmmss, UTC)", .fixed(10), .numeric),
        FieldSpecification(MPOSField.systemTraceAuditNumber, "System trace audit number", .fixed(6), .numeric),
        FieldSpecification(MPOSField.retrievalReferenceNumber, "Retrieval reference number", .fixed(12), .alphanumericSpecial),
        FieldSpecification(MPOSField.responseCode, "Response code", .fixed(2), .alphanumericSpecial),
        FieldSpecification(MPOSField.terminalID, "Card acceptor terminal identification", .fixed(8), .alphanumericSpecial),
        FieldSpecification(MPOSField.pinBlock, "PIN data (ISO 9564-1 format 4, AES)", .fixed(16), .binary),
        FieldSpecification(MPOSField.keySetIdentifier, "Security related control information (key set)", .fixed(16), .numeric),
        FieldSpecification(MPOSField.confidentialData, "Confidential data (AES-GCM under the data key)", .lllvar(maximum: 999), .binary),
        FieldSpecification(MPOSField.keyBlocks, "Key blocks (TR-31 version D, with check values)", .lllvar(maximum: 999), .alphanumericSpecial),
        FieldSpecification(MPOSField.sealedEnvelope, "HPKE envelope (encapsulated key and ciphertext)", .lllvar(maximum: 999), .binary),
        FieldSpecification(MPOSField.messageAuthenticationCode, "Message authentication code (AES-CMAC)", .fixed(16), .binary),
        FieldSpecification(MPOSField.networkManagementCode, "Network management information code", .fixed(3), .numeric),
        FieldSpecification(MPOSField.publicKeys, "Public keys (P-256, X9.62 uncompressed)", .lllvar(maximum: 999), .binary),
        FieldSpecification(MPOSField.requestDigest, "Request digest (SHA-256 of the request frame answered)", .fixed(32), .binary),
        FieldSpecification(MPOSField.signature, "Signature (ECDSA P-256, raw r ‖ s)", .lllvar(maximum: 999), .binary),
        FieldSpecification(MPOSField.secondaryMAC, "Message authentication code (AES-CMAC; enrollment)", .fixed(16), .binary),
    ])
}
