// expect: cannot convert value of type 'AESKey<MessageAuthentication>' to expected argument type 'AESKey<PINEncryption>'
import MPOSCrypto

let macKey = try AESKey<MessageAuthentication>(generating: .bits128)
let block = try PINBlockFormat4.encipher(PIN("1234"), pan: PrimaryAccountNumber("4367123412341234123"), using: macKey)
