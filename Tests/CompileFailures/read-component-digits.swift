// expect: 'unsafeHexDigits' is inaccessible due to 'package' protection level
import MPOSCrypto

let components = try KeyComponents.split(AESKey<KeyEncryption>(generating: .bits128), into: 2)
print(components[0].unsafeHexDigits)
