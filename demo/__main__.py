"""`python -m demo --out data/source --orders 1000000`: write the demo shop's raw tables."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

from demo.generator import generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demo", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("data/source"), help="output folder")
    parser.add_argument(
        "--orders", "--scale", dest="orders", type=int, default=1_000_000, help="orders to target"
    )
    parser.add_argument("--end", type=date.fromisoformat, default=None, help="last day, YYYY-MM-DD")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    began = time.perf_counter()

    def progress(table: str, done: int, total: int) -> None:
        # Every table reports each part; print orders every few parts and each table at the end.
        if done == total or (table == "orders" and done % 3 == 0):
            elapsed = time.perf_counter() - began
            print(f"{elapsed:7.1f}s  {table:<16} {done:>3}/{total} parts", flush=True)

    rows = generate(args.out, orders=args.orders, end=args.end, seed=args.seed, progress=progress)
    print(f"wrote {args.out} in {time.perf_counter() - began:.1f}s")
    for table, n in rows.items():
        print(f"  {table:<16} {n:>12,} rows")
    return 0


if __name__ == "__main__":
    sys.exit(main())
