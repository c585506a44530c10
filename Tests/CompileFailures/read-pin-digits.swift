// expect: 'unsafeDigitString' is inaccessible due to 'package' protection level
import MPOSCrypto

let pin = try PIN("1234")
print(pin.unsafeDigitString)
