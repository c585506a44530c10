// The correct use of every API the misuse files get wrong: this file must compile.
import MPOSCrypto

let pinKey = try AESKey<PINEncryption>(generating: .bits128)
let macKey = try AESKey<MessageAuthentication>(generating: .bits128)
let dataKey = try AESKey<DataEncryption>(generating: .bits128)
let kbpk = try AESKey<KeyBlockProtection>(generating: .bits128)
let base = try AESKey<BaseDerivation>(generating: .bits128)
let tag = try CMAC.authenticationCode(for: [1, 2, 3], using: macKey)
let sealed = try AuthenticatedEncryption.seal([1, 2, 3], authenticating: [UInt8](), using: dataKey)
let block = try PINBlockFormat4.encipher(PIN("1234"), pan: PrimaryAccountNumber("4367123412341234123"), using: pinKey)
let wrapped = try TR31.wrap(pinKey, under: kbpk)
let derived = try CounterModeKDF.deriveKey(PINEncryption.self, size: .bits128, from: base, label: [65], context: [UInt8]())
let unwrapped = try TR31.unwrap(wrapped, as: PINEncryption.self, under: kbpk)
