"""A terminal written from docs/protocol.md alone, run against a real `mpos-host serve`.

It knows mpos only through spec_page.py, which reads the page: field formats, messages, the
fields of each message, response codes, the order of the host's checks and how each response
is protected, KDF labels, HPKE info strings, associated data, key-block and TLV tables. The
cryptography is pyca/cryptography and psec, the codec pyiso8583: no mpos code. It enrolls,
signs on, opens cards, signs contracts, echoes and signs off, provokes every refusal a terminal
can provoke, and checks every response's code, field set, MAC, signature, field 121 and check
value against what the page says; first it re-verifies the page's worked example (§7) with the
page's own constants.

    python spec_terminal.py --page docs/protocol.md --host 127.0.0.1 --port P \
        --admin '["/path/to/mpos-host"]' --admin-suffix '["--data-dir", "/path/to/data"]' [--mutations]

`--admin` is how the terminal's tester sets up what a terminal cannot (operators, terminal
IDs and codes, blocking a terminal): the real `mpos-host` commands. Prints JSON and exits 0:
    {"checked": N, "failures": [...]}                                   without --mutations
    {"baseline": {...}, "mutations": N, "detected": [{"changed": …, "found by": …, "first failure": …}],
     "undetected": ["what was changed", ...]}                               with it
With --mutations each constant of the page is changed in turn (spec_page.mutations) and the
whole flow run again on fresh terminals, stopping at the first failure: a constant whose change
goes undetected is listed, and each detection says what found it — "host" (a response of the
host disagreed with the changed page), "terminal" (the terminal could not build a request from
it, so it never reached the host), "page alone" (only the page's own checks: §4.3/§4.4 agree,
§7 verifies with the page's constants) or "page" (the page no longer parses). Exit 2 if the
page or the host cannot be reached at all.

What the terminal takes from the page's prose rather than its ◆ tables (structure, not
constants): the frame's 2-byte length (§1); which bytes fields 64, 121, 127 and 128 cover and
that they end the message (§1); that a response echoes fields 3, 7, 11, 41 and 70 (§4.1); the
TLV layout (§5.4); TR-31 version D and where a block's length sits (§5.3); 16-byte AES keys and
65-byte P-256 points (§5.1, §3); field 7's format (§3); that the third wrong PIN in a row
reaches the limit by default (§4.4); a BIN of the host's ranges (`--bin`, default 622588, the
first of `init`'s ranges in "Integrating a terminal").
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

import iso8583
from cryptography.hazmat.primitives import hashes, hpke
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.cmac import CMAC
from cryptography.hazmat.primitives.kdf.kbkdf import KBKDFCMAC, CounterLocation, Mode
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from psec import pinblock, tr31

import spec_page
from spec_page import Check, Page, PageError, evaluate, split_known_prefix

P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
# RFC 9180's registry: the identifiers the page's HPKE suite names, as pyca/cryptography spells them.
HPKE_KEMS = {0x0010: hpke.KEM.P256, 0x0011: hpke.KEM.P384, 0x0012: hpke.KEM.P521, 0x0020: hpke.KEM.X25519}
HPKE_KDFS = {0x0001: hpke.KDF.HKDF_SHA256, 0x0002: hpke.KDF.HKDF_SHA384, 0x0003: hpke.KDF.HKDF_SHA512}
HPKE_AEADS = {0x0001: hpke.AEAD.AES_128_GCM, 0x0002: hpke.AEAD.AES_256_GCM, 0x0003: hpke.AEAD.CHACHA20_POLY1305}
TIMEOUT = 10.0  # seconds for any one exchange with the host


class Failure(Exception):
    """A check that failed, when the run stops at the first one."""


class Recorder:
    def __init__(self, stop_at_first: bool) -> None:
        self.stop_at_first = stop_at_first
        self.checked = 0
        self.failures: list[str] = []

    def check(self, condition: bool, what: str) -> bool:
        self.checked += 1
        if not condition:
            self.failures.append(what)
            if self.stop_at_first:
                raise Failure(what)
        return condition


# MARK: Primitives (pyca/cryptography, psec)


def cmac(key: bytes, data: bytes) -> bytes:
    c = CMAC(algorithms.AES(key))
    c.update(data)
    return c.finalize()


def check_value(key: bytes) -> str:
    """§5.1: AES-CMAC of 16 zero bytes, first 3 bytes, upper-case hex."""
    return cmac(key, bytes(16))[:3].hex().upper()


def kdf(key: bytes, label: bytes, context: bytes) -> bytes:
    """§5.1: SP 800-108 counter mode, AES-CMAC, 32-bit counter before the fixed input, [L]₃₂, 128 bits."""
    return KBKDFCMAC(algorithm=algorithms.AES, mode=Mode.CounterMode, length=16, rlen=4, llen=4,
                     location=CounterLocation.BeforeFixed, label=label, context=context, fixed=None).derive(key)


def x963(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) -> bytes:
    public = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
    return public.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)


def fingerprint(point: bytes) -> str:
    """§5.9: first 8 bytes of SHA-256 of the 65-byte point, upper-case hex."""
    return hashlib.sha256(point).digest()[:8].hex().upper()


def sign(key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    """ECDSA P-256 over SHA-256, raw r ‖ s, low-S."""
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
    if s > P256_ORDER // 2:
        s = P256_ORDER - s
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def signature_ok(point: bytes, signature: bytes, data: bytes) -> bool:
    if len(signature) != 64 or int.from_bytes(signature[32:], "big") > P256_ORDER // 2:
        return False
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point).verify(der, data, ec.ECDSA(hashes.SHA256()))
        return True
    except Exception:
        return False


def hpke_suite(page: Page) -> hpke.Suite:
    kem, kdf_id, aead = page.hpke_suite
    if kem not in HPKE_KEMS or kdf_id not in HPKE_KDFS or aead not in HPKE_AEADS:
        raise PageError("§5.1 names an HPKE suite this terminal has no implementation of")
    return hpke.Suite(HPKE_KEMS[kem], HPKE_KDFS[kdf_id], HPKE_AEADS[aead])


def luhn_digit(payload: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return str((10 - total % 10) % 10)


# MARK: The codec, from §3


class Codec:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.spec: dict[str, dict[str, Any]] = {
            "h": {"data_enc": "ascii", "len_enc": "ascii", "len_type": 0, "max_len": 0, "desc": "no header"},
            "t": {"data_enc": "ascii", "len_enc": "ascii", "len_type": 0, "max_len": 4, "desc": "MTI"},
            "p": {"data_enc": "b", "len_enc": "ascii", "len_type": 0, "max_len": 8, "desc": "primary bitmap"},
            "1": {"data_enc": "b", "len_enc": "ascii", "len_type": 0, "max_len": 8, "desc": "secondary bitmap"},
        }
        for f in page.fields.values():
            self.spec[str(f.number)] = {"data_enc": "b" if f.kind == "b" else "ascii", "len_enc": "ascii",
                                        "len_type": f.prefix, "max_len": f.length, "desc": f"field {f.number}"}

    def encode(self, mti: str, fields: dict[int, bytes]) -> bytes:
        doc: dict[str, Any] = {"t": mti}
        for number, value in fields.items():
            if number not in self.page.fields:
                raise PageError(f"§3 has no field {number}")
            doc[str(number)] = value.hex().upper() if self.page.fields[number].kind == "b" else value.decode("ascii")
        raw, _ = iso8583.encode(doc, self.spec)
        return bytes(raw)

    def decode(self, raw: bytes) -> tuple[str, dict[int, bytes]]:
        """Strict: §2's rules, and the same bytes when encoded again."""
        doc, _ = iso8583.decode(bytearray(raw), self.spec)
        fields: dict[int, bytes] = {}
        for key, value in doc.items():
            if key in ("t", "p", "1", "h"):
                continue
            number = int(key)
            kind = self.page.fields[number].kind
            data = bytes.fromhex(value) if kind == "b" else value.encode("ascii")
            if kind == "n" and not data.isdigit():
                raise ValueError(f"field {number} is numeric")
            if kind == "ans" and not all(0x20 <= b <= 0x7E for b in data):
                raise ValueError(f"field {number} is printable ASCII")
            fields[number] = data
        if self.encode(doc["t"], fields) != raw:
            raise ValueError("the message has another encoding")
        return doc["t"], fields


# MARK: The wire (§1)


class HostLink:
    """One connection per request (§1 allows it): 2-byte big-endian length, then the message."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port

    def exchange(self, message: bytes) -> bytes | None:
        return self.exchange_raw(len(message).to_bytes(2, "big") + message)

    def exchange_raw(self, data: bytes, timeout: float = TIMEOUT) -> bytes | None:
        """The response message, or None if the host closed the connection instead."""
        with socket.create_connection((self.host, self.port), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(data)
            header = self._read(s, 2)
            if header is None:
                return None
            return self._read(s, int.from_bytes(header, "big"))

    @staticmethod
    def _read(s: socket.socket, count: int) -> bytes | None:
        out = b""
        while len(out) < count:
            try:
                chunk = s.recv(count - len(out))
            except socket.timeout:
                raise Failure(f"the host sent no response within {s.gettimeout():.0f} s") from None
            except ConnectionResetError:
                return None
            if not chunk:
                return None
            out += chunk
        return out


class Admin:
    """The real `mpos-host` administration commands (what a terminal's tester has)."""

    def __init__(self, argv: list[str], suffix: list[str]) -> None:
        self.argv, self.suffix = argv, suffix

    def run(self, *args: str, stdin: str = "") -> Any:
        done = subprocess.run(self.argv + list(args) + self.suffix + ["--json"], input=stdin.encode(), capture_output=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"mpos-host {' '.join(args)} failed: {done.stderr.decode(errors='replace')[-400:]}")
        return json.loads(done.stdout)


# MARK: The terminal


@dataclass
class Session:
    keys: dict[str, bytes]  # the page's key names (§5.3) → bytes
    key_set: bytes          # field 53


class Terminal:
    def __init__(self, run: "Run", terminal_id: str, code: str = "") -> None:
        self.run, self.page, self.codec, self.rec = run, run.page, run.codec, run.rec
        self.id = terminal_id
        self.code = bytes.fromhex(code.replace("-", "").replace(" ", "")) if code else bytes(16)
        self.signing = ec.generate_private_key(ec.SECP256R1())
        self.sealing = ec.generate_private_key(ec.SECP256R1())
        self.stan = 0
        self.session: Session | None = None

    # Requests

    def header(self, operation: str, stan: str | None = None, skew: float = 0) -> tuple[str, dict[int, bytes]]:
        op = self.page.operation(operation)
        if stan is None:
            self.stan = self.stan % 999_999 + 1
            stan = f"{self.stan:06d}"
        moment = time.gmtime(time.time() + skew)
        values = {7: time.strftime("%m%d%H%M%S", moment).encode(), 11: stan.encode(), 41: self.id.encode(), op.field: op.value.encode()}
        return op.request_mti, values

    def message(self, operation: str, values: dict[int, bytes], mti: str, extra: dict[int, bytes] | None = None) -> bytes:
        """Exactly the fields §4.2 lists for the request (plus `extra`, to provoke a 30), then its
        protection: 127 signs, 128 MACs under K_EC, 64 MACs under the session's key (§1)."""
        listed = self.page.fields_of(f"{operation} request")
        protection = [n for n in listed if n in (64, 127, 128)]
        fields = {}
        for n in listed:
            if n in protection:
                continue
            if n not in values:
                raise PageError(f"§4.2 lists field {n} for a {operation} request, which this terminal has no value for")
            fields[n] = values[n]
        fields.update(extra or {})
        fields.update({n: bytes(64 if n == 127 else 16) for n in protection})
        fields = dict(sorted(fields.items()))
        raw = bytearray(self.codec.encode(mti, fields))
        if protection == [127]:
            raw[-64:] = sign(self.signing, bytes(raw[:-64]))
        elif protection == [127, 128]:
            raw[-80:-16] = sign(self.signing, bytes(raw[:-80]))
            raw[-16:] = cmac(self.enrollment_key("request"), bytes(raw[:-16]))
        elif protection == [64]:
            if not self.session:
                raise PageError("a business message needs session keys")
            raw[-16:] = cmac(self.session_key("MAC key"), bytes(raw[:-16]))
        else:
            raise PageError(f"§4.2's {operation} request ends with {protection}: no protection this page defines")
        return bytes(raw)

    def enrollment_key(self, direction: str) -> bytes:
        label = evaluate(self.page.constant(f"K_EC label, {direction}"))
        return kdf(self.code, label, evaluate(self.page.constant("K_EC context"), fields={41: self.id.encode()}))

    def session_key(self, name: str) -> bytes:
        assert self.session
        if name not in self.session.keys:
            raise PageError(f"§5.3 delivers no '{name}'")
        return self.session.keys[name]

    def enrollment(self, skew: float = 0, extra: dict[int, bytes] | None = None) -> bytes:
        mti, values = self.header("enrollment", skew=skew)
        values[120] = x963(self.signing) + x963(self.sealing)
        return self.message("enrollment", values, mti, extra)

    def network(self, operation: str, number: str = "", key: str = "", skew: float = 0, stan: str | None = None,
                extra: dict[int, bytes] | None = None, seal_with_time: bytes | None = None) -> bytes:
        mti, values = self.header(operation, stan=stan, skew=skew)
        if 63 in self.page.fields_of(f"{operation} request"):
            info_fields = dict(values)
            if seal_with_time:
                info_fields[7] = seal_with_time  # an envelope made for another message
            info = evaluate(self.page.constant("credentials info"), mti=mti, fields=info_fields)
            plaintext = evaluate(self.page.constant("credentials"), number=number.encode(), key=key.encode())
            values[63] = hpke_suite(self.page).encrypt(plaintext, ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), self.run.host_sealing), info=info)
        return self.message(operation, values, mti, extra)

    def business(self, operation: str, card: str, items: dict[str, str], pin: str = "123456", pin_card: str | None = None,
                 skew: float = 0, stan: str | None = None, extra: dict[int, bytes] | None = None) -> bytes:
        mti, values = self.header(operation, stan=stan, skew=skew)
        assert self.session
        values[53] = self.session.key_set
        values[52] = pinblock.encipher_pinblock_iso_4(self.session_key("PIN key"), pin, pin_card or card)
        needed = {name: it for name, it in self.page.items.items()
                  if (it.card_opening if operation == "card opening" else it.contract_signing)}
        tlv = b""
        for name, it in needed.items():
            value = items.get(name)
            if value is None:
                raise PageError(f"§5.4 requires the {name} for {operation}, which this terminal has no value for")
            data = value.encode("ascii")
            tlv += bytes([it.tag]) + len(data).to_bytes(2, "big") + data
        for name, value in items.items():  # items §5.4 does not list for the operation: provoking a 30
            if name.startswith("extra:"):
                data = value.encode()
                tlv += bytes([self.page.item(name[6:]).tag]) + len(data).to_bytes(2, "big") + data
        aad = evaluate(self.page.constant("business associated data"), mti=mti, fields=values)
        nonce = os.urandom(12)
        values[61] = nonce + AESGCM(self.session_key("data key")).encrypt(nonce, tlv, aad)
        return self.message(operation, values, mti, extra)

    # Responses

    def expect(self, operation: str, request: bytes, response: bytes | None, check: Check, first: bytes | None = None,
               what: str = "") -> dict[int, bytes]:
        """Checks `response` as §4.4's row `check` says it must be: code, protection and field
        set (§4.2), echoed fields (§4.1), MAC, signature, field 121. Returns its fields."""
        label = f"{what or operation}: expected {check.code} ({check.text[:50]})"
        if not self.rec.check(response is not None, f"{label}: the host closed the connection"):
            return {}
        assert response is not None
        if check.protection == "as first sent":
            self.rec.check(response == first, f"{label}: not the first response, byte for byte")
            fields = self.codec.decode(response)[1]
            if check.code != "—":  # a row with a code of its own: the stored response must carry it
                self.rec.check(fields.get(39, b"").decode() == check.code, f"{label}: the stored response carries another code")
            return fields
        try:
            mti, fields = self.codec.decode(response)
        except Exception as exc:
            self.rec.check(False, f"{label}: the response does not decode ({type(exc).__name__})")
            return {}
        op = self.page.operation(operation)
        _, sent = self.codec.decode(request)
        self.rec.check(mti == op.response_mti, f"{label}: MTI {mti}")
        for n in (3, 7, 11, 41, 70):
            if n in sent:
                self.rec.check(fields.get(n) == sent[n], f"{label}: field {n} not echoed")
        code = fields.get(39, b"").decode()
        self.rec.check(code in self.page.codes, f"{label}: code {code} is not in §4.3")
        self.rec.check(code == check.code, f"{label}: got {code}")
        present = sorted(fields)
        digest_ok = fields.get(121) == hashlib.sha256(request).digest()
        if check.protection == "signature":
            row = {"enrollment": "enrollment response, signed only", "echo test": "echo test response", "sign-off": "sign-off response",
                   "sign-on": "sign-on response 00" if code == "00" else "sign-on response, refusal"}.get(operation, "business refusal, signed")
            self.rec.check(present == self.page.fields_of(row), f"{label}: fields {present}, §4.2 '{row}'")
            self.rec.check(digest_ok, f"{label}: field 121 is not the request's digest")
            self.rec.check(self.run.host_signing is not None and signature_ok(self.run.host_signing, response[-64:], response[:-64]),
                           f"{label}: the host signature does not verify")
        elif check.protection == "K_EC and signature":
            row = "enrollment response under K_EC"
            self.rec.check(present == self.page.fields_of(row), f"{label}: fields {present}, §4.2 '{row}'")
            self.rec.check(cmac(self.enrollment_key("response"), response[:-16]) == response[-16:], f"{label}: field 128 under K_EC (response)")
            self.rec.check(signature_ok(fields.get(120, b"")[:65], response[-80:-16], response[:-80]), f"{label}: the signature by field 120's key")
            self.rec.check(digest_ok, f"{label}: field 121 is not the request's digest")
        elif check.protection == "MAC":
            row = "business response 00" if code == "00" else "business refusal under MAC"
            self.rec.check(present == self.page.fields_of(row), f"{label}: fields {present}, §4.2 '{row}'")
            self.rec.check(self.session is not None and cmac(self.session_key("MAC key"), response[:-16]) == response[-16:],
                           f"{label}: field 64 under the session's MAC key")
        else:
            raise PageError(f"§4.4: '{check.protection}' is no protection this page defines")
        return fields

    def take_sign_on(self, fields: dict[int, bytes]) -> None:
        """§5.3: open the TMK envelope, unwrap field 62's blocks as §5.3's table says, check values."""
        info = evaluate(self.page.constant("master key info"), fields=fields)
        try:
            plaintext = hpke_suite(self.page).decrypt(fields[63], self.sealing, info=info)
        except Exception:
            self.rec.check(False, "sign-on: field 63 does not open with the device sealing key and the master key info")
            return
        prefix = split_known_prefix(self.page.constant("master key envelope"), "key")
        self.rec.check(plaintext.startswith(prefix) and len(plaintext) == len(prefix) + 16, "sign-on: field 63 is not the master key envelope")
        master = plaintext[len(prefix):]
        blocks = fields[62].decode("ascii")
        keys: dict[str, bytes] = {}
        for slot in self.page.key_blocks:
            try:
                length = int(blocks[1:5])
                header, key = tr31.unwrap(master, blocks[:length])
            except Exception as exc:
                self.rec.check(False, f"sign-on: block {slot.position} does not unwrap ({type(exc).__name__})")
                return
            self.rec.check((header.version_id, header.key_usage, header.mode_of_use, header.exportability) == ("D", slot.usage, slot.mode, slot.exportability),
                           f"sign-on: block {slot.position} is {header.key_usage}/{header.mode_of_use}/{header.exportability}, §5.3 says {slot.usage}/{slot.mode}/{slot.exportability}")
            self.rec.check(blocks[length:length + 6] == check_value(key), f"sign-on: block {slot.position}'s check value")
            keys[slot.key] = key
            blocks = blocks[length + 6:]
        self.rec.check(blocks == "", "sign-on: field 62 holds more than §5.3's blocks")
        self.session = Session(keys=keys, key_set=fields[53])


# MARK: The flow


class Run:
    """One run of the whole flow, on fresh terminals, against the host."""

    def __init__(self, page: Page, link: HostLink, admin: Admin, shared: dict[str, Any], pool: list[dict[str, str]], index: int,
                 stop_at_first: bool) -> None:
        self.page, self.link, self.admin, self.shared, self.index = page, link, admin, shared, index
        self.codec = Codec(page)
        self.rec = Recorder(stop_at_first)
        self.pool = pool
        self.host_signing: bytes | None = None
        self.host_sealing: bytes = b""

    def card(self, serial: int) -> str:
        body = self.shared["bin"] + f"{self.index * 20 + serial:09d}"
        return body + luhn_digit(body)

    def terminal(self) -> Terminal:
        entry = self.pool.pop()
        return Terminal(self, entry["terminal_id"], entry["enrollment_code"])

    def send(self, t: Terminal, operation: str, request: bytes, table: str, words: str, first: bytes | None = None, what: str = "") -> dict[int, bytes]:
        response = self.link.exchange(request)
        fields = t.expect(operation, request, response, self.page.check(table, words), first=first, what=what)
        self.last_response = response
        return fields

    def against_the_host(self) -> None:
        self.enrollment()
        self.signed_out()
        self.sign_on()
        self.card_opening()
        self.contract_signing()
        self.sessions_ending()
        self.blocked_and_unknown()
        self.closing()

    def page_alone(self) -> None:
        self.consistency()
        self.worked_example()

    def consistency(self) -> None:
        used = {c.code for rows in self.page.checks.values() for c in rows if c.code != "—"}
        for code in self.page.codes:
            self.rec.check(code in used, f"page: §4.3's {code} is in none of §4.4's tables")
        for code in used:
            self.rec.check(code in self.page.codes, f"page: §4.4's {code} is not in §4.3")

    # §7 with this page's constants

    def worked_example(self) -> None:
        p, rec = self.page, self.rec
        inputs = p.example_inputs
        steps = {title.split(":")[0]: values for title, values in p.example_steps.items()}
        tid = inputs["terminal ID (field 41)"].encode()
        t = Terminal(self, tid.decode(), inputs["enrollment code"])
        for direction in ("request", "response"):
            rec.check(check_value(t.enrollment_key(direction)) == steps["Enrollment of terminal 1#"][f"K_EC ({direction}) check value"],
                      f"§7: K_EC ({direction}) check value")
        enrollment = steps["Enrollment of terminal 1#"]
        request = bytes.fromhex(enrollment["0800 request message"])
        response = bytes.fromhex(enrollment["0810 response message"])
        for name, raw, direction in [("0800", request, "request"), ("0810", response, "response")]:
            _, fields = self.codec.decode(raw)
            rec.check(cmac(t.enrollment_key(direction), raw[:-16]) == raw[-16:], f"§7: enrollment {name} field 128")
            rec.check(signature_ok(fields[120][:65], raw[-80:-16], raw[:-80]), f"§7: enrollment {name} signature")
        rec.check(self.codec.decode(response)[1].get(121) == hashlib.sha256(request).digest(), "§7: enrollment 0810 field 121")

        suite = hpke_suite(p)
        scalar = lambda name: ec.derive_private_key(int(inputs[name], 16), ec.SECP256R1())
        host_signing, host_sealing = x963(scalar("host signing key (P-256 scalar)")), scalar("host sealing key (P-256 scalar)")
        device_signing, device_sealing = x963(scalar("device signing key (P-256 scalar)")), scalar("device sealing key (P-256 scalar)")
        number, key = (s.strip() for s in inputs["operator number / key"].split("/"))
        for step, req_name, rsp_name in [("Steps 101-104", "0800 request message", "0810 response message"), ("Step 112", "0820 request message", "0830 response message")]:
            req, rsp = bytes.fromhex(steps[step][req_name]), bytes.fromhex(steps[step][rsp_name])
            mti, fields = self.codec.decode(req)
            rec.check(signature_ok(device_signing, req[-64:], req[:-64]), f"§7 {step}: request signature")
            try:
                credentials = suite.decrypt(fields[63], host_sealing, info=evaluate(p.constant("credentials info"), mti=mti, fields=fields))
            except Exception:
                credentials = b""
            rec.check(credentials == evaluate(p.constant("credentials"), number=number.encode(), key=key.encode()), f"§7 {step}: the credentials in field 63")
            rec.check(signature_ok(host_signing, rsp[-64:], rsp[:-64]), f"§7 {step}: response signature")
            rec.check(self.codec.decode(rsp)[1].get(121) == hashlib.sha256(req).digest(), f"§7 {step}: response field 121")

        sign_on = steps["Steps 101-104"]
        _, fields = self.codec.decode(bytes.fromhex(sign_on["0810 response message"]))
        tmk = kdf(bytes.fromhex(inputs["base master key (B0), version 1"]), evaluate(p.constant("TMK label")),
                  evaluate(p.constant("TMK context"), fields={41: tid}, version=int(fields[53][:4]), device_signing_key=device_signing))
        rec.check(check_value(tmk) == sign_on["terminal master key check value (K1, derived)"], "§7: the TMK from the TMK label and context")
        t.sealing = device_sealing
        t.take_sign_on(fields)
        for slot in p.key_blocks:
            rec.check(t.session is not None and t.session.keys.get(slot.key) == bytes.fromhex(inputs.get(f"{slot.key} ({slot.usage})", "")),
                      f"§7: the {slot.key} in field 62")
        if t.session is None:
            return
        pan = inputs["card number"]
        for step in ("Steps 105-108", "Steps 109-111"):
            values = steps[step]
            req = bytes.fromhex(values["0200 request message"])
            mti, fields = self.codec.decode(req)
            rec.check(cmac(t.session_key("MAC key"), req[:-16]) == req[-16:], f"§7 {step}: request field 64")
            rec.check(pinblock.decipher_pinblock_iso_4(t.session_key("PIN key"), fields[52], pan) == inputs["PIN"], f"§7 {step}: the PIN block")
            aad = evaluate(p.constant("business associated data"), mti=mti, fields=fields)
            try:
                tlv = AESGCM(t.session_key("data key")).decrypt(fields[61][:12], fields[61][12:], aad)
            except Exception:
                tlv = b""
            rec.check(tlv.hex().upper() == values["confidential data (TLV, before sealing)"], f"§7 {step}: field 61 under the business associated data")
            rsp = bytes.fromhex(values["0210 response message"])
            rec.check(cmac(t.session_key("MAC key"), rsp[:-16]) == rsp[-16:], f"§7 {step}: response field 64")

    # §5.2 and §4.4 (enrollment)

    def enrollment(self) -> None:
        t = self.main = self.terminal()
        keys = self.shared["host keys"]
        self.send(t, "enrollment", t.enrollment(skew=-3600), "enrollment", "field 7 outside the skew", what="enrollment an hour late")
        request = t.enrollment()
        fields = self.send(t, "enrollment", request, "enrollment", "enrolled:", what="enrollment")
        first = self.last_response
        point = fields.get(120, b"")
        self.host_signing, self.host_sealing = point[:65], point[65:]
        self.rec.check(fingerprint(self.host_signing) == keys["host-signing"] and fingerprint(self.host_sealing) == keys["host-sealing"],
                       "enrollment: the pinned keys' fingerprints (§5.9) are not what mpos-host key list shows")
        self.send(t, "enrollment", request, "enrollment", "the very enrollment message", first=first, what="enrollment again, the same message")
        self.send(t, "enrollment", t.enrollment(), "enrollment", "enrolled already", what="a second enrollment")
        spare = self.terminal()
        spare.code = os.urandom(16)
        self.send(spare, "enrollment", spare.enrollment(), "enrollment", "field 128 does not verify", what="enrollment with a wrong code")
        self.send(spare, "enrollment", spare.enrollment(extra={37: b"000000000001"}), "enrollment", "the fields are not exactly", what="enrollment with field 37")
        unknown = Terminal(self, "99999999")
        self.send(unknown, "enrollment", unknown.enrollment(), "enrollment", "names no terminal", what="enrollment of an unknown terminal")
        blocked = Terminal(self, self.shared["blocked"]["terminal_id"], self.shared["blocked"]["enrollment_code"])
        self.send(blocked, "enrollment", blocked.enrollment(), "enrollment", "the terminal is blocked", what="enrollment of a blocked terminal")

    # §5.5, §5.6, §5.7 and §4.4 (network) while signed out

    def signed_out(self) -> None:
        t = self.main
        echo = t.network("echo test")
        self.send(t, "echo test", echo, "network", "done", what="echo")
        first = self.last_response
        self.send(t, "echo test", echo, "network", "a request already answered", first=first, what="echo again, the same message")
        self.send(t, "echo test", t.network("echo test", stan=f"{t.stan:06d}", skew=1), "network", "its STAN was used", what="echo under a used STAN")
        self.send(t, "sign-off", t.network("sign-off", "01", "111111"), "network", "sign-off: the terminal holds no session", what="sign-off while signed out")
        self.send(t, "sign-on", t.network("sign-on", "01", "111111", skew=-3600), "network", "field 7 outside the skew", what="sign-on an hour late")
        forged = bytearray(t.network("sign-on", "01", "111111"))
        forged[-1] ^= 0x01
        self.send(t, "sign-on", bytes(forged), "network", "field 127 does not verify", what="sign-on with a changed signature")
        self.send(t, "sign-on", t.network("sign-on", "01", "111111", seal_with_time=b"0101000000"), "network", "field 63 does not open",
                  what="sign-on with credentials sealed for another message")
        self.send(t, "sign-on", t.network("sign-on", "02", "999999"), "network", "its key is wrong", what="sign-on with a wrong operator key")
        self.send(t, "sign-on", t.network("sign-on", "03", "333333"), "network", "locked or disabled", what="sign-on of a disabled operator")
        self.send(t, "sign-on", t.network("sign-on", "01", "111111", extra={37: b"000000000001"}), "network", "the fields are not exactly",
                  what="sign-on with field 37")
        unknown = Terminal(self, "99999999")
        self.send(unknown, "echo test", unknown.network("echo test"), "network", "names no terminal, or one not enrolled", what="echo of an unknown terminal")

    def sign_on(self, what: str = "sign-on") -> None:
        t = self.main
        request = t.network("sign-on", "01", "111111")
        fields = self.send(t, "sign-on", request, "network", "done", what=what)
        if fields.get(39) == b"00":
            t.take_sign_on(fields)
        if what == "sign-on":
            self.send(t, "sign-on", request, "network", "a request already answered", first=self.last_response, what="sign-on again, the same message")

    # §5.4 and §4.4 (business)

    # Every item a terminal knows, whichever operation: §5.4 says which each operation sends.

    def opening_items(self, card: str, identity_type: str = "01") -> dict[str, str]:
        return {"card number": card, "identity document type": identity_type, "identity document number": "11010519491231002X",
                "carrier code": "1", "phone number": "13912345678", "tariff": "monthly"}

    def contract_items(self, card: str, carrier: str = "1", phone: str = "13912345678") -> dict[str, str]:
        return {"card number": card, "identity document type": "01", "identity document number": "11010519491231002X",
                "carrier code": carrier, "phone number": phone, "tariff": "monthly"}

    def card_opening(self) -> None:
        t, op = self.main, "card opening"
        card = self.card(1)
        self.send(t, op, t.business(op, card, {**self.opening_items(card), "extra:tariff": "monthly"}), "business", "exactly the operation's items",
                  what="card opening with a contract's item")
        self.send(t, op, t.business(op, "1234", self.opening_items("1234"), pin_card=card), "business", "card opening: the card number is not 12 to 19",
                  what="card opening of a 4-digit card number")
        wrong_luhn = card[:-1] + str((int(card[-1]) + 1) % 10)
        self.send(t, op, t.business(op, wrong_luhn, self.opening_items(wrong_luhn)), "business", "fails the Luhn check", what="card opening, Luhn wrong")
        foreign = "4367123412341234126"
        self.send(t, op, t.business(op, foreign, self.opening_items(foreign)), "business", "fails the Luhn check", what="card opening outside the BIN ranges")
        self.send(t, op, t.business(op, card, self.opening_items(card, identity_type="09")), "business", "identity document type is unknown",
                  what="card opening with identity document type 09")
        self.send(t, op, t.business(op, card, self.opening_items(card), pin_card=self.card(9)), "business", "field 52 does not decipher",
                  what="card opening with a PIN block for another card")
        request = t.business(op, card, self.opening_items(card))
        fields = self.send(t, op, request, "business", "card opening: opened", what="card opening")
        self.rec.check(len(fields.get(37, b"")) == 12, "card opening: no reference in field 37")
        first = self.last_response
        self.opened = (request, first)
        self.send(t, op, request, "business", "a request already answered", first=first, what="card opening again, the same message")
        self.send(t, op, t.business(op, card, self.opening_items(card), stan=f"{int(t.codec.decode(request)[1][11]):06d}"), "business", "its STAN was used",
                  what="card opening under a used STAN")
        self.send(t, op, t.business(op, card, self.opening_items(card)), "business", "the card is open already", what="card opening, a second time")
        self.send(t, op, t.business(op, card, self.opening_items(card), skew=-3600), "business", "field 7 outside the skew", what="card opening an hour late")
        tampered = bytearray(t.business(op, card, self.opening_items(card)))
        tampered[-1] ^= 0x01
        self.send(t, op, bytes(tampered), "business", "field 64 does not verify", what="card opening with a changed MAC")
        self.send(t, op, t.business(op, card, self.opening_items(card), extra={37: b"000000000001"}), "business", "the fields are not exactly",
                  what="card opening with field 37")

    def contract_signing(self) -> None:
        t, op = self.main, "contract signing"
        card = self.card(1)
        self.send(t, op, t.business(op, self.card(2), self.contract_items(self.card(2))), "business", "no card with this number is open",
                  what="contract for a card never opened")
        self.send(t, op, t.business(op, "1234", self.contract_items("1234"), pin_card=card), "business", "contract signing: the card number is not 12 to 19",
                  what="contract for a 4-digit card number")
        # The patent's own phone number: not a mainland mobile number.
        self.send(t, op, t.business(op, card, self.contract_items(card, phone="12345678912")), "business", "not a mainland mobile number",
                  what="contract with the patent's phone number 12345678912")
        self.send(t, op, t.business(op, card, self.contract_items(card, carrier="9")), "business", "not a mainland mobile number", what="contract with carrier 9")
        fields = self.send(t, op, t.business(op, card, self.contract_items(card)), "business", "contract signing: signed", what="contract signing")
        reference = fields.get(37)
        self.rec.check(reference is not None and len(reference) == 12, "contract signing: no reference in field 37")
        fields = self.send(t, op, t.business(op, card, self.contract_items(card)), "business", "was signed before", what="the same contract again")
        self.rec.check(fields.get(37) == reference, "the same contract again: not the first contract's reference")
        locked = self.card(3)
        self.send(t, "card opening", t.business("card opening", locked, self.opening_items(locked)), "business", "card opening: opened", what="card opening")
        # Three wrong PINs in a row: "the third in a row by default" reaches the limit (§4.4).
        for attempt in (1, 2):
            self.send(t, op, t.business(op, locked, self.contract_items(locked), pin="999999"), "business", "a wrong PIN, below the limit",
                      what=f"contract with wrong PIN {attempt}")
        self.send(t, op, t.business(op, locked, self.contract_items(locked), pin="999999"), "business", "reaches the limit", what="contract with wrong PIN 3")
        self.send(t, op, t.business(op, locked, self.contract_items(locked)), "business", "the card's PIN is locked", what="contract on a locked card")

    # Sessions ending: §5.3, §5.6, §5.7, §5.8

    def sessions_ending(self) -> None:
        t, op = self.main, "card opening"
        self.admin.run("terminal", "request-sign-on", t.id)
        self.send(t, op, t.business(op, self.card(4), self.opening_items(self.card(4))), "business", "an administrator asked", what="after request-sign-on")
        self.send(t, op, t.business(op, self.card(4), self.opening_items(self.card(4))), "business", "names an ended session",
                  what="business message of the session an administrator ended")
        self.sign_on(what="sign-on after request-sign-on")
        current = t.session
        assert current is not None
        t.session = Session(keys={slot.key: os.urandom(16) for slot in self.page.key_blocks}, key_set=current.key_set[:4] + b"999999999999")
        self.send(t, op, t.business(op, self.card(4), self.opening_items(self.card(4))), "business", "and the terminal holds another",
                  what="business message naming no session, signed in")
        t.session = current
        sign_off = t.network("sign-off", "01", "111111")
        self.send(t, "sign-off", sign_off, "network", "done", what="sign-off")
        signed_off = self.last_response
        self.send(t, op, t.business(op, self.card(4), self.opening_items(self.card(4))), "business", "names an ended session",
                  what="business message after sign-off")
        # §5.7: an answer lost before the session ended is still there, byte for byte.
        self.send(t, op, self.opened[0], "business", "a request already answered", first=self.opened[1],
                  what="a card opening of the ended session, resent")
        t.session = Session(keys={slot.key: os.urandom(16) for slot in self.page.key_blocks}, key_set=current.key_set[:4] + b"999999999999")
        self.send(t, op, t.business(op, self.card(4), self.opening_items(self.card(4))), "business", "and the terminal holds no session",
                  what="business message naming no session, signed out")
        self.sign_on(what="sign-on after sign-off")
        # §5.7: the earlier session's sign-off, replayed, gets its 0830 and ends nothing.
        self.send(t, "sign-off", sign_off, "network", "a request already answered", first=signed_off, what="the earlier sign-off replayed")
        self.send(t, op, t.business(op, self.card(4), self.opening_items(self.card(4))), "business", "card opening: opened",
                  what="card opening after the replayed sign-off")

    def blocked_and_unknown(self) -> None:
        t = self.main
        unknown = Terminal(self, "99999999")
        unknown.session = t.session
        self.send(unknown, "card opening", unknown.business("card opening", self.card(5), self.opening_items(self.card(5))), "business", "names no terminal",
                  what="card opening of an unknown terminal")
        self.admin.run("terminal", "block", t.id)
        self.send(t, "echo test", t.network("echo test"), "network", "the terminal is blocked", what="echo of a blocked terminal")
        self.send(t, "card opening", t.business("card opening", self.card(5), self.opening_items(self.card(5))), "business", "the terminal is blocked",
                  what="card opening of a blocked terminal")

    # §4.5: what closes the connection

    def closing(self) -> None:
        """Each closes the connection at once: well before the host's 10 s frame deadline."""
        op = self.page.operation("echo test")
        for what, data in [
            ("a frame of length 0", b"\x00\x00"),
            ("a 5,000-byte frame length, no body", (5000).to_bytes(2, "big")),
            ("a message that does not decode", len(b"0800garbage").to_bytes(2, "big") + b"0800garbage"),
            ("a message naming no operation", self.frame(self.codec.encode(op.request_mti, {11: b"000001", 41: self.main.id.encode(), op.field: b"999"}))),
            ("a message without field 11", self.frame(self.codec.encode(op.request_mti, {41: self.main.id.encode(), op.field: op.value.encode()}))),
        ]:
            started = time.monotonic()
            self.rec.check(self.link.exchange_raw(data, timeout=2.0) is None and time.monotonic() - started < 2.0,
                           f"§4.5: {what} was answered, or the connection stayed open")

    @staticmethod
    def frame(message: bytes) -> bytes:
        return len(message).to_bytes(2, "big") + message


def run_once(page_text: str, link: HostLink, admin: Admin, shared: dict[str, Any], pool: list[dict[str, str]], index: int,
             stop_at_first: bool) -> tuple[Recorder, str]:
    """The flow against the host, then the page's own checks (§4.3/§4.4 agree; §7 verifies
    with the page's constants). Returns the record and what found the first failure: "page"
    (it does not parse), "host", or "page alone"."""
    try:
        page = spec_page.parse(page_text)
    except PageError as exc:
        rec = Recorder(stop_at_first)
        rec.failures.append(f"page: {exc}")
        return rec, "page"
    run = Run(page, link, admin, shared, pool, index, stop_at_first)
    stage = "host"
    for phase_stage, phase in [("host", run.against_the_host), ("page alone", run.page_alone)]:
        stage = phase_stage
        try:
            phase()
        except Failure as exc:  # a check that failed (recorded), or a wait that ended without an answer
            if not run.rec.failures or run.rec.failures[-1] != str(exc):
                run.rec.failures.append(str(exc))
        except PageError as exc:  # the terminal cannot build or read a message from this page
            run.rec.failures.append(f"page: {exc}")
            stage = "terminal" if phase_stage == "host" else phase_stage
        except Exception as exc:  # the terminal could not go on: a failure of the run, never a crash of the suite
            run.rec.failures.append(f"stopped: {type(exc).__name__}: {str(exc)[:200]}")
            stage = "terminal" if phase_stage == "host" else phase_stage
        if run.rec.failures and stop_at_first:
            break
    return run.rec, stage


def setup(admin: Admin, runs: int, bin_prefix: str) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """Operators 01 (key 111111), 02 (222222, the target of wrong keys) and 03 (333333,
    disabled); two terminals a run; one blocked terminal for every run."""
    admin.run("operator", "add", "01", "--name", "Operator 01", stdin="111111\n")
    admin.run("operator", "add", "02", "--name", "Operator 02", stdin="222222\n")
    admin.run("operator", "add", "03", "--name", "Operator 03", stdin="333333\n")
    admin.run("operator", "disable", "03")
    pool = admin.run("terminal", "add", "--label", "spec terminal", "--count", str(2 * runs + 1))
    blocked = pool.pop(0)
    admin.run("terminal", "block", blocked["terminal_id"])
    keys = {row["key"]: row["check_value"] for row in admin.run("key", "list")}
    return {"bin": bin_prefix, "blocked": blocked, "host keys": keys}, pool


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--page", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--admin", required=True, help="JSON list: the mpos-host command")
    parser.add_argument("--admin-suffix", default="[]", help="JSON list: arguments after each subcommand (--data-dir …)")
    parser.add_argument("--bin", default="622588", help="a BIN in the host's ranges")
    parser.add_argument("--mutations", action="store_true")
    args = parser.parse_args()
    try:
        with open(args.page, encoding="utf-8") as f:
            text = f.read()
        mutated = spec_page.mutations(text) if args.mutations else []
        admin = Admin(json.loads(args.admin), json.loads(args.admin_suffix))
        shared, pool = setup(admin, 1 + len(mutated), args.bin)
    except (OSError, ValueError, RuntimeError, PageError, subprocess.TimeoutExpired) as exc:
        print(f"cannot start: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    link = HostLink(args.host, args.port)
    started = time.monotonic()
    baseline, _ = run_once(text, link, admin, shared, pool, 0, stop_at_first=False)
    result: dict[str, Any] = {"checked": baseline.checked, "failures": baseline.failures}
    if args.mutations:
        detected, undetected = [], []
        if not baseline.failures:
            for index, (what, page_text) in enumerate(mutated, start=1):
                rec, stage = run_once(page_text, link, admin, shared, pool, index, stop_at_first=True)
                if rec.failures:
                    detected.append({"changed": what, "found by": stage, "first failure": rec.failures[0]})
                else:
                    undetected.append(what)
        result = {"baseline": result, "mutations": len(mutated), "detected": detected, "undetected": undetected}
    result["seconds"] = round(time.monotonic() - started, 1)
    json.dump(result, sys.stdout, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
