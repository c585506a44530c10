// expect: cannot convert value of type 'AESKey<MessageAuthentication>' to expected argument type 'AESKey<DataEncryption>'
import MPOSCrypto

let macKey = try AESKey<MessageAuthentication>(generating: .bits128)
let sealed = try AuthenticatedEncryption.seal([1, 2, 3], authenticating: [UInt8](), using: macKey)
