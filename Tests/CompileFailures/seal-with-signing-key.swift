// expect: value of type 'SigningPublicKey' has no member 'seal'
import MPOSCrypto

// A signing key only signs: sealing needs the device's separate HPKE key.
let deviceKey = SigningPrivateKey()
let envelope = try deviceKey.publicKey.seal([1, 2, 3], info: [UInt8]())
