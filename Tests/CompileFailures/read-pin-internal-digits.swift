// expect: 'digits' is inaccessible due to 'internal' protection level
import MPOSCrypto

let pin = try PIN("1234")
print(pin.digits)
