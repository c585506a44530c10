"""Independent ISO 8583 oracle for the mpos Swift codec tests: pyiso8583, driven by our table.

The Swift test sends its field-specification table; this script turns it into a pyiso8583
specification (binary bitmaps, ASCII MTI and lengths, ASCII text fields, raw binary fields),
so the two codecs read the same table but share no code.

    python iso8583_crosscheck.py verify
        stdin : {"spec": [[number, layout, max, content], ...], "cases": [case, ...]}
                (numbers as JSON numbers or decimal strings)
                layout "fixed" | "llvar" | "lllvar"; content "n" | "ans" | "b"
                case  {"mti": "0800", "fields": {"11": HEX, ...}, "bytes": HEX}
        stdout: {"checked": N, "failures": [{"index": i, "reason": "..."}]}
        Each case: pyiso8583 decodes "bytes" to exactly "mti" and "fields", and encodes
        "mti" and "fields" to exactly "bytes".

    python iso8583_crosscheck.py produce --count N --seed S
        stdin : {"spec": [...]}
        stdout: {"cases": [case, ...]}   random messages valid under the table, encoded by pyiso8583

Field values are the upper-case hex of the field's content bytes (ASCII for text fields),
without length prefix. Reasons name fields, never their content.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from typing import Any

import iso8583

LENGTH_DIGITS = {"fixed": 0, "llvar": 2, "lllvar": 3}
MTIS = ["0200", "0210", "0800", "0810", "0820", "0830"]


def pyiso_spec(table: list[list[Any]]) -> dict[str, dict[str, Any]]:
    spec: dict[str, dict[str, Any]] = {
        "h": {"data_enc": "ascii", "len_enc": "ascii", "len_type": 0, "max_len": 0, "desc": "no header"},
        "t": {"data_enc": "ascii", "len_enc": "ascii", "len_type": 0, "max_len": 4, "desc": "MTI"},
        "p": {"data_enc": "b", "len_enc": "ascii", "len_type": 0, "max_len": 8, "desc": "primary bitmap"},
        "1": {"data_enc": "b", "len_enc": "ascii", "len_type": 0, "max_len": 8, "desc": "secondary bitmap"},
    }
    for number, layout, maximum, content in table:
        spec[str(int(number))] = {
            "data_enc": "b" if content == "b" else "ascii",
            "len_enc": "ascii",
            "len_type": LENGTH_DIGITS[layout],
            "max_len": int(maximum),
            "desc": f"field {number}",
        }
    return spec


def to_pyiso(mti: str, fields: dict[str, str], table: list[list[Any]]) -> dict[str, Any]:
    """Our hex-of-content form to pyiso8583's decoded form (text for ASCII fields, hex for binary)."""
    content = {str(int(number)): kind for number, _, _, kind in table}
    doc: dict[str, Any] = {"t": mti}
    for key, value in fields.items():
        doc[key] = value.upper() if content[key] == "b" else bytes.fromhex(value).decode("ascii")
    return doc


def from_pyiso(doc: dict[str, Any], table: list[list[Any]]) -> dict[str, str]:
    content = {str(int(number)): kind for number, _, _, kind in table}
    fields: dict[str, str] = {}
    for key, value in doc.items():
        if key in ("t", "p", "1", "h"):
            continue
        fields[key] = value.upper() if content[key] == "b" else value.encode("ascii").hex().upper()
    return fields


def verify(request: dict[str, Any]) -> dict[str, Any]:
    table = request["spec"]
    spec = pyiso_spec(table)
    failures = []
    for index, case in enumerate(request["cases"]):
        wire = bytes.fromhex(case["bytes"])
        reasons = []
        try:
            decoded, _ = iso8583.decode(bytearray(wire), spec)
            if decoded["t"] != case["mti"]:
                reasons.append("MTI differs")
            got = from_pyiso(decoded, table)
            if set(got) != set(case["fields"]):
                reasons.append(f"field sets differ: {sorted(got, key=int)} vs {sorted(case['fields'], key=int)}")
            else:
                reasons += [f"field {k} differs" for k in sorted(got, key=int) if got[k] != case["fields"][k].upper()]
        except Exception as exc:  # the class name only: messages can echo field data
            reasons.append(f"pyiso8583 decode raised {type(exc).__name__}")
        try:
            encoded, _ = iso8583.encode(to_pyiso(case["mti"], case["fields"], table), spec)
            if bytes(encoded) != wire:
                reasons.append("pyiso8583 encodes the fields to other bytes")
        except Exception as exc:
            reasons.append(f"pyiso8583 encode raised {type(exc).__name__}")
        if reasons:
            failures.append({"index": index, "reason": "; ".join(reasons)})
    return {"checked": len(request["cases"]), "failures": failures}


def produce(request: dict[str, Any], count: int, seed: int) -> dict[str, Any]:
    table = request["spec"]
    spec = pyiso_spec(table)
    rng = random.Random(seed)
    cases = []
    for _ in range(count):
        fields: dict[str, str] = {}
        for number, layout, maximum, content in table:
            if rng.random() < 0.5:
                continue
            maximum = int(maximum)
            length = maximum if layout == "fixed" else rng.randint(0, min(maximum, 200))
            if content == "n":
                value = "".join(rng.choice("0123456789") for _ in range(length)).encode()
            elif content == "ans":
                value = bytes(rng.randint(0x20, 0x7E) for _ in range(length))
            else:
                value = rng.randbytes(length)
            fields[str(int(number))] = value.hex().upper()
        mti = rng.choice(MTIS)
        encoded, _ = iso8583.encode(to_pyiso(mti, fields, table), spec)
        cases.append({"mti": mti, "fields": fields, "bytes": bytes(encoded).hex().upper()})
    return {"cases": cases}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["verify", "produce"])
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    request = json.load(sys.stdin)
    result = verify(request) if args.command == "verify" else produce(request, args.count, args.seed)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
