// expect: 'material' is inaccessible due to 'internal' protection level
import MPOSCrypto

let pinKey = try AESKey<PINEncryption>(generating: .bits128)
print(pinKey.material)
