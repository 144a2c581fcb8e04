"""The distinct-count segment statement's variants, A/B in one process, first ask each round.

The root-cause search for a distinct count (metric_layer/distinct_segments.py) is one statement.
This asks the same question ("active_buyers: last week vs the 4 weeks before", six dimensions and
their pairs) with each variant in turn, every round a fresh service (a first ask: nothing cached),
and prints wall-clock median / p95 and CPU median (this process, DuckDB's threads included: on a
busy machine wall-clock grows with other processes' load, CPU time hardly does) per variant and
its ratio to the current one. The answers of every variant are checked equal first.

- current: entities with 2..PAIRED_ROWS rows in a range compared row with row;
- per set: every entity with several rows counted per set by segment and entity (PAIRED_ROWS = 1:
  the statement before pairs, one (segment, entity) hash table per set);
- r only / none: which CTEs DuckDB materializes (`few` always is).

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
PAIRED = distinct_segments.PAIRED_ROWS
# name → (CTEs materialized, PAIRED_ROWS)
VARIANTS = {
    "current": (distinct_segments.MATERIALIZED, PAIRED),
    "per set": (distinct_segments.MATERIALIZED, 1),
    "r only": (frozenset({"r"}), PAIRED),
    "none": (frozenset(), PAIRED),
}


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--metric", default="active_buyers")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated names")
    args = parser.parse_args()
    variants = {name: VARIANTS[name] for name in args.variants.split(",")}
    warehouse = Warehouse(args.warehouse, read_only=True)
    spec = load_spec(ROOT / "metrics.yml", warehouse.table_columns())
    last = warehouse.rows("SELECT max(CAST(ordered_at AS DATE)) FROM raw.shop__orders")[0][0]
    end = last - timedelta(days=(last.weekday() + 1) % 7)  # the last Sunday with data
    week = (end - timedelta(days=6), end)
    four_weeks = (end - timedelta(days=34), end - timedelta(days=7))

    def ask(variant: tuple[frozenset[str], int]):
        distinct_segments.MATERIALIZED, distinct_segments.PAIRED_ROWS = variant
        service = MetricService(warehouse, spec, as_of=end + timedelta(days=1))
        return find_segments(service, args.metric, DIMS, week, four_weeks, batched=True)

    def answer(variant) -> list:
        return [(f.label, f.before, f.after, f.contribution) for f in ask(variant).findings]

    answers = {name: answer(v) for name, v in variants.items()}
    first = next(iter(answers.values()))
    assert all(a == first for a in answers.values()), answers
    wall: dict[str, list[float]] = {name: [] for name in variants}
    cpu: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, variant in variants.items():
            started, used = time.perf_counter(), time.process_time()
            ask(variant)
            wall[name].append((time.perf_counter() - started) * 1000)
            cpu[name].append((time.process_time() - used) * 1000)
    orders = warehouse.rows("SELECT count(*) FROM raw.shop__orders")[0][0]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"{orders:,} orders; {args.metric} {week[0]}..{week[1]} vs {four_weeks[0]}..{four_weeks[1]}"
    )
    print(f"{args.rounds} rounds, load average {load} on {os.cpu_count()} cores; first ask, ms")
    base = next(iter(variants))
    for name in variants:
        median, cpu_median = statistics.median(wall[name]), statistics.median(cpu[name])
        print(
            f"  {name:<8} p50 {median:>6.0f}  p95 {p95(wall[name]):>6.0f}  CPU {cpu_median:>6.0f}"
            f"  {median / statistics.median(wall[base]):>5.2f}× {base} (CPU"
            f" {cpu_median / statistics.median(cpu[base]):.2f}×)"
        )


if __name__ == "__main__":
    main()
