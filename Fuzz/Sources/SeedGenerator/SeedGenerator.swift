// Writes the seed corpora, Corpus/<Target>/, from real values made with the main package's
// public API (the fixed keys of FuzzSupport where a seed must authenticate). Run from Fuzz/.

import Foundation
import FuzzSupport
import ISO8583
import MPOSCrypto
import MPOSProtocol
import MPOSTransport
import NIOCore

func write(_ target: String, _ name: String, _ bytes: [UInt8]) {
    let folder = URL(fileURLWithPath: "Corpus/\(target)")
    try! FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try! Data(bytes).write(to: folder.appendingPathComponent(name))
}

// Frame scripts: each frame length-prefixed, cut into chunks of at most 63 bytes (a control
// byte each), the last one after a wait under the deadline.
func script(_ frames: [[UInt8]], waitBeforeLast: UInt8 = 0) -> [UInt8] {
    var stream = ByteBuffer()
    for frame in frames { try! LengthPrefixedFrameEncoder().encode(data: ByteBuffer(bytes: frame), out: &stream) }
    let bytes = Array(stream.readableBytesView)
    var out: [UInt8] = []
    for chunkStart in stride(from: 0, to: bytes.count, by: 63) {
        let chunk = bytes[chunkStart..<min(chunkStart + 63, bytes.count)]
        out += [UInt8(chunk.count) | (chunkStart + 63 >= bytes.count ? waitBeforeLast << 6 : 0)] + chunk
    }
    return out
}
// Every executable of this package links libFuzzer, whose main runs this hook first: the seeds
// are written and the process exits before any fuzzing.
@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>>>) -> CInt {
    do { try SeedGenerator.main() } catch { fatalError("seed generation failed: \(error)") }
    exit(0)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ start: UnsafeRawPointer, _ count: Int) -> CInt { 0 }

enum SeedGenerator {
    static func main() throws {
        let codec = FixedKeys.codec, keys = FixedKeys.sessionKeys, now = Date(timeIntervalSince1970: 1_796_000_000)
        let device = SigningPrivateKey(), hostSealing = SealingPrivateKey()

        // Field 62 as the host sends it, and its three blocks one by one (a selector byte first).
        let field62 = try SignOnSecurity.keyBlocksField(pinKey: keys.pinKey, macKey: keys.macKey, dataKey: keys.dataKey, under: FixedKeys.masterKey)
        write("KeyBlock", "field-62", [3] + Array(field62.utf8))
        var rest = Substring(field62)
        for (selector, name) in [(0, "pin-key"), (1, "mac-key"), (2, "data-key")] {
            let length = Int(rest.dropFirst().prefix(4))!
            write("KeyBlock", name, [UInt8(selector)] + Array(rest.prefix(length).utf8))
            rest = rest.dropFirst(length + 6)
        }

        var confidential = ConfidentialData()
        confidential.set(.cardNumber, text: "6225880000000019")
        confidential.set(.identityDocumentType, text: "01")
        confidential.set(.identityDocumentNumber, text: "11010519491231002X")
        write("ConfidentialData", "card-opening", try confidential.encoded())
        confidential.set(.carrierCode, text: "1")
        confidential.set(.phoneNumber, text: "13912345678")
        confidential.set(.tariff, text: "monthly")
        write("ConfidentialData", "contract", try confidential.encoded())

        // A sign-on request: operator credentials sealed in 63, signed in 127.
        var signOn = ISO8583Message(mti: MessageTypeIndicator("0800")!)
        signOn.setText(MPOSField.transmissionDateTime, "1203185500")
        signOn.setText(MPOSField.systemTraceAuditNumber, "000002")
        signOn.setText(MPOSField.terminalID, FixedKeys.terminalID)
        signOn.setText(MPOSField.networkManagementCode, "001")
        try SignOnSecurity.sealCredentials(OperatorCredentials(number: "01", key: "111111"), into: &signOn, to: hostSealing.publicKey)
        write("SealedEnvelope", "operator-credentials", [0] + signOn[MPOSField.sealedEnvelope]!)
        let masterKeyEnvelope = try SignOnSecurity.sealMasterKey(FixedKeys.masterKey, to: hostSealing.publicKey, terminalID: FixedKeys.terminalID, keySet: FixedKeys.keySet)
        write("SealedEnvelope", "master-key", [1] + masterKeyEnvelope)
        write("SealedEnvelope", "key-plaintext", [2] + Array("K1".utf8) + [FixedKeys.masterKey.modeOfUse.rawValue] + (0..<16).map { UInt8($0) })
        write("SealedEnvelope", "credentials-plaintext", [2, 2] + Array("01".utf8) + [6] + Array("111111".utf8))

        write("KeySet", "key-set", Array(FixedKeys.keySet.field.utf8))
        write("EnrollmentCode", "grouped", Array("0123-4567-89AB-CDEF-0123-4567-89ab-cdef".utf8))
        write("EnrollmentCode", "spaced", Array("0123 4567 89AB CDEF 0123 4567 89AB CDEF".utf8))

        // Real frames: an enrollment request (self-signed by its field 120), a signed sign-on request,
        // and a MACed card opening.
        var terminal = TerminalStateMachine(credentials: .init(terminalID: FixedKeys.terminalID))
        let enrollment = try terminal.enroll(code: EnrollmentCode(), at: now)
        let signedSignOn = try MessageSignature.sign(signOn, with: device, codec: codec)
        var opening = ISO8583Message(mti: MessageTypeIndicator("0200")!)
        opening.setText(MPOSField.processingCode, "910000")
        opening.setText(MPOSField.transmissionDateTime, "1203185600")
        opening.setText(MPOSField.systemTraceAuditNumber, "000003")
        opening.setText(MPOSField.terminalID, FixedKeys.terminalID)
        let business = try BusinessMessageSecurity.protect(opening, confidential: confidential, keys: keys, codec: codec)
        write("Signature", "enrollment-0800", enrollment)
        write("Signature", "sign-on-0800", signedSignOn)

        write("Frame", "enrollment", script([enrollment]))
        write("Frame", "sign-on-then-card-opening", script([signedSignOn, business], waitBeforeLast: 1))
        write("Frame", "stalled", Array(script([business]).dropLast(5)) + [0xC0])
        print("seeds written under Corpus/")
    }
}
