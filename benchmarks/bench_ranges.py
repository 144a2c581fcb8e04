"""Time a custom range's value per segment: grain `all` (what range_values asks) against the per-day
sums it asked before for counts and sums, in one run on one demo warehouse.

A custom range (28 days, not one whole period) of a count and a sum, overall and by one and two
dimensions. Baseline: the old path, a day-grain query summed per segment in pandas (exact for
counts and sums only). New: one grain-`all` query (exact for every metric type). Both answers are
checked equal before timing. The demo warehouse is bench_explain.py's (built or reused there).

    .venv/bin/python benchmarks/bench_ranges.py --scale 100k|1M [--runs 9]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import timedelta

import numpy as np

from benchmarks.bench_explain import END, ORDERS, ROOT
from cli.demo_commands import build_demo
from metric_layer.loader import load_spec
from metric_layer.query import MetricQuery
from metric_layer.range_compare import range_values
from metric_layer.service import MetricService
from settings import Settings
from warehouse import Warehouse

DAYS = (END - timedelta(days=34), END - timedelta(days=7))  # 28 days: not a whole period
QUESTIONS = [("paid_orders", ()), ("revenue", ()), ("paid_orders", ("platform",))]
QUESTIONS += [("revenue", ("channel", "region"))]


def per_day_sums(service, metric, dims):
    """The path before grain `all`: per-day values summed per segment (counts and sums only)."""
    query = MetricQuery((metric,), "day", DAYS[0], DAYS[1], dims, as_of=END + timedelta(days=1))
    frame = service.query(query).frame
    if not dims:
        return float(frame[metric].astype(float).fillna(0).sum())
    return frame.groupby(list(dims), dropna=False)[metric].sum()


def median_ms(fn, runs: int) -> tuple[float, float]:
    """Median wall-clock and CPU milliseconds (this process, DuckDB's threads included: other
    processes' load hardly moves CPU time)."""
    wall, cpu = [], []
    for _ in range(runs):
        started, used = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - used) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="100k", choices=sorted(ORDERS))
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    folder = ROOT / "benchmarks" / "output" / args.scale
    folder.mkdir(parents=True, exist_ok=True)
    settings = Settings(
        metrics=ROOT / "metrics.yml",
        sources=ROOT / "sources.yml",
        warehouse=folder / "warehouse.duckdb",
        serving_dir=folder / "serving",
    )
    build_demo(settings, orders=ORDERS[args.scale], end=END, seed=7)
    warehouse = Warehouse(settings.warehouse, read_only=True)
    spec = load_spec(settings.metrics, warehouse.table_columns())
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"[{args.scale}] {DAYS[0]}..{DAYS[1]}; median of {args.runs} runs, ms; load {load}")
    print(
        f"{'metric':<14}{'by':<18}{'rollups':<9}{'per-day sums':>13}{'grain all':>11}{'×':>7}"
        f"{'CPU per-day':>13}{'CPU all':>9}{'×':>7}"
    )
    for use_rollups in (False, True):
        for metric, dims in QUESTIONS:
            # a new service per ask: the service would remember the first answer
            def fresh(use_rollups=use_rollups):
                return MetricService(warehouse, spec, as_of=END, use_rollups=use_rollups)

            old = per_day_sums(fresh(), metric, dims)
            new = range_values(fresh(), metric, DAYS, dims)
            want = np.sort(np.asarray(old, dtype=float).ravel())
            np.testing.assert_allclose(np.sort(new["value"].to_numpy()), want, rtol=1e-9)
            before = median_ms(lambda m=metric, d=dims: per_day_sums(fresh(), m, d), args.runs)
            after = median_ms(lambda m=metric, d=dims: range_values(fresh(), m, DAYS, d), args.runs)
            by = " × ".join(dims) or "-"
            print(
                f"{metric:<14}{by:<18}{use_rollups!s:<9}{before[0]:>13.1f}{after[0]:>11.1f}"
                f"{before[0] / after[0]:>7.2f}{before[1]:>13.1f}{after[1]:>9.1f}"
                f"{before[1] / after[1]:>7.2f}"
            )


if __name__ == "__main__":
    main()
