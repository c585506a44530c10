"""Re-verifies docs/worked-example.json without Swift: pyiso8583 decodes every frame, pyca
cryptography checks every signature, envelope, CMAC, KDF output and GCM field, psec unwraps the
key blocks and deciphers the PIN block. Prints {"checked": N, "failures": [...]} and exits 0;
exit 2 if the file cannot be read. Run by Tests/MPOSProtocolTests/WorkedExampleTests.

    python worked_example_check.py path/to/worked-example.json
"""

from __future__ import annotations

import hashlib
import json
import sys
from typing import Any

import iso8583
from cryptography.hazmat.primitives import hashes, hpke
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.cmac import CMAC
from cryptography.hazmat.primitives.kdf.kbkdf import KBKDFCMAC, CounterLocation, Mode
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from psec import pinblock, tr31

from iso8583_crosscheck import pyiso_spec

P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
HPKE_SUITE = hpke.Suite(hpke.KEM.P256, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)


class Checker:
    def __init__(self, transcript: dict[str, Any]) -> None:
        self.t = transcript
        self.spec = pyiso_spec(transcript["fieldTable"])
        self.checked = 0
        self.failures: list[str] = []

    def check(self, condition: bool, what: str) -> None:
        self.checked += 1
        if not condition:
            self.failures.append(what)

    def input(self, name: str) -> str:
        return next(v["value"] for v in self.t["inputs"] if v["name"] == name)

    def value(self, step: str, name: str) -> str:
        s = next(s for s in self.t["steps"] if s["id"] == step)
        return next(v["value"] for v in s["values"] if v["name"] == name)

    def frame(self, step: str, name: str) -> tuple[bytes, dict[str, Any]]:
        raw = bytes.fromhex(self.value(step, name))
        decoded, _ = iso8583.decode(bytearray(raw), self.spec)
        encoded, _ = iso8583.encode(decoded, self.spec)
        self.check(bytes(encoded) == raw, f"{step} {name}: pyiso8583 re-encodes to other bytes")
        return raw, decoded


def cmac(key: bytes, data: bytes) -> bytes:
    c = CMAC(algorithms.AES(key))
    c.update(data)
    return c.finalize()


def kcv(key: bytes) -> str:
    return cmac(key, bytes(16))[:3].hex().upper()


def kdf(key: bytes, label: bytes, context: bytes, length: int) -> bytes:
    return KBKDFCMAC(algorithm=algorithms.AES, mode=Mode.CounterMode, length=length, rlen=4, llen=4,
                     location=CounterLocation.BeforeFixed, label=label, context=context, fixed=None).derive(key)


def private_key(scalar_hex: str) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(int(scalar_hex, 16), ec.SECP256R1())


def x963(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)


def ecdsa_ok(public: bytes, signature: bytes, message: bytes) -> bool:
    if len(signature) != 64 or int.from_bytes(signature[32:], "big") > P256_ORDER // 2:
        return False
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), public).verify(der, message, ec.ECDSA(hashes.SHA256()))
        return True
    except Exception:
        return False


def field(decoded: dict[str, Any], number: int) -> bytes:
    value = decoded[str(number)]
    return bytes.fromhex(value) if number in (52, 61, 63, 64, 120, 127, 128) else value.encode("ascii")


def run(c: Checker) -> None:
    tid = c.input("terminal ID (field 41)")
    keys = {name: bytes.fromhex(c.input(name)) for name in ("PIN key (P0)", "MAC key (M6)", "data key (D0)")}
    host_signing, host_sealing = private_key(c.input("host signing key (P-256 scalar)")), private_key(c.input("host sealing key (P-256 scalar)"))
    device_signing, device_sealing = private_key(c.input("device signing key (P-256 scalar)")), private_key(c.input("device sealing key (P-256 scalar)"))
    for name, key in [("host signing", host_signing), ("host sealing", host_sealing), ("device signing", device_signing), ("device sealing", device_sealing)]:
        c.check(x963(key.public_key()).hex().upper() == c.input(f"{name} public key"), f"{name} public key")

    # Enrollment: CMAC under K_EC (per direction) last, the signature of the key in field 120 before it.
    code = bytes.fromhex(c.input("enrollment code").replace("-", ""))
    for frame_name, direction, label in [("0800 request message", "request", b"M6/MPOS ENROLL REQ"), ("0810 response message", "response", b"M6/MPOS ENROLL RSP")]:
        raw, decoded = c.frame("enrollment", frame_name)
        k_ec = kdf(code, label, tid.encode(), 16)
        c.check(kcv(k_ec) == c.value("enrollment", f"K_EC ({direction}) check value"), f"enrollment K_EC ({direction}) check value")
        c.check(cmac(k_ec, raw[:-16]) == raw[-16:], f"enrollment {direction} CMAC")
        c.check(ecdsa_ok(field(decoded, 120)[:65], raw[-80:-16], raw[:-80]), f"enrollment {direction} signature")

    # Sign-on and sign-off requests: device signature, credentials sealed to the host.
    for step, request, response in [("101-104", "0800 request message", "0810 response message"), ("112", "0820 request message", "0830 response message")]:
        raw, decoded = c.frame(step, request)
        c.check(ecdsa_ok(x963(device_signing.public_key()), raw[-64:], raw[:-64]), f"{step} request signature")
        info = b"mpos v1 operator credentials\x00" + decoded["t"].encode() + b"".join(field(decoded, n) for n in (7, 11, 41, 70))
        c.check(HPKE_SUITE.decrypt(field(decoded, 63), host_sealing, info=info) == b"\x0201\x06111111", f"{step} credentials")
        raw, decoded = c.frame(step, response)
        c.check(ecdsa_ok(x963(host_signing.public_key()), raw[-64:], raw[:-64]), f"{step} response signature")

    # Sign-on response: the TMK (KDF from the BMK), sealed to the device; field 62 under it.
    raw, decoded = c.frame("101-104", "0810 response message")
    field53 = field(decoded, 53)
    # Context: terminal ID ‖ 00 ‖ version ‖ SHA-256(device signing public key): a device enrolled
    # again under the same ID gets another TMK.
    device_public = bytes.fromhex(c.input("device signing public key"))
    tmk = kdf(bytes.fromhex(c.input("base master key (B0), version 1")), b"K1/MPOS TMK",
              tid.encode() + b"\x00" + (1).to_bytes(4, "big") + hashlib.sha256(device_public).digest(), 16)
    c.check(kcv(tmk) == c.value("101-104", "terminal master key check value (K1, derived)"), "TMK check value")
    envelope = HPKE_SUITE.decrypt(field(decoded, 63), device_sealing, info=b"mpos v1 terminal master key\x00" + tid.encode() + field53)
    c.check(envelope == b"K1B" + tmk, "TMK envelope")
    blocks = field(decoded, 62).decode("ascii")
    c.check(blocks == c.value("101-104", "field 62 (key blocks and check values)"), "field 62 as stated")
    for usage, mode, name in [("P0", "E", "PIN key (P0)"), ("M6", "C", "MAC key (M6)"), ("D0", "B", "data key (D0)")]:
        length = int(blocks[1:5])
        header, key = tr31.unwrap(tmk, blocks[:length])
        c.check((header.key_usage, header.mode_of_use, header.exportability) == (usage, mode, "N"), f"{usage} block header")
        c.check(key == keys[name], f"{usage} key")
        c.check(blocks[length:length + 6] == kcv(key), f"{usage} check value")
        blocks = blocks[length + 6:]
    c.check(blocks == "", "field 62 has nothing after the third block")

    # Business messages: CMAC last, PIN block, GCM field 61.
    pan, pin_key = c.input("card number"), keys["PIN key (P0)"]
    pin_field, pan_field = bytes.fromhex(c.value("105-108", "plain PIN field")), bytes.fromhex(c.value("105-108", "plain PAN field"))
    aes = Cipher(algorithms.AES(pin_key), modes.ECB()).encryptor()
    first = aes.update(pin_field)
    expected_block = Cipher(algorithms.AES(pin_key), modes.ECB()).encryptor().update(bytes(a ^ b for a, b in zip(first, pan_field)))
    c.check(expected_block.hex().upper() == c.value("105-108", "field 52 (PIN block)"), "PIN block from the plain fields")
    for step in ("105-108", "109-111"):
        raw, decoded = c.frame(step, "0200 request message")
        c.check(cmac(keys["MAC key (M6)"], raw[:-16]) == raw[-16:], f"{step} request CMAC")
        c.check(pinblock.decipher_pinblock_iso_4(pin_key, field(decoded, 52), pan) == c.input("PIN"), f"{step} PIN block")
        sealed = field(decoded, 61)
        aad = decoded["t"].encode() + b"".join(field(decoded, n) for n in (7, 11, 41, 53))
        plaintext = AESGCM(keys["data key (D0)"]).decrypt(sealed[:12], sealed[12:], aad)
        c.check(plaintext.hex().upper() == c.value(step, "confidential data (TLV, before sealing)"), f"{step} field 61")
        raw, _ = c.frame(step, "0210 response message")
        c.check(cmac(keys["MAC key (M6)"], raw[:-16]) == raw[-16:], f"{step} response CMAC")


def main() -> int:
    try:
        with open(sys.argv[1], encoding="utf-8") as f:
            transcript = json.load(f)
    except (IndexError, OSError, ValueError) as exc:
        print(f"cannot read the worked example: {type(exc).__name__}", file=sys.stderr)
        return 2
    checker = Checker(transcript)
    try:
        run(checker)
    except Exception as exc:  # a missing value or a refused operation is a failure, not a crash
        checker.failures.append(f"stopped: {type(exc).__name__}")
    json.dump({"checked": checker.checked, "failures": checker.failures}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
