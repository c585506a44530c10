import Foundation
import ISO8583
import MPOSProtocol
import MPOSTerminal
import Testing
@_spi(ClearPIN) import MPOSCrypto

/// A minimal host built from the host-side protocol functions (after MPOSProtocolTests'
/// `ScriptedHost`), with the one host behaviour retransmission needs: an exact repeat of a
/// request gets the stored response again.
struct ScriptedHost {
    static let terminalID = "00000001"
    let codec = ISO8583Codec(specification: .mpos)
    let signing = SigningPrivateKey(), sealing = SealingPrivateKey()
    let code = EnrollmentCode()
    let base = try! AESKey<BaseDerivation>(generating: .bits256)
    var deviceSigning: SigningPublicKey?, deviceSealing: SealingPublicKey?
    var keys: SessionKeys?
    var session = 0
    var references = 0
    /// The code to answer each kind of request with (approved if absent).
    var answers: [MessageKind: ResponseCode] = [:]
    /// Requests processed (not counting retransmissions answered from the cache).
    private(set) var processed: [MessageKind] = []
    private var responses: [[UInt8]: [UInt8]] = [:]

    var codeText: String { code.unsafeDisplayText }

    mutating func handle(_ frame: [UInt8]) throws -> [UInt8] {
        if let response = responses[frame] { return response }
        let request = try codec.decode(frame)
        let kind = MessageKind(request: request)!
        processed.append(kind)
        let response = try respond(to: request, kind, frame, answers[kind] ?? .approved)
        responses[frame] = response
        return response
    }

    private mutating func respond(to request: ISO8583Message, _ kind: MessageKind, _ frame: [UInt8], _ answer: ResponseCode) throws -> [UInt8] {
        var response = kind.response(to: request, code: answer)
        switch kind {
        case .enrollment:
            let verified = try EnrollmentSecurity.verifyRequest(frame, codec: codec, code: code, terminalID: Self.terminalID)
            (deviceSigning, deviceSealing) = (verified.signing, verified.sealing)
            response[MPOSField.publicKeys] = EnrollmentSecurity.publicKeysField(signing: signing.publicKey, sealing: sealing.publicKey)
            return try EnrollmentSecurity.protectResponse(response, answering: frame, signingKey: signing, code: code, terminalID: Self.terminalID, codec: codec)
        case .signOn:
            let authenticated = try MessageSignature.verify(frame, codec: codec, signer: deviceSigning!)
            #expect(try SignOnSecurity.openCredentials(of: authenticated, with: sealing) == OperatorCredentials(number: "01", key: "111111"))
            if answer == .approved {
                session += 1
                let keySet = KeySetIdentifier(baseKeyVersion: 1, session: session)!
                keys = SessionKeys(pinKey: try AESKey(generating: .bits128), macKey: try AESKey(generating: .bits128),
                                   dataKey: try AESKey(generating: .bits128), keySet: keySet)
                let masterKey = try base.deriveTerminalMasterKey(terminalID: Self.terminalID, baseKeyVersion: 1, device: deviceSigning!)
                response.setText(MPOSField.keySetIdentifier, keySet.field)
                response.setText(MPOSField.keyBlocks, try SignOnSecurity.keyBlocksField(pinKey: keys!.pinKey, macKey: keys!.macKey, dataKey: keys!.dataKey, under: masterKey))
                response[MPOSField.sealedEnvelope] = try SignOnSecurity.sealMasterKey(masterKey, to: deviceSealing!, terminalID: Self.terminalID, keySet: keySet)
            }
            return try MessageSignature.signResponse(response, answering: frame, with: signing, codec: codec)
        case .signOff, .echoTest:
            _ = try MessageSignature.verify(frame, codec: codec, signer: deviceSigning!)
            if kind == .signOff, answer == .approved { keys = nil }
            return try MessageSignature.signResponse(response, answering: frame, with: signing, codec: codec)
        case .cardOpening, .contractSigning:
            let authenticated = try BusinessMessageSecurity.verify(frame, codec: codec, macKey: keys!.macKey)
            let data = try BusinessMessageSecurity.openConfidentialData(of: authenticated, using: keys!.dataKey)
            let pan = try PrimaryAccountNumber(String(decoding: data[.cardNumber]!, as: UTF8.self))
            #expect(try PINBlockFormat4.decipher(EncipheredPINBlock(bytes: request[MPOSField.pinBlock]!), pan: pan, using: keys!.pinKey) == PIN("123456"))
            if answer == .approved {
                references += 1
                response.setText(MPOSField.retrievalReferenceNumber, String(format: "%012d", references))
            }
            return try BusinessMessageSecurity.protect(response, confidential: nil, keys: keys!, codec: codec)
        }
    }
}

/// A transport that hands frames to a scripted host: it can lose the first requests (as a
/// timeout or as a failed connection), and records every frame sent and, at that moment, the
/// STAN the key store held.
actor ScriptedTransport: FrameTransport {
    enum Loss { case timeout, unreachable, responseLost }

    var host = ScriptedHost()
    private(set) var sent: [[UInt8]] = []
    private(set) var storedSTANAtSend: [Int?] = []
    private var losses: [Loss] = []
    private let store: InMemoryKeyStore?

    init(store: InMemoryKeyStore? = nil) { self.store = store }

    /// The next exchanges fail like this, in order.
    func lose(_ losses: [Loss]) { self.losses = losses }
    func answer(_ kind: MessageKind, with code: ResponseCode?) { host.answers[kind] = code }
    var codeText: String { host.codeText }
    var processed: [MessageKind] { host.processed }

    func exchange(_ frame: [UInt8], timeout: Duration) async throws -> [UInt8] {
        let loss = losses.isEmpty ? nil : losses.removeFirst()
        if loss == .unreachable { throw FrameTransportError(.notDelivered, "scripted: unreachable") }
        sent.append(frame)
        storedSTANAtSend.append(await store?.load()?.lastSTAN)
        switch loss {
        case .timeout: throw FrameTransportError(.timedOut, "scripted: request lost")
        case .responseLost:
            _ = try host.handle(frame)
            throw FrameTransportError(.connectionLost, "scripted: response lost")
        default: return try host.handle(frame)
        }
    }
}

/// A PIN pad with a customer who types 123456, and counts how often they were asked.
actor TestPINPad: PINPad {
    private(set) var prompts: [String] = []
    var delay: Duration = .zero

    init(delay: Duration = .zero) { self.delay = delay }

    func readPIN(for cardNumber: String) async throws -> PIN {
        prompts.append(cardNumber)
        if delay > .zero { try await Task.sleep(for: delay) }
        return try PIN("123456")
    }
}

/// A PIN pad whose customer types only when the test says so: `asked` yields when the PIN is
/// asked for, and the PIN comes after `release()`.
final class GatedPINPad: PINPad, Sendable {
    let asked: AsyncStream<Void>
    private let askedContinuation: AsyncStream<Void>.Continuation
    private let released: AsyncStream<Void>
    private let releasedContinuation: AsyncStream<Void>.Continuation

    init() {
        (asked, askedContinuation) = AsyncStream<Void>.makeStream()
        (released, releasedContinuation) = AsyncStream<Void>.makeStream()
    }

    func release() { releasedContinuation.finish() }

    func readPIN(for cardNumber: String) async throws -> PIN {
        askedContinuation.yield()
        for await _ in released {}
        return try PIN("123456")
    }
}

func stan(of frame: [UInt8]) throws -> String? {
    try ISO8583Codec(specification: .mpos).decode(frame).text(MPOSField.systemTraceAuditNumber)
}
