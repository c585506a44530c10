// expect: extra argument 'unsafeRawBytes' in call
import MPOSCrypto

// Outside the mpos package no code can make a key from bytes it chose: the initializer is invisible.
let key = try AESKey<PINEncryption>(unsafeRawBytes: [UInt8](repeating: 0, count: 16))
