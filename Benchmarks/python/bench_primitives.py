"""Time the mpos crypto primitives with psec / cryptography on this machine.

Gives a local baseline for the Swift benchmarks: same operations, same sizes.
Each operation runs in batches sized to about --batch-ms; the figure reported
is the median over batches of (batch time / operations in the batch).

    python bench_primitives.py            # Markdown table
    python bench_primitives.py --json     # {"operation name": median_ns, ...}

Requires the pins in Tests/CrossCheck/requirements.txt.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import time
from collections.abc import Callable

from cryptography.hazmat.primitives.ciphers import algorithms
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.cmac import CMAC
from cryptography.hazmat.primitives.kdf.kbkdf import KBKDFCMAC, CounterLocation, Mode
from psec import pinblock, tr31

Operation = Callable[[], object]


def build_operations() -> dict[str, Operation]:
    # Fresh random inputs each run: timing does not depend on the values.
    key = os.urandom(16)
    pin = "123456"
    pan = "4111111111111111112"  # 19 digits
    block = pinblock.encipher_pinblock_iso_4(key, pin, pan)

    kbpk = os.urandom(16)
    # psec's default masking pads the AES-128 key to AES-256 size (144-char block).
    key_block = tr31.wrap(kbpk, tr31.Header("D", "P0", "A", "E", "00", "N"), os.urandom(16))

    message = os.urandom(256)
    label, context = os.urandom(8), os.urandom(16)

    aead = AESGCM(key)
    nonce, aad = os.urandom(12), os.urandom(16)
    sealed = aead.encrypt(nonce, message, aad)

    def cmac(data: bytes) -> bytes:
        mac = CMAC(algorithms.AES(key))
        mac.update(data)
        return mac.finalize()

    def kdf() -> bytes:
        # KBKDFCMAC objects are single use, so construction is part of the cost.
        return KBKDFCMAC(
            algorithm=algorithms.AES,
            mode=Mode.CounterMode,
            length=16,
            rlen=4,
            llen=4,
            location=CounterLocation.BeforeFixed,
            label=label,
            context=context,
            fixed=None,
        ).derive(key)

    zero_block = bytes(16)
    return {
        "PIN block format 4 encipher": lambda: pinblock.encipher_pinblock_iso_4(key, pin, pan),
        "PIN block format 4 decipher": lambda: pinblock.decipher_pinblock_iso_4(key, block, pan),
        "TR-31 D unwrap (AES-128)": lambda: tr31.unwrap(kbpk, key_block),
        "AES-CMAC 256 B": lambda: cmac(message),
        "KCV (CMAC)": lambda: cmac(zero_block)[:3],
        "SP 800-108 KDF (CMAC, 16 B)": kdf,
        # Like mpos: the key is set up and a fresh random nonce drawn for every message.
        "AES-GCM seal 256 B": lambda: AESGCM(key).encrypt(os.urandom(12), message, aad),
        "AES-GCM open 256 B": lambda: AESGCM(key).decrypt(nonce, sealed, aad),
    }


def run_batch(op: Operation, n: int) -> int:
    # itertools.repeat keeps the loop overhead below a range() loop.
    start = time.perf_counter_ns()
    for _ in itertools.repeat(None, n):
        op()
    return time.perf_counter_ns() - start


def batch_size(op: Operation, batch_ns: int) -> int:
    """Grow n until a batch takes >= 10 ms, then scale to the target batch time."""
    n = 1
    while True:
        elapsed = run_batch(op, n)
        if elapsed >= 10_000_000:
            return max(1, round(n * batch_ns / elapsed))
        n *= 2


def measure(op: Operation, batches: int, batch_ms: float) -> float:
    n = batch_size(op, int(batch_ms * 1_000_000))
    run_batch(op, n)  # warm-up batch, not counted
    per_op = [run_batch(op, n) / n for _ in range(batches)]
    return statistics.median(per_op)


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark psec/cryptography primitives.")
    parser.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    parser.add_argument("--batches", type=int, default=25, help="batches per operation")
    parser.add_argument("--batch-ms", type=float, default=50.0, help="target time per batch")
    args = parser.parse_args()

    results = {
        name: measure(op, args.batches, args.batch_ms) for name, op in build_operations().items()
    }
    if args.json:
        print(json.dumps({name: round(ns, 1) for name, ns in results.items()}, indent=2))
        return
    print("| operation | median ns/op | batches |")
    print("|---|---:|---:|")
    for name, ns in results.items():
        print(f"| {name} | {ns:,.0f} | {args.batches} |")


if __name__ == "__main__":
    main()
