"""The metric service on a read-only warehouse: statements kept bound between runs
(warehouse/bound_statements.py) vs each statement's relation made afresh (before), same
queries, same process, interleaved round by round.

    .venv/bin/python benchmarks/bench_bound_statements.py --warehouse data/warehouse.duckdb \
        [--repeat 200]

Prints wall-clock medians and p95 of whole service.query() calls, and the CPU time of the
process per call (p10: least disturbed by other work on a shared machine), with the ratio
fresh / bound of each.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date, datetime
from pathlib import Path

from metric_layer.loader import load_spec
from metric_layer.query import MetricQuery
from metric_layer.service import MetricService
from warehouse import Warehouse

ROOT = Path(__file__).resolve().parents[1]
METRICS = ("paid_orders", "revenue", "active_buyers", "aov", "orders_per_buyer", "revenue_growth")
CLOCK = datetime(2026, 12, 1, 12)
QUERIES = {
    "day (90 days)": MetricQuery(
        METRICS, grain="day", start=date(2026, 8, 18), end=date(2026, 11, 15)
    ),
    "week × channel": MetricQuery(
        METRICS,
        grain="week",
        start=date(2026, 5, 4),
        end=date(2026, 11, 15),
        dimensions=("channel",),
    ),
    "north star, 12 weeks": MetricQuery(
        ("paid_orders",), grain="week", start=date(2026, 8, 24), end=date(2026, 11, 15)
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warehouse", type=Path, default=ROOT / "data" / "warehouse.duckdb")
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    bound = Warehouse(args.warehouse, read_only=True, config={"threads": 1})
    fresh = Warehouse(args.warehouse, read_only=True, config={"threads": 1})
    fresh._bound = None  # the read-write path: a relation made per call
    spec = load_spec(ROOT / "metrics.yml", bound.table_columns())
    services = {
        "fresh": MetricService(fresh, spec, clock=lambda: CLOCK),
        "bound": MetricService(bound, spec, clock=lambda: CLOCK),
    }
    print(f"{args.repeat} rounds, DuckDB threads=1; ms per service.query()")
    print(
        f"{'query':24s} {'fresh p50/p95':>15s} {'bound p50/p95':>15s} {'ratio':>6s}"
        f" {'CPU p10 fresh/bound':>20s} {'ratio':>6s}"
    )
    for label, query in QUERIES.items():
        answers = {name: s.query(query).frame for name, s in services.items()}
        if not answers["fresh"].equals(answers["bound"]):
            raise SystemExit(f"{label}: the two warehouses answer differently")
        wall: dict[str, list[float]] = {n: [] for n in services}
        cpu: dict[str, list[float]] = {n: [] for n in services}
        for i in range(args.repeat):
            for name in list(services)[i % 2 :] + list(services)[: i % 2]:
                w, c = time.perf_counter(), time.process_time()
                services[name].query(query)
                cpu[name].append((time.process_time() - c) * 1000)
                wall[name].append((time.perf_counter() - w) * 1000)
        med = {n: statistics.median(v) for n, v in wall.items()}
        p95 = {n: sorted(v)[round(0.95 * (len(v) - 1))] for n, v in wall.items()}
        p10 = {n: sorted(v)[len(v) // 10] for n, v in cpu.items()}
        print(
            f"{label:24s} {med['fresh']:7.1f}/{p95['fresh']:<7.1f} {med['bound']:7.1f}/"
            f"{p95['bound']:<7.1f} {med['fresh'] / med['bound']:5.2f}×"
            f" {p10['fresh']:9.2f} / {p10['bound']:<8.2f} {p10['fresh'] / p10['bound']:5.2f}×"
        )
    bound.close()
    fresh.close()


if __name__ == "__main__":
    main()
