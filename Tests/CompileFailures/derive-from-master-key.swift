// expect: cannot convert value of type 'AESKey<KeyBlockProtection>' to expected argument type 'AESKey<BaseDerivation>'
import MPOSCrypto

let terminalMasterKey = try AESKey<KeyBlockProtection>(generating: .bits128)
let derived = try CounterModeKDF.deriveKey(PINEncryption.self, size: .bits128, from: terminalMasterKey, label: [65], context: [UInt8]())
