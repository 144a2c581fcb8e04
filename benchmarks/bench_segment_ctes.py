"""Which CTEs of the distinct-count segment statement DuckDB should materialize, A/B in one process.

The root-cause search for a distinct count (metric_layer/distinct_segments.py) is one statement of
five CTEs. Materializing a CTE makes DuckDB compute it once; not materializing lets it push filters
and projections into each reader. This asks the same question ("active_buyers: last week vs the 4
weeks before", six dimensions and their pairs) with each variant in turn, every round a fresh
service (a first ask: nothing cached), and prints median / p95 per variant and the ratio to the
current choice. The answers of every variant are checked equal first.

    .venv/bin/python benchmarks/bench_segment_ctes.py --warehouse data/warehouse.duckdb [--rounds 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import timedelta
from pathlib import Path

from analysis.explain import find_segments
from metric_layer import distinct_segments
from metric_layer.loader import load_spec
from metric_layer.service import MetricService
from warehouse import Warehouse

ROOT = Path(__file__).resolve().parent.parent
DIMS = ["platform", "promotion", "buyer_type", "channel", "region", "plan"]
VARIANTS = {
    "current": distinct_segments.MATERIALIZED,
    "r, t only": frozenset({"r", "t"}),
    "r only": frozenset({"r"}),
    "none": frozenset(),
}


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--metric", default="active_buyers")
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    warehouse = Warehouse(args.warehouse, read_only=True)
    spec = load_spec(ROOT / "metrics.yml", warehouse.table_columns())
    last = warehouse.rows("SELECT max(CAST(ordered_at AS DATE)) FROM raw.shop__orders")[0][0]
    end = last - timedelta(days=(last.weekday() + 1) % 7)  # the last Sunday with data
    week = (end - timedelta(days=6), end)
    four_weeks = (end - timedelta(days=34), end - timedelta(days=7))

    def ask(variant: frozenset[str]):
        distinct_segments.MATERIALIZED = variant
        service = MetricService(warehouse, spec, as_of=end + timedelta(days=1))
        return find_segments(service, args.metric, DIMS, week, four_weeks, batched=True)

    answers = {name: [f.label for f in ask(v).findings] for name, v in VARIANTS.items()}
    assert all(a == answers["current"] for a in answers.values()), answers
    times: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for _ in range(args.rounds):
        for name, variant in VARIANTS.items():
            started = time.perf_counter()
            ask(variant)
            times[name].append((time.perf_counter() - started) * 1000)
    orders = warehouse.rows("SELECT count(*) FROM raw.shop__orders")[0][0]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"{orders:,} orders; {args.metric} {week[0]}..{week[1]} vs {four_weeks[0]}..{four_weeks[1]}"
    )
    print(f"{args.rounds} rounds, load average {load} on {os.cpu_count()} cores; first ask, ms")
    base = statistics.median(times["current"])
    for name, values in times.items():
        median = statistics.median(values)
        print(
            f"  {name:<12} p50 {median:>7.0f}  p95 {p95(values):>7.0f}  {base / median:>5.2f}× current"
        )


if __name__ == "__main__":
    main()
