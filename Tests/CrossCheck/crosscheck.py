"""Independent cross-check oracle for the mpos Swift crypto tests.

The Swift test suite uses this script to check its payment cryptography against
code it shares nothing with: every cryptographic operation here is done by the
pinned Python libraries `cryptography` (AES, AES-CMAC, AES-GCM, SP 800-108 KBKDF,
P-256 ECDSA and HPKE) and `psec` (ISO 9564-1 PIN block format 4 and its plain PIN and
PAN fields, TR-31 / X9.143 key blocks). Nothing
cryptographic is reimplemented in this file; it only moves bytes around, draws
random inputs and compares results. Pins: requirements.txt next to this file.

Protocol (JSON on stdin/stdout, one object each way):

  python crosscheck.py verify
      stdin : {"kind": K, "cases": [case, ...]}
      stdout: {"kind": K, "checked": N, "failures": [{"index": i, "reason": "..."}]}
      Exit 0 whenever the input was well formed, even with failures (the Swift
      side asserts on "failures"). Exit 2 with a message on stderr when the input
      is malformed: not JSON, unknown kind, a missing field, a field of the wrong
      JSON type, or a byte string that is not uppercase hex. Input is validated in
      full before any case is checked. Values the libraries reject (a 17-byte
      key, a 3-digit PIN, a broken key block) are reported as failures instead.

  python crosscheck.py produce --kind K --count N --seed S
      stdout: {"kind": K, "cases": [case, ...]}
      Inputs are drawn from random.Random(S), so they are reproducible; outputs
      that embed library randomness (PIN block pad, TR-31 padding) are not.

Byte strings are UPPERCASE hex. Reasons never contain key, PIN or PAN material,
and library exception messages are never echoed (psec puts PIN digits and key
block data into its messages); only the exception class name is reported.

Kinds and case fields:
  kcv        key, length (3..5), kcv        AES-CMAC(key, 0^16), leftmost bytes
  cmac       key, message, mac              AES-CMAC, 16-byte tag
  kbkdf      key, label, context, length, output
                                            SP 800-108 counter mode, PRF AES-CMAC:
                                            CMAC(K, [i]_32 || label || 00 || context || [L]_32),
                                            L in bits; the "length" field is in bytes
  gcm        key, nonce, aad, plaintext, ciphertext, tag (16 bytes, separate)
  pinblock4  key, pin, pan, block           ISO 9564-1 format 4; pin/pan are digit strings
  tr31d      kbpk, block (ASCII), key, usage, algorithm, mode, version,
             exportability, optional_blocks [[id, data], ...] in order, without "PB"
  components key, components [hex, ...], component_kcvs [kcv, ...], key_kcv
                                            2 or 3 components XOR to key, 3-byte CMAC KCVs
  ecdsa      public_key (X9.62, 65 bytes), message, signature (raw r || s, 64 bytes)
                                            ECDSA P-256 with SHA-256, s <= n/2 (low-S)
  hpke       private_key (32-byte scalar), info, plaintext, envelope (enc || ct || tag)
                                            RFC 9180 base mode, P256_SHA256_AES_GCM_256
  keyedvalue usage, label (text), key, input, value
                                            value = AES-CMAC(key, usage || "/" || label || 00
                                            || input), 16 bytes; usage is one of:
                                            V0  label "MPOS PVV"; input = format 4 plain PIN
                                                field with its 8-byte fill zero (16) || format 4
                                                PAN field (16), both checked with psec
                                            10  label "MPOS OPERATOR"; input = len || operator
                                                number || len || operator key, 1-byte lengths
                                            11  any label (1..64 bytes, no 00); input = the datum
  lmkblock   lmk, block (ASCII), key, usage, algorithm, mode, version, exportability
                                            a key at rest under the host's local master key
                                            (an AES-256 KBPK): TR-31 version D, exportability
                                            N, no optional blocks, key length masked to 32
                                            bytes (144 characters). Usage/algorithm/mode is
                                            one of P0 A BDE, M6 A CGV, D0 A BDE, B0 A X,
                                            V0 A CGV, 10 A CGV, 11 A CGV (AES key, 16/24/32
                                            bytes), S0 E S, K3 E D (P-256 private scalar, 32
                                            bytes, checked with cryptography)
"""

from __future__ import annotations

import argparse
import json
import random
import re
import string
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives import hashes, hpke
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.cmac import CMAC
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.hazmat.primitives.kdf.kbkdf import KBKDFCMAC, CounterLocation, Mode
from psec import pinblock, tr31

AES_KEY_SIZES = (16, 24, 32)
KCV_LENGTH = 3
GCM_TAG_LENGTH = 16

Case = dict[str, Any]


class MalformedInput(Exception):
    """Input that breaks the protocol itself (exit 2), as opposed to a failed check."""


# --- Library wrappers (the only places that do cryptography) -----------------


def aes_cmac(key: bytes, message: bytes) -> bytes:
    mac = CMAC(algorithms.AES(key))
    mac.update(message)
    return mac.finalize()


def cmac_kcv(key: bytes, length: int = KCV_LENGTH) -> bytes:
    # X9.24-1 AES KCV: CMAC of one zero block, not the legacy encrypt-zeros method.
    return aes_cmac(key, bytes(16))[:length]


def sp800_108_cmac(key: bytes, label: bytes, context: bytes, length: int) -> bytes:
    kdf = KBKDFCMAC(
        algorithm=algorithms.AES,
        mode=Mode.CounterMode,
        length=length,
        rlen=4,
        llen=4,
        location=CounterLocation.BeforeFixed,
        label=label,
        context=context,
        fixed=None,
    )
    return kdf.derive(key)


def xor_all(parts: list[bytes]) -> bytes:
    acc = 0
    for part in parts:
        acc ^= int.from_bytes(part, "big")
    return acc.to_bytes(len(parts[0]), "big")


def hx(data: bytes) -> str:
    return data.hex().upper()


def raised(operation: str, exc: BaseException) -> str:
    # Class name only: psec's messages can contain PIN digits or key block data.
    return f"{operation} raised {type(exc).__name__}"


# --- Field parsers (schema of the JSON cases) --------------------------------

_UPPER_HEX = re.compile(r"(?:[0-9A-F]{2})*")


def p_hex(value: Any) -> bytes:
    if not isinstance(value, str) or not _UPPER_HEX.fullmatch(value):
        raise MalformedInput("expected an even-length uppercase hex string")
    return bytes.fromhex(value)


def p_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedInput("expected an integer")
    return value


def p_str(value: Any) -> str:
    if not isinstance(value, str):
        raise MalformedInput("expected a string")
    return value


def p_hex_list(value: Any) -> list[bytes]:
    if not isinstance(value, list):
        raise MalformedInput("expected a list of hex strings")
    return [p_hex(item) for item in value]


def p_blocks(value: Any) -> list[tuple[str, str]]:
    if not isinstance(value, list) or not all(
        isinstance(item, list) and len(item) == 2 and all(isinstance(s, str) for s in item)
        for item in value
    ):
        raise MalformedInput("expected a list of [id, data] string pairs")
    return [(item[0], item[1]) for item in value]


Parser = Callable[[Any], Any]


# --- kcv ----------------------------------------------------------------------


def verify_kcv(case: Case) -> list[str]:
    if not 3 <= case["length"] <= 5:
        return ["length out of range 3..5"]
    if len(case["kcv"]) != case["length"]:
        return ["kcv length differs from length field"]
    try:
        expected = cmac_kcv(case["key"], case["length"])
    except Exception as exc:
        return [raised("CMAC", exc)]
    return [] if expected == case["kcv"] else ["KCV mismatch"]


def produce_kcv(rng: random.Random) -> Case:
    key = rng.randbytes(rng.choice(AES_KEY_SIZES))
    length = rng.randint(3, 5)
    return {"key": hx(key), "length": length, "kcv": hx(cmac_kcv(key, length))}


# --- cmac ---------------------------------------------------------------------


def verify_cmac(case: Case) -> list[str]:
    try:
        expected = aes_cmac(case["key"], case["message"])
    except Exception as exc:
        return [raised("CMAC", exc)]
    return [] if expected == case["mac"] else ["MAC mismatch"]


def produce_cmac(rng: random.Random) -> Case:
    key = rng.randbytes(rng.choice(AES_KEY_SIZES))
    message = rng.randbytes(rng.randint(0, 300))
    return {"key": hx(key), "message": hx(message), "mac": hx(aes_cmac(key, message))}


# --- kbkdf --------------------------------------------------------------------


def verify_kbkdf(case: Case) -> list[str]:
    if 0 in case["label"]:
        # The 0x00 separator would make label/context boundaries ambiguous.
        return ["label contains a 0x00 byte"]
    if len(case["output"]) != case["length"]:
        return ["output length differs from length field"]
    try:
        expected = sp800_108_cmac(case["key"], case["label"], case["context"], case["length"])
    except Exception as exc:
        return [raised("KBKDFCMAC", exc)]
    return [] if expected == case["output"] else ["KDF output mismatch"]


def produce_kbkdf(rng: random.Random) -> Case:
    key = rng.randbytes(rng.choice(AES_KEY_SIZES))
    label = bytes(rng.randint(1, 255) for _ in range(rng.randint(1, 24)))
    context = rng.randbytes(rng.randint(0, 40))
    # Mostly the usual key sizes, sometimes an odd length to exercise truncation.
    length = rng.choice((16, 24, 32, 48, 64)) if rng.random() < 0.7 else rng.randint(1, 64)
    output = sp800_108_cmac(key, label, context, length)
    return {
        "key": hx(key),
        "label": hx(label),
        "context": hx(context),
        "length": length,
        "output": hx(output),
    }


# --- gcm ----------------------------------------------------------------------


def verify_gcm(case: Case) -> list[str]:
    if len(case["tag"]) != GCM_TAG_LENGTH:
        return ["tag is not 16 bytes"]
    reasons: list[str] = []
    try:
        aead = AESGCM(case["key"])
        sealed = aead.encrypt(case["nonce"], case["plaintext"], case["aad"])
    except Exception as exc:
        return [raised("AESGCM encrypt", exc)]
    if sealed[:-GCM_TAG_LENGTH] != case["ciphertext"]:
        reasons.append("ciphertext mismatch")
    if sealed[-GCM_TAG_LENGTH:] != case["tag"]:
        reasons.append("tag mismatch")
    try:
        opened = aead.decrypt(case["nonce"], case["ciphertext"] + case["tag"], case["aad"])
    except InvalidTag:
        reasons.append("decrypt raised InvalidTag")
    except Exception as exc:
        reasons.append(raised("AESGCM decrypt", exc))
    else:
        if opened != case["plaintext"]:
            reasons.append("plaintext mismatch")
    return reasons


def produce_gcm(rng: random.Random) -> Case:
    key = rng.randbytes(rng.choice(AES_KEY_SIZES))
    nonce = rng.randbytes(12)
    aad = rng.randbytes(rng.randint(0, 64))
    plaintext = rng.randbytes(rng.randint(0, 300))
    sealed = AESGCM(key).encrypt(nonce, plaintext, aad)
    return {
        "key": hx(key),
        "nonce": hx(nonce),
        "aad": hx(aad),
        "plaintext": hx(plaintext),
        "ciphertext": hx(sealed[:-GCM_TAG_LENGTH]),
        "tag": hx(sealed[-GCM_TAG_LENGTH:]),
    }


# --- pinblock4 ----------------------------------------------------------------


def verify_pinblock4(case: Case) -> list[str]:
    if len(case["block"]) != 16:
        return ["PIN block is not 16 bytes"]
    try:
        pin = pinblock.decipher_pinblock_iso_4(case["key"], case["block"], case["pan"])
    except Exception as exc:
        return [raised("decipher_pinblock_iso_4", exc)]
    return [] if pin == case["pin"] else ["PIN mismatch"]


def produce_pinblock4(rng: random.Random) -> Case:
    key = rng.randbytes(rng.choice(AES_KEY_SIZES))
    pin = "".join(rng.choice(string.digits) for _ in range(rng.randint(4, 12)))
    pan = "".join(rng.choice(string.digits) for _ in range(rng.randint(12, 19)))
    block = pinblock.encipher_pinblock_iso_4(key, pin, pan)
    return {"key": hx(key), "pin": pin, "pan": pan, "block": hx(block)}


# --- tr31d --------------------------------------------------------------------

TR31_USAGE_MODES: dict[str, str] = {
    "K0": "BDE",
    "K1": "BDE",
    "P0": "BDE",
    "M6": "CGV",
    "D0": "BDE",
    "B0": "X",
}
# psec 1.3.0 checks only that an id is 2 alphanumerics and data is printable
# ASCII; it never parses the contents, so random data is fine for all of these.
TR31_BLOCK_IDS = ("KS", "TS", "IK", "DA", "KP", "HM", "CT")
TR31_PRINTABLE = "".join(chr(c) for c in range(0x20, 0x7F))
TR31_VERSION_CHARS = string.digits + string.ascii_uppercase
_UPPER_HEX_CHARS = re.compile(r"[0-9A-F]*")


def verify_tr31d(case: Case) -> list[str]:
    kb = tr31.KeyBlock(case["kbpk"])
    try:
        key = kb.unwrap(case["block"])
    except Exception as exc:
        return [raised("unwrap", exc)]
    header = kb.header
    reasons: list[str] = []
    if header.version_id != "D":
        reasons.append(f"version ID {header.version_id!r}, expected 'D'")
    if key != case["key"]:
        reasons.append("key mismatch")
    # Header fields are cleartext in the block, so naming them is safe.
    for label, got, field in (
        ("usage", header.key_usage, "usage"),
        ("algorithm", header.algorithm, "algorithm"),
        ("mode of use", header.mode_of_use, "mode"),
        ("key version", header.version_num, "version"),
        ("exportability", header.exportability, "exportability"),
    ):
        if got != case[field]:
            reasons.append(f"{label} mismatch: got {got!r}, expected {case[field]!r}")
    if header.reserved != "00":
        reasons.append("reserved header field is not '00'")
    # psec drops pad blocks while parsing; drop them from the expectation too.
    got_blocks = list(header.blocks.items())
    want_blocks = [b for b in case["optional_blocks"] if b[0].upper() != "PB"]
    if got_blocks != want_blocks:
        reasons.append(
            "optional blocks mismatch: got ids "
            f"{[b[0] for b in got_blocks]}, expected ids {[b[0] for b in want_blocks]}"
        )
    # psec's bytes.fromhex accepts lowercase; the block format asks for uppercase.
    body = case["block"][tr31.Header().load(case["block"]) :]
    if not _UPPER_HEX_CHARS.fullmatch(body):
        reasons.append("encrypted key/MAC part is not uppercase hex")
    return reasons


def _tr31_block_data(rng: random.Random, long: bool) -> str:
    # > 251 characters forces the extended length form (00 02 LLLL).
    size = rng.randint(256, 400) if long else rng.randint(1, 48)
    return "".join(rng.choice(TR31_PRINTABLE) for _ in range(size))


def produce_tr31d(rng: random.Random) -> Case:
    kbpk = rng.randbytes(rng.choice(AES_KEY_SIZES))
    key = rng.randbytes(rng.choice([n for n in AES_KEY_SIZES if n <= len(kbpk)]))
    usage = rng.choice(sorted(TR31_USAGE_MODES))
    mode = rng.choice(TR31_USAGE_MODES[usage])
    version = "00" if rng.random() < 0.5 else "".join(rng.choices(TR31_VERSION_CHARS, k=2))
    exportability = rng.choice("ENS")
    header = tr31.Header("D", usage, "A", mode, version, exportability)
    ids = rng.sample(TR31_BLOCK_IDS, rng.randint(0, 3))  # unique: psec stores a dict
    long_index = rng.randrange(len(ids)) if ids and rng.random() < 0.15 else -1
    blocks = [(bid, _tr31_block_data(rng, i == long_index)) for i, bid in enumerate(ids)]
    for bid, data in blocks:
        header.blocks[bid] = data
    masked_key_len = rng.choice([None, len(key), 32])
    block = tr31.wrap(kbpk, header, key, masked_key_len=masked_key_len)
    return {
        "kbpk": hx(kbpk),
        "block": block,
        "key": hx(key),
        "usage": usage,
        "algorithm": "A",
        "mode": mode,
        "version": version,
        "exportability": exportability,
        "optional_blocks": [[bid, data] for bid, data in blocks],
    }


# --- components ---------------------------------------------------------------


def verify_components(case: Case) -> list[str]:
    key, parts, kcvs = case["key"], case["components"], case["component_kcvs"]
    if len(parts) not in (2, 3):
        return ["expected 2 or 3 components"]
    if len(kcvs) != len(parts):
        return ["number of component KCVs differs from number of components"]
    if any(len(part) != len(key) for part in parts):
        return ["component length differs from key length"]
    reasons: list[str] = []
    if xor_all(parts) != key:
        reasons.append("components do not XOR to the key")
    try:
        for i, (part, kcv) in enumerate(zip(parts, kcvs, strict=True)):
            if cmac_kcv(part) != kcv:
                reasons.append(f"component {i} KCV mismatch")
        if cmac_kcv(key) != case["key_kcv"]:
            reasons.append("key KCV mismatch")
    except Exception as exc:
        reasons.append(raised("CMAC", exc))
    return reasons


def produce_components(rng: random.Random) -> Case:
    size = rng.choice(AES_KEY_SIZES)
    key = rng.randbytes(size)
    parts = [rng.randbytes(size) for _ in range(rng.randint(2, 3) - 1)]
    parts.append(xor_all([key, *parts]))
    return {
        "key": hx(key),
        "components": [hx(p) for p in parts],
        "component_kcvs": [hx(cmac_kcv(p)) for p in parts],
        "key_kcv": hx(cmac_kcv(key)),
    }


# --- Kind table ---------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    fields: dict[str, Parser]
    verify: Callable[[Case], list[str]]
    produce: Callable[[random.Random], Case]


# --- ecdsa (P-256, SHA-256, raw r || s) ---------------------------------------


def _p256_private(scalar: bytes) -> ec.EllipticCurvePrivateKey:
    return ec.derive_private_key(int.from_bytes(scalar, "big"), ec.SECP256R1())


def _x963(public_key: ec.EllipticCurvePublicKey) -> bytes:
    return public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)


_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def verify_ecdsa(case: Case) -> list[str]:
    signature = case["signature"]
    if len(signature) != 64:
        return ["signature is not 64 bytes"]
    if int.from_bytes(signature[32:], "big") > _P256_ORDER // 2:
        return ["signature s is not in the lower half (mpos signs low-S only)"]
    try:
        public_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), case["public_key"])
        der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
        public_key.verify(der, case["message"], ec.ECDSA(hashes.SHA256()))
    except Exception as exc:
        return [raised("ECDSA verify", exc)]
    return []


def produce_ecdsa(rng: random.Random) -> Case:
    # Keys come from the library's own generator; the seed draws the messages.
    private_key = ec.generate_private_key(ec.SECP256R1())
    message = rng.randbytes(rng.randint(0, 300))
    r, s_value = decode_dss_signature(private_key.sign(message, ec.ECDSA(hashes.SHA256())))
    s_value = min(s_value, _P256_ORDER - s_value)  # mpos's rule: low-S
    signature = r.to_bytes(32, "big") + s_value.to_bytes(32, "big")
    return {"public_key": hx(_x963(private_key.public_key())), "message": hx(message), "signature": hx(signature)}


# --- hpke (RFC 9180 base mode, P256_SHA256_AES_GCM_256, enc || ct) ---------------

_HPKE = hpke.Suite(hpke.KEM.P256, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)


def verify_hpke(case: Case) -> list[str]:
    try:
        opened = _HPKE.decrypt(case["envelope"], _p256_private(case["private_key"]), info=case["info"])
    except Exception as exc:
        return [raised("HPKE open", exc)]
    return [] if opened == case["plaintext"] else ["plaintext mismatch"]


def produce_hpke(rng: random.Random) -> Case:
    private_key = ec.generate_private_key(ec.SECP256R1())
    plaintext = rng.randbytes(rng.randint(0, 200))
    info = rng.randbytes(rng.randint(0, 64))
    envelope = _HPKE.encrypt(plaintext, private_key.public_key(), info=info)
    scalar = private_key.private_numbers().private_value.to_bytes(32, "big")
    return {"private_key": hx(scalar), "info": hx(info), "plaintext": hx(plaintext), "envelope": hx(envelope)}


# --- keyedvalue (PVV, OVV, keyed digest: AES-CMAC as a PRF) --------------------

KEYED_VALUE_LENGTH = 16
PVV_LABEL = "MPOS PVV"
OVV_LABEL = "MPOS OPERATOR"
DIGEST_LABELS = ("MPOS CARD", "MPOS ID", "MPOS CUSTOMER")


def keyed_value(key: bytes, usage: str, label: str, data: bytes) -> bytes:
    return aes_cmac(key, usage.encode("ascii") + b"/" + label.encode("utf-8") + b"\x00" + data)


def pvv_input(pin: str, pan: str) -> bytes:
    # psec draws the 8-byte fill at random; the PVV's fill is zero.
    return pinblock.encode_pin_field_iso_4(pin)[:8] + bytes(8) + pinblock.encode_pan_field_iso_4(pan)


def ovv_input(number: bytes, key: bytes) -> bytes:
    return bytes([len(number)]) + number + bytes([len(key)]) + key


def _pvv_input_reasons(data: bytes) -> list[str]:
    # Structure only; reasons name no PIN or PAN digit.
    if len(data) != 32:
        return ["PVV input is not 32 bytes"]
    pin_field, pan_field = data[:16], data[16:]
    reasons: list[str] = []
    try:
        pinblock.decode_pin_field_iso_4(pin_field)
    except Exception as exc:
        reasons.append(raised("decode_pin_field_iso_4", exc))
    if pin_field[8:] != bytes(8):
        reasons.append("PVV PIN field fill is not zero")
    nibbles = pan_field.hex().upper()
    extra = int(nibbles[0], 16)
    digits = nibbles[1 : 13 + extra]
    if extra > 7 or not digits.isdigit() or pinblock.encode_pan_field_iso_4(digits) != pan_field:
        reasons.append("PVV PAN part is not a format 4 PAN field")
    return reasons


def _ovv_input_reasons(data: bytes) -> list[str]:
    if not data or len(data) < 1 + data[0] + 1:
        return ["OVV input is not len || number || len || key"]
    key_at = 1 + data[0]
    if len(data) != key_at + 1 + data[key_at]:
        return ["OVV input is not len || number || len || key"]
    return []


def verify_keyedvalue(case: Case) -> list[str]:
    usage, label, data = case["usage"], case["label"], case["input"]
    label_bytes = label.encode("utf-8")
    if not 1 <= len(label_bytes) <= 64 or b"\x00" in label_bytes:
        return ["label is not 1..64 bytes without 00"]
    if len(case["value"]) != KEYED_VALUE_LENGTH:
        return ["value is not 16 bytes"]
    reasons: list[str] = []
    if usage == "V0":
        if label != PVV_LABEL:
            reasons.append(f"V0 label is {label!r}, expected {PVV_LABEL!r}")
        reasons += _pvv_input_reasons(data)
    elif usage == "10":
        if label != OVV_LABEL:
            reasons.append(f"10 label is {label!r}, expected {OVV_LABEL!r}")
        reasons += _ovv_input_reasons(data)
    elif usage != "11":
        return [f"usage {usage!r} is not V0, 10 or 11"]
    try:
        expected = keyed_value(case["key"], usage, label, data)
    except Exception as exc:
        return reasons + [raised("CMAC", exc)]
    if expected != case["value"]:
        reasons.append("keyed value mismatch")
    return reasons


def produce_keyedvalue(rng: random.Random) -> Case:
    key = rng.randbytes(rng.choice(AES_KEY_SIZES))
    usage = rng.choice(("V0", "10", "11"))
    if usage == "V0":
        label = PVV_LABEL
        pin = "".join(rng.choice(string.digits) for _ in range(rng.randint(4, 12)))
        pan = "".join(rng.choice(string.digits) for _ in range(rng.randint(12, 19)))
        data = pvv_input(pin, pan)
    elif usage == "10":
        label = OVV_LABEL
        number = "".join(rng.choice(string.digits) for _ in range(rng.randint(1, 8))).encode("ascii")
        operator_key = rng.randbytes(rng.randint(4, 16))
        data = ovv_input(number, operator_key)
    else:
        if rng.random() < 0.5:
            label = rng.choice(DIGEST_LABELS)
        else:
            label = "".join(rng.choice(TR31_PRINTABLE) for _ in range(rng.randint(1, 64)))
        data = rng.randbytes(rng.randint(0, 64))
    value = keyed_value(key, usage, label, data)
    return {"usage": usage, "label": label, "key": hx(key), "input": hx(data), "value": hx(value)}


# --- lmkblock (keys at rest under the local master key) ------------------------

LMK_LENGTH = 32
LMK_BLOCK_LENGTH = 144  # 16 header + hex(2 + 32 masked + 14 pad) + hex(16-byte MAC)
LMK_USAGES: dict[tuple[str, str], str] = {
    ("P0", "A"): "BDE",
    ("M6", "A"): "CGV",
    ("D0", "A"): "BDE",
    ("B0", "A"): "X",
    ("V0", "A"): "CGV",
    ("10", "A"): "CGV",
    ("11", "A"): "CGV",
    ("S0", "E"): "S",
    ("K3", "E"): "D",
}


def verify_lmkblock(case: Case) -> list[str]:
    if len(case["lmk"]) != LMK_LENGTH:
        return ["LMK is not 32 bytes"]
    try:
        header, key = tr31.unwrap(case["lmk"], case["block"])
    except Exception as exc:
        return [raised("unwrap", exc)]
    reasons: list[str] = []
    if header.version_id != "D":
        reasons.append(f"version ID {header.version_id!r}, expected 'D'")
    if key != case["key"]:
        reasons.append("key mismatch")
    for label, got, field in (
        ("usage", header.key_usage, "usage"),
        ("algorithm", header.algorithm, "algorithm"),
        ("mode of use", header.mode_of_use, "mode"),
        ("key version", header.version_num, "version"),
        ("exportability", header.exportability, "exportability"),
    ):
        if got != case[field]:
            reasons.append(f"{label} mismatch: got {got!r}, expected {case[field]!r}")
    if header.exportability != "N":
        reasons.append(f"exportability {header.exportability!r}: a block under the LMK is 'N'")
    modes = LMK_USAGES.get((header.key_usage, header.algorithm))
    if modes is None or header.mode_of_use not in modes:
        reasons.append(
            f"usage/algorithm/mode {header.key_usage}/{header.algorithm}/{header.mode_of_use} is not an LMK key type"
        )
    if len(header.blocks) != 0 or header.reserved != "00":
        reasons.append("an LMK block has no optional blocks and reserved '00'")
    if len(case["block"]) != LMK_BLOCK_LENGTH:
        reasons.append(
            f"block is {len(case['block'])} characters, expected {LMK_BLOCK_LENGTH} (length masked to 32 bytes)"
        )
    if header.algorithm == "E":
        if len(key) != 32:
            reasons.append("P-256 scalar is not 32 bytes")
        else:
            try:
                _p256_private(key)
            except Exception as exc:
                reasons.append(raised("P-256 private key", exc))
    elif len(key) not in AES_KEY_SIZES:
        reasons.append("AES key is not 16, 24 or 32 bytes")
    body = case["block"][16:]
    if not _UPPER_HEX_CHARS.fullmatch(body):
        reasons.append("encrypted key/MAC part is not uppercase hex")
    return reasons


def produce_lmkblock(rng: random.Random) -> Case:
    lmk = rng.randbytes(LMK_LENGTH)
    usage, algorithm = rng.choice(sorted(LMK_USAGES))
    mode = rng.choice(LMK_USAGES[(usage, algorithm)])
    if algorithm == "E":
        # The library's own generator, as for ecdsa/hpke; the seed draws everything else.
        private_key = ec.generate_private_key(ec.SECP256R1())
        key = private_key.private_numbers().private_value.to_bytes(32, "big")
        version = "00"
    else:
        key = rng.randbytes(rng.choice(AES_KEY_SIZES))
        version = "00" if rng.random() < 0.5 else "".join(rng.choices(TR31_VERSION_CHARS, k=2))
    header = tr31.Header("D", usage, algorithm, mode, version, "N")
    block = tr31.wrap(lmk, header, key, masked_key_len=32)
    return {
        "lmk": hx(lmk),
        "block": block,
        "key": hx(key),
        "usage": usage,
        "algorithm": algorithm,
        "mode": mode,
        "version": version,
        "exportability": "N",
    }


KINDS: dict[str, Kind] = {
    "kcv": Kind({"key": p_hex, "length": p_int, "kcv": p_hex}, verify_kcv, produce_kcv),
    "cmac": Kind({"key": p_hex, "message": p_hex, "mac": p_hex}, verify_cmac, produce_cmac),
    "kbkdf": Kind(
        {"key": p_hex, "label": p_hex, "context": p_hex, "length": p_int, "output": p_hex},
        verify_kbkdf,
        produce_kbkdf,
    ),
    "gcm": Kind(
        {
            "key": p_hex,
            "nonce": p_hex,
            "aad": p_hex,
            "plaintext": p_hex,
            "ciphertext": p_hex,
            "tag": p_hex,
        },
        verify_gcm,
        produce_gcm,
    ),
    "pinblock4": Kind(
        {"key": p_hex, "pin": p_str, "pan": p_str, "block": p_hex},
        verify_pinblock4,
        produce_pinblock4,
    ),
    "tr31d": Kind(
        {
            "kbpk": p_hex,
            "block": p_str,
            "key": p_hex,
            "usage": p_str,
            "algorithm": p_str,
            "mode": p_str,
            "version": p_str,
            "exportability": p_str,
            "optional_blocks": p_blocks,
        },
        verify_tr31d,
        produce_tr31d,
    ),
    "components": Kind(
        {"key": p_hex, "components": p_hex_list, "component_kcvs": p_hex_list, "key_kcv": p_hex},
        verify_components,
        produce_components,
    ),
    "ecdsa": Kind({"public_key": p_hex, "message": p_hex, "signature": p_hex}, verify_ecdsa, produce_ecdsa),
    "hpke": Kind(
        {"private_key": p_hex, "info": p_hex, "plaintext": p_hex, "envelope": p_hex},
        verify_hpke,
        produce_hpke,
    ),
    "keyedvalue": Kind(
        {"usage": p_str, "label": p_str, "key": p_hex, "input": p_hex, "value": p_hex},
        verify_keyedvalue,
        produce_keyedvalue,
    ),
    "lmkblock": Kind(
        {
            "lmk": p_hex,
            "block": p_str,
            "key": p_hex,
            "usage": p_str,
            "algorithm": p_str,
            "mode": p_str,
            "version": p_str,
            "exportability": p_str,
        },
        verify_lmkblock,
        produce_lmkblock,
    ),
}


# --- Commands -----------------------------------------------------------------


def parse_request(text: str) -> tuple[str, list[Case]]:
    """Validate the whole verify request; raise MalformedInput on any protocol error."""
    try:
        request = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MalformedInput(f"stdin is not valid JSON (line {exc.lineno})") from None
    if not isinstance(request, dict):
        raise MalformedInput("top-level JSON value must be an object")
    kind_name = request.get("kind")
    if kind_name not in KINDS:
        raise MalformedInput(f"unknown kind; expected one of {sorted(KINDS)}")
    raw_cases = request.get("cases")
    if not isinstance(raw_cases, list):
        raise MalformedInput("'cases' must be a list")
    fields = KINDS[kind_name].fields
    cases: list[Case] = []
    for index, raw in enumerate(raw_cases):
        if not isinstance(raw, dict):
            raise MalformedInput(f"case {index}: must be an object")
        case: Case = {}
        for name, parse in fields.items():
            if name not in raw:
                raise MalformedInput(f"case {index}: missing field {name!r}")
            try:
                case[name] = parse(raw[name])
            except MalformedInput as exc:
                # Message names the field only, never its value.
                raise MalformedInput(f"case {index}: field {name!r}: {exc}") from None
        cases.append(case)
    return kind_name, cases


def command_verify() -> int:
    try:
        kind_name, cases = parse_request(sys.stdin.read())
    except MalformedInput as exc:
        print(f"crosscheck: malformed input: {exc}", file=sys.stderr)
        return 2
    verify = KINDS[kind_name].verify
    failures: list[dict[str, Any]] = []
    for index, case in enumerate(cases):
        try:
            reasons = verify(case)
        except Exception as exc:  # a surprise in the oracle still must not leak messages
            reasons = [raised("check", exc)]
        if reasons:
            failures.append({"index": index, "reason": "; ".join(reasons)})
    json.dump({"kind": kind_name, "checked": len(cases), "failures": failures}, sys.stdout)
    sys.stdout.write("\n")
    return 0


def command_produce(kind_name: str, count: int, seed: int) -> int:
    rng = random.Random(seed)
    produce = KINDS[kind_name].produce
    cases = [produce(rng) for _ in range(count)]
    json.dump({"kind": kind_name, "cases": cases}, sys.stdout)
    sys.stdout.write("\n")
    return 0


def non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be >= 0")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("verify", help="check cases from stdin with the independent libraries")
    produce = commands.add_parser("produce", help="print random cases made by the libraries")
    produce.add_argument("--kind", required=True, choices=sorted(KINDS))
    produce.add_argument("--count", required=True, type=non_negative_int)
    produce.add_argument("--seed", required=True, type=int)
    args = parser.parse_args(argv)  # argparse itself exits 2 on bad usage
    if args.command == "verify":
        return command_verify()
    return command_produce(args.kind, args.count, args.seed)


if __name__ == "__main__":
    sys.exit(main())
