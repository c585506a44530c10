// expect: requires that 'PINEncryption' conform to 'KeyBlockProtecting'
import MPOSCrypto

let pinKey = try AESKey<PINEncryption>(generating: .bits128)
let macKey = try AESKey<MessageAuthentication>(generating: .bits128)
let wrapped = try TR31.wrap(macKey, under: pinKey)
