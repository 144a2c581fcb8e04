"""Distinct counts and active metrics at quarter, year and `all` grain and with two dimensions:
materialized results (quarter and year are kept since BUILD_VERSION 3) vs the entity-day rows
that answered them before vs the raw tables, all in one process on the same warehouse.

    .venv/bin/python benchmarks/bench_distinct_grains.py \
        [--warehouse benchmarks/output/1M/warehouse.duckdb] [--repeat 15]

The warehouse is copied to a temporary file and its rollups refreshed with this code there (the
original is left as it was). "entity-days" is the same service with the quarter and year results
hidden from its planner, i.e. the path the plan chose before they were kept. Every case checks
that the three paths return equal frames before timing them.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pandas as pd
from timing import p50_p95, timed  # benchmarks/timing.py: this script's own folder

from metric_layer.loader import load_spec
from metric_layer.query import MetricQuery
from metric_layer.rollup_build import refresh_rollups
from metric_layer.service import MetricService
from warehouse import Warehouse

ROOT = Path(__file__).resolve().parents[1]
TODAY = date(2026, 11, 23)
CASES = [
    # (metric, grain, dimensions, start, end)
    ("active_buyers", "quarter", (), date(2025, 10, 1), date(2026, 9, 30)),
    ("active_buyers", "quarter", ("channel",), date(2025, 10, 1), date(2026, 9, 30)),
    ("active_buyers", "year", ("region",), date(2025, 1, 1), date(2026, 11, 22)),
    ("visitors", "quarter", ("platform",), date(2025, 10, 1), date(2026, 9, 30)),
    ("visitors", "year", (), date(2025, 1, 1), date(2026, 11, 22)),
    ("mau", "quarter", (), date(2025, 10, 1), date(2026, 9, 30)),
    ("wau", "year", ("platform",), date(2025, 1, 1), date(2026, 11, 22)),
    # stay on the entity-day rows (see docs/metrics-yml.md): for context
    ("active_buyers", "all", (), date(2026, 8, 1), date(2026, 10, 31)),
    ("active_buyers", "quarter", ("channel", "platform"), date(2025, 10, 1), date(2026, 9, 30)),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    default = ROOT / "benchmarks" / "output" / "1M" / "warehouse.duckdb"
    parser.add_argument("--warehouse", default=str(default))
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "warehouse.duckdb"
        shutil.copyfile(args.warehouse, copy)
        with Warehouse(copy) as wh:
            spec = load_spec(ROOT / "metrics.yml", wh.table_columns())
            started = time.perf_counter()
            refreshed = refresh_rollups(wh, spec, TODAY)
            print(
                f"rollups refreshed in {time.perf_counter() - started:.1f} s: {refreshed.summary()}"
            )
        wh = Warehouse(copy, read_only=True)
        orders = wh.rows("SELECT count(*) FROM raw.shop__orders")[0][0]
        spec = load_spec(ROOT / "metrics.yml", wh.table_columns())
        clock = lambda: datetime(2026, 11, 23, 12)  # noqa: E731
        kept = MetricService(wh, spec, clock=clock)
        before = MetricService(wh, spec, clock=clock)
        planner = before.rollup_planner
        assert planner is not None, "no usable rollups in the copy"
        hidden = {t for t in planner.tables if t.split("__")[-2] in ("quarter", "year")}
        before._planner = replace(planner, tables=planner.tables - hidden)  # the path before
        raw = MetricService(wh, spec, clock=clock, use_rollups=False)
        print(f"{orders:,} orders; median / p95 ms over {args.repeat} runs")
        print(f"{'query':44} {'results':>15} {'entity-days':>15} {'raw':>15}  ratios")
        for metric, grain, dims, lo, hi in CASES:
            q = MetricQuery((metric,), grain=grain, start=lo, end=hi, dimensions=dims)
            frames = [s.query(q).frame for s in (kept, before, raw)]
            for other in frames[1:]:
                pd.testing.assert_frame_equal(frames[0], other, check_dtype=False)
            source = kept.plan(metric, q).sources
            a, b, c = (
                p50_p95(timed(lambda s=s, q=q: s.query(q), args.repeat))
                for s in (kept, before, raw)
            )
            label = f"{metric} {grain} by {','.join(dims) or '-'}"
            print(
                f"{label:44} {a[0]:6.1f} / {a[1]:6.1f} {b[0]:6.1f} / {b[1]:6.1f} "
                f"{c[0]:6.1f} / {c[1]:6.1f}  entity-days/results {b[0] / a[0]:.1f}×, "
                f"raw/results {c[0] / a[0]:.1f}×  [{source}]"
            )
        wh.close()


if __name__ == "__main__":
    main()
