#!/usr/bin/env python3
"""Re-create the NIST CAVP-derived vector files under Tests/MPOSCryptoTests/Vectors/.

    aes-block-fips197.json     FIPS-197 Appendix C.1-C.3 (constants below) + CAVP AES ECB KATs
    aes-gcm-cavp.json          CAVP gcmEncryptExtIV / gcmDecrypt (96-bit IV, 128-bit tag)
    kbkdf-ctr-cmac-cavp.json   CAVP SP 800-108 KBKDF, counter mode, CMAC-AES, counter before fixed data

The bytes come from an installed `cryptography_vectors` package (pip install cryptography-vectors==48.0.0),
located through `cryptography_vectors.open_vector_file`. The selection is fixed (no randomness), so the
output is byte-for-byte reproducible:

    python Tests/CrossCheck/extract_vectors.py            # (re)write the three files
    python Tests/CrossCheck/extract_vectors.py --check    # regenerate in memory, diff against the files

If pyca/cryptography is importable, every selected vector is also recomputed with it before anything is
written (AES-ECB, AES-GCM encrypt and tag rejection, KBKDFCMAC); a mismatch aborts.

The other files in Vectors/ (aes-cmac, aes-cbc-sp800-38a, tr31-d-published, pinblock-iso4-published,
kcv-cmac) are transcribed from documents, not extracted, and are not touched by this script.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys

try:
    import cryptography_vectors
except ImportError:  # pragma: no cover - operator error
    sys.exit("cryptography_vectors is not installed: pip install cryptography-vectors==48.0.0")

VECTORS_DIR = pathlib.Path(__file__).resolve().parent.parent / "MPOSCryptoTests" / "Vectors"
PKG = f"cryptography_vectors {cryptography_vectors.__version__}"


# --------------------------------------------------------------------------------------------------
# CAVP .rsp / .txt parsing


def parse_cavp(relative_path: str) -> list[dict]:
    """Records of a CAVP response file, each with the bracketed section attributes in force.

    `[PRF=CMAC_AES128]` and `[Keylen = 128]` become attributes; a bare `[ENCRYPT]` sets `_section`.
    A record starts at `COUNT`/`Count`; a bare `FAIL` line marks it. Indented lines (the KBKDF
    file's "Binary rep of i" / "instring" annotations) are skipped.
    """
    with cryptography_vectors.open_vector_file(relative_path, "r") as handle:
        lines = handle.read().splitlines()
    section: dict[str, str] = {}
    records: list[dict] = []
    current: dict | None = None
    for raw in lines:
        if not raw.strip() or raw.lstrip().startswith("#") or raw[:1] in ("\t", " "):
            continue
        line = raw.strip()
        if line.startswith("[") and line.endswith("]"):
            body = line[1:-1].strip()
            if "=" in body:
                name, value = (part.strip() for part in body.split("=", 1))
                section[name] = value
            else:
                section["_section"] = body
            current = None
            continue
        if line == "FAIL":
            assert current is not None, f"{relative_path}: FAIL outside a record"
            current["FAIL"] = True
            continue
        name, _, value = line.partition("=")
        name, value = name.strip(), value.strip()
        if name.upper() == "COUNT":
            current = {"_attrs": dict(section), "COUNT": int(value)}
            records.append(current)
        else:
            assert current is not None, f"{relative_path}: {name} outside a record"
            current[name] = value
    return records


def up(hex_text: str) -> str:
    return hex_text.strip().upper()


# --------------------------------------------------------------------------------------------------
# aes-block-fips197.json

# FIPS 197 (November 26, 2001), Appendix C "Example Vectors", C.1-C.3: plaintext 00112233...EEFF under
# keys 000102...; the "round[10/12/14].output" lines.
FIPS197_APPENDIX_C = [
    {
        "name": "FIPS-197 C.1 AES-128",
        "key": "000102030405060708090A0B0C0D0E0F",
        "plaintext": "00112233445566778899AABBCCDDEEFF",
        "ciphertext": "69C4E0D86A7B0430D8CDB78070B4C55A",
    },
    {
        "name": "FIPS-197 C.2 AES-192",
        "key": "000102030405060708090A0B0C0D0E0F1011121314151617",
        "plaintext": "00112233445566778899AABBCCDDEEFF",
        "ciphertext": "DDA97CA4864CDFE06EAF70A0EC0D7191",
    },
    {
        "name": "FIPS-197 C.3 AES-256",
        "key": "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
        "plaintext": "00112233445566778899AABBCCDDEEFF",
        "ciphertext": "8EA2B7CA516745BFEAFC49904B496089",
    },
]


def select_ecb(kind: str, bits: int, records: list[dict]) -> list[dict]:
    """GFSbox and KeySbox: COUNT 0-2; VarKey and VarTxt: first and last COUNT. [ENCRYPT] only."""
    encrypt = [r for r in records if r["_attrs"].get("_section") == "ENCRYPT"]
    if kind in ("GFSbox", "KeySbox"):
        chosen = [r for r in encrypt if r["COUNT"] in (0, 1, 2)]
    else:
        chosen = [encrypt[0], encrypt[-1]]
    return [
        {
            "name": f"CAVP ECB{kind}{bits}.rsp ENCRYPT COUNT={r['COUNT']}",
            "key": up(r["KEY"]),
            "plaintext": up(r["PLAINTEXT"]),
            "ciphertext": up(r["CIPHERTEXT"]),
        }
        for r in chosen
    ]


def build_aes_block() -> dict:
    vectors = list(FIPS197_APPENDIX_C)
    for bits in (128, 192, 256):
        for kind in ("GFSbox", "KeySbox", "VarKey", "VarTxt"):
            path = f"ciphers/AES/ECB/ECB{kind}{bits}.rsp"
            vectors += select_ecb(kind, bits, parse_cavp(path))
    return {
        "origin": (
            "FIPS 197 (2001) Appendix C.1, C.2, C.3 example vectors (AES-128/192/256, one block, bytes as "
            "printed in the standard); plus NIST CAVP AESAVS known-answer files ECBGFSbox/ECBKeySbox/"
            f"ECBVarKey/ECBVarTxt{{128,192,256}}.rsp, [ENCRYPT] section, as shipped in {PKG}: "
            "ciphers/AES/ECB/ (GFSbox and KeySbox COUNT 0-2, VarKey and VarTxt first and last COUNT, "
            "10 per key size). Regenerate with Tests/CrossCheck/extract_vectors.py."
        ),
        "vectors": vectors,
    }


# --------------------------------------------------------------------------------------------------
# aes-gcm-cavp.json

GCM_LENGTHS = [0, 104, 128, 256, 408]  # PTlen values in the CAVP files, bits
GCM_AAD_LENGTHS = [0, 128, 160, 384, 720]  # AADlen values, bits
GCM_FAILURE_GROUPS = [(0, 0), (0, 128), (128, 0), (408, 720)]  # (PTlen, AADlen)


def gcm_group(records: list[dict], pt_bits: int, aad_bits: int) -> list[dict]:
    return [
        r for r in records
        if r["_attrs"].get("IVlen") == "96" and r["_attrs"].get("Taglen") == "128"
        and r["_attrs"].get("PTlen") == str(pt_bits) and r["_attrs"].get("AADlen") == str(aad_bits)
    ]


def build_gcm() -> dict:
    vectors, failures = [], []
    for bits in (128, 192, 256):
        encrypt = parse_cavp(f"ciphers/AES/GCM/gcmEncryptExtIV{bits}.rsp")
        for pt_bits in GCM_LENGTHS:
            for aad_bits in GCM_AAD_LENGTHS:
                group = gcm_group(encrypt, pt_bits, aad_bits)
                record = next(r for r in group if r["COUNT"] == 0)
                vectors.append({
                    "name": f"gcmEncryptExtIV{bits}.rsp PTlen={pt_bits} AADlen={aad_bits} Count=0",
                    "key": up(record["Key"]),
                    "iv": up(record["IV"]),
                    "aad": up(record["AAD"]),
                    "plaintext": up(record["PT"]),
                    "ciphertext": up(record["CT"]),
                    "tag": up(record["Tag"]),
                })
        decrypt = parse_cavp(f"ciphers/AES/GCM/gcmDecrypt{bits}.rsp")
        for pt_bits, aad_bits in GCM_FAILURE_GROUPS:
            record = next(r for r in gcm_group(decrypt, pt_bits, aad_bits) if r.get("FAIL"))
            failures.append({
                "name": f"gcmDecrypt{bits}.rsp PTlen={pt_bits} AADlen={aad_bits} Count={record['COUNT']} FAIL",
                "key": up(record["Key"]),
                "iv": up(record["IV"]),
                "aad": up(record["AAD"]),
                "ciphertext": up(record["CT"]),
                "tag": up(record["Tag"]),
            })
    return {
        "origin": (
            "NIST CAVP GCM test vectors (gcmtestvectors.zip, CAVS 14.0) as shipped in "
            f"{PKG}: ciphers/AES/GCM/gcmEncryptExtIV{{128,192,256}}.rsp for \"vectors\" "
            "(IVlen=96, Taglen=128; Count=0 of every PTlen x AADlen group, PTlen in {0,104,128,256,408}, "
            "AADlen in {0,128,160,384,720}: 25 per key size) and gcmDecrypt{128,192,256}.rsp for "
            "\"failures\" (IVlen=96, Taglen=128; the first FAIL record of the groups PTlen/AADlen = 0/0, "
            "0/128, 128/0, 408/720: 4 per key size; each must be rejected). "
            "Regenerate with Tests/CrossCheck/extract_vectors.py."
        ),
        "vectors": vectors,
        "failures": failures,
    }


# --------------------------------------------------------------------------------------------------
# kbkdf-ctr-cmac-cavp.json


def build_kbkdf() -> dict:
    vectors = []
    for r in parse_cavp("KDF/nist-800-108-KBKDF-CTR.txt"):
        attrs = r["_attrs"]
        if attrs.get("PRF") not in ("CMAC_AES128", "CMAC_AES192", "CMAC_AES256"):
            continue
        if attrs.get("CTRLOCATION") != "BEFORE_FIXED":
            continue
        output_bits = int(r["L"])
        if output_bits % 8:
            continue
        rlen = attrs["RLEN"]
        assert rlen.endswith("_BITS"), rlen
        fixed = up(r["FixedInputData"])
        assert len(fixed) // 2 == int(r["FixedInputDataByteLen"])
        vectors.append({
            "prf": attrs["PRF"],
            "rlen_bits": int(rlen[: -len("_BITS")]),
            "count": r["COUNT"],
            "key": up(r["KI"]),
            "fixed_input": fixed,
            "output_bits": output_bits,
            "output": up(r["KO"]),
        })
    return {
        "origin": (
            "NIST CAVP KBKDF (SP 800-108) counter-mode response file (CAVS 14.4, KBKDFCTR_gen.rsp) as "
            f"shipped in {PKG}: KDF/nist-800-108-KBKDF-CTR.txt; every record with PRF CMAC_AES128, "
            "CMAC_AES192 or CMAC_AES256 and CTRLOCATION=BEFORE_FIXED, all RLEN (8/16/24/32 bits), L a "
            "multiple of 8; key = KI, fixed_input = FixedInputData, output = KO, count = COUNT within "
            "its [PRF][CTRLOCATION][RLEN] section. K(i) = CMAC(KI, [i]_rlen || FixedInputData). "
            "Regenerate with Tests/CrossCheck/extract_vectors.py."
        ),
        "vectors": vectors,
    }


# --------------------------------------------------------------------------------------------------
# Independent recomputation with pyca/cryptography (when available)


def verify(files: dict[str, dict]) -> str:
    try:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM
        from cryptography.hazmat.primitives.kdf.kbkdf import CounterLocation, KBKDFCMAC, Mode
    except ImportError:
        return "pyca/cryptography not importable: vectors written without recomputation"

    b = bytes.fromhex
    for v in files["aes-block-fips197"]["vectors"]:
        enc = Cipher(algorithms.AES(b(v["key"])), modes.ECB()).encryptor()
        assert enc.update(b(v["plaintext"])) + enc.finalize() == b(v["ciphertext"]), v["name"]
    gcm = files["aes-gcm-cavp"]
    for v in gcm["vectors"]:
        sealed = AESGCM(b(v["key"])).encrypt(b(v["iv"]), b(v["plaintext"]), b(v["aad"]))
        assert sealed == b(v["ciphertext"] + v["tag"]), v["name"]
    for v in gcm["failures"]:
        try:
            AESGCM(b(v["key"])).decrypt(b(v["iv"]), b(v["ciphertext"] + v["tag"]), b(v["aad"]))
        except InvalidTag:
            continue
        raise AssertionError(f"{v['name']} was accepted")
    for v in files["kbkdf-ctr-cmac-cavp"]["vectors"]:
        kdf = KBKDFCMAC(
            algorithm=algorithms.AES, mode=Mode.CounterMode, length=v["output_bits"] // 8,
            rlen=v["rlen_bits"] // 8, llen=None, location=CounterLocation.BeforeFixed,
            label=None, context=None, fixed=b(v["fixed_input"]),
        )
        assert kdf.derive(b(v["key"])) == b(v["output"]), (v["prf"], v["rlen_bits"], v["count"])
    return "every vector recomputed with pyca/cryptography"


# --------------------------------------------------------------------------------------------------


def render(document: dict) -> str:
    return json.dumps(document, indent=2) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=pathlib.Path, default=VECTORS_DIR, help="output directory")
    parser.add_argument("--check", action="store_true", help="compare with the files on disk; write nothing")
    args = parser.parse_args()

    files = {
        "aes-block-fips197": build_aes_block(),
        "aes-gcm-cavp": build_gcm(),
        "kbkdf-ctr-cmac-cavp": build_kbkdf(),
    }
    print(verify(files), file=sys.stderr)

    stale = []
    for name, document in files.items():
        path = args.out / f"{name}.json"
        text = render(document)
        counts = ", ".join(f"{len(v)} {k}" for k, v in document.items() if isinstance(v, list))
        if args.check:
            same = path.exists() and path.read_text() == text
            print(f"{path.name}: {'up to date' if same else 'DIFFERS'} ({counts})", file=sys.stderr)
            if not same:
                stale.append(path.name)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"wrote {path} ({counts}, {len(text.encode())} bytes)", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
