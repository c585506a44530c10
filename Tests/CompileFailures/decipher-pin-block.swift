// expect: 'decipher' is inaccessible due to '@_spi' protection level
import MPOSCrypto

// A clear PIN never leaves the cryptography for an app: deciphering is for the host inside the package.
let key = try AESKey<PINEncryption>(generating: .bits128)
let pan = try PrimaryAccountNumber("4367123412341234126")
let block = try PINBlockFormat4.encipher(PIN("1234"), pan: pan, using: key)
let pin = try PINBlockFormat4.decipher(block, pan: pan, using: key)
