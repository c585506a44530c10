"""Times pyiso8583 decode and encode of each mpos message, on the exact frames the Swift side
benchmarks (from `swift run -c release sample-frames`, JSON on stdin), with a pyiso8583
specification built from mpos's own field table (as the cross-check does).

Usage: swift run -c release sample-frames | python bench_messages.py [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import iso8583

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "Tests" / "CrossCheck"))
from iso8583_crosscheck import pyiso_spec  # noqa: E402  (one table translation, shared)
from bench_primitives import measure  # noqa: E402  (same batching and median as the primitives)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print {operation: median ns} as JSON")
    parser.add_argument("--batches", type=int, default=25)
    parser.add_argument("--batch-ms", type=float, default=50.0)
    args = parser.parse_args()

    request = json.load(sys.stdin)
    spec = pyiso_spec(request["spec"])
    results: dict[str, float] = {}
    for message in request["messages"]:
        frame = bytearray(bytes.fromhex(message["bytes"]))
        decoded, _ = iso8583.decode(frame, spec)
        results[f"decode {message['name']}"] = measure(lambda: iso8583.decode(frame, spec), args.batches, args.batch_ms)
        results[f"encode {message['name']}"] = measure(lambda: iso8583.encode(decoded, spec), args.batches, args.batch_ms)

    if args.json:
        json.dump(results, sys.stdout, indent=2)
        print()
    else:
        print("| operation | median ns/op |")
        print("|---|---:|")
        for name, value in results.items():
            print(f"| {name} | {value:,.0f} |")


if __name__ == "__main__":
    main()
