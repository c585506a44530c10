// Keys fixed across processes, so that the seeds SeedGenerator writes still authenticate when a
// target reads them. They protect nothing: fuzzing only.

public import ISO8583
public import MPOSCrypto
public import MPOSProtocol

public enum FixedKeys {
    public static let codec = ISO8583Codec(specification: .mpos)
    public static let keySet = KeySetIdentifier(baseKeyVersion: 1, session: 42)!
    public static let terminalID = "00000001"

    /// Two components XORed: the only public way to make a known AES key.
    static func key<Usage: KeyUsage>(_ usage: Usage.Type, _ a: String, _ b: String) -> AESKey<Usage> {
        try! KeyComponents.combine([KeyComponent(hex: a), KeyComponent(hex: b)], as: usage)
    }

    /// The terminal master key: the KBPK of field 62's key blocks.
    public static let masterKey = key(KeyBlockProtection.self, "00112233445566778899AABBCCDDEEFF", "0F1E2D3C4B5A69788796A5B4C3D2E1F0")
    public static let sessionKeys = SessionKeys(
        pinKey: key(PINEncryption.self, "11111111111111111111111111111111", "22222222222222222222222222222223"),
        macKey: key(MessageAuthentication.self, "33333333333333333333333333333333", "44444444444444444444444444444445"),
        dataKey: key(DataEncryption.self, "55555555555555555555555555555555", "66666666666666666666666666666667"),
        keySet: keySet)
}
