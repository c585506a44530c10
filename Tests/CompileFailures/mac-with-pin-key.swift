// expect: cannot convert value of type 'AESKey<PINEncryption>' to expected argument type 'AESKey<MessageAuthentication>'
import MPOSCrypto

let pinKey = try AESKey<PINEncryption>(generating: .bits128)
let tag = try CMAC.authenticationCode(for: [1, 2, 3], using: pinKey)
