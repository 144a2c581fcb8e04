"""Time the interactive metric path at 1M and 10M orders: rollups vs raw tables, same process.

Builds (or reuses) demo warehouses under benchmarks/output/<scale>/, then for the NSM and each
first-level driver, at day and week grain, with and without a breakdown, runs the query N times
through the metric service with rollups and without, and prints median and p95 side by side.

    .venv/bin/python benchmarks/bench_metrics.py [--scales 1M,10M] [--repeat 20]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from cli.demo_commands import SCALES, build_demo
from metric_layer.loader import load_spec
from metric_layer.query import MetricQuery
from metric_layer.service import MetricService
from settings import Settings
from warehouse import Warehouse

ROOT = Path(__file__).resolve().parents[1]
END = date(2026, 11, 22)


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def timed(service: MetricService, query: MetricQuery, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        service.query(query)
        out.append((time.perf_counter() - started) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scales", default="1M,10M")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    for scale in args.scales.split(","):
        folder = ROOT / "benchmarks" / "output" / scale
        folder.mkdir(parents=True, exist_ok=True)
        settings = Settings(
            metrics=ROOT / "metrics.yml",
            sources=ROOT / "sources.yml",
            warehouse=folder / "warehouse.duckdb",
            serving_dir=folder / "serving",
        )
        started = time.perf_counter()
        built = build_demo(settings, orders=SCALES[scale], end=END, seed=7)
        if built:
            print(
                f"[{scale}] built demo warehouse in {time.perf_counter() - started:.1f} s "
                f"({os.path.getsize(settings.warehouse) / 1e6:.0f} MB)"
            )
        run(scale, settings, args.repeat)


def run(scale: str, settings: Settings, repeat: int) -> None:
    warehouse = Warehouse(settings.warehouse, read_only=True)
    spec = load_spec(settings.metrics, warehouse.table_columns())
    clock = lambda: datetime(2026, 11, 23, 12)  # noqa: E731
    fast = MetricService(warehouse, spec, clock=clock)
    raw = MetricService(warehouse, spec, clock=clock, use_rollups=False)
    tree = spec.north_star.tree
    metrics = [tree.metric, *[c.metric for c in tree.children]]
    rows = []
    for metric in metrics:
        for grain, days in (("day", 90), ("week", 7 * 52)):
            for dims in ((), ("channel",)):
                q = MetricQuery(
                    (metric,),
                    grain=grain,
                    start=END - timedelta(days=days),
                    end=END,
                    dimensions=dims,
                )
                fast.query(q)  # warm the OS cache and DuckDB's buffers, like a running server
                f = timed(fast, q, repeat)
                r = timed(raw, q, max(3, repeat // 4))
                rows.append(
                    (
                        metric,
                        grain,
                        ",".join(dims) or "-",
                        statistics.median(f),
                        p95(f),
                        statistics.median(r),
                        p95(r),
                    )
                )
    print(f"\n[{scale}] query times in ms (rollups vs raw tables, {repeat} runs each)")
    print(
        f"{'metric':<18}{'grain':<6}{'by':<9}{'med':>8}{'p95':>8}{'raw med':>10}{'raw p95':>10}{'speed-up':>10}"
    )
    for metric, grain, by, fm, fp, rm, rp in rows:
        print(
            f"{metric:<18}{grain:<6}{by:<9}{fm:>8.1f}{fp:>8.1f}{rm:>10.1f}{rp:>10.1f}{rm / fm:>9.1f}x"
        )
    worst = max(r[4] for r in rows)
    print(f"[{scale}] worst p95 with rollups: {worst:.1f} ms (target ≤ 150 ms at 10M)")


if __name__ == "__main__":
    main()
