// expect: 'unsafeRawRepresentation' is inaccessible due to 'package' protection level
import MPOSCrypto

let deviceKey = SigningPrivateKey()
print(deviceKey.unsafeRawRepresentation)
