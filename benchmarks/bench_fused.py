"""The raw path, one query of several metrics: one statement per metric (before) vs one scan per
model (metric_layer/fused.py) vs the single statement MetricFlow generates for it, written out
here by hand (its combined-measures aggregation over the orders model), all in one process on the
same warehouse. bench_metricflow.py runs the SQL MetricFlow itself generates instead.

    .venv/bin/python benchmarks/bench_fused.py [--warehouse data/warehouse.duckdb] [--repeat 15]

The warehouse is copied to a temporary file first (a serving process may hold the original).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from datetime import date, datetime
from pathlib import Path

from timing import p50_p95, timed  # benchmarks/timing.py: this script's own folder

from metric_layer.loader import load_spec
from metric_layer.query import DimensionFilter, MetricQuery
from metric_layer.service import MetricService
from warehouse import Warehouse

ROOT = Path(__file__).resolve().parents[1]
METRICS = ("paid_orders", "revenue", "aov", "orders_per_buyer")
# MetricFlow's shape for these measures of one semantic model: one aggregation with the
# measures' filters pushed into CASE/FILTER, joined dimension, ratios computed on top.
LOCAL = "CAST(timezone('Asia/Shanghai', timezone('UTC', o.ordered_at)) AS DATE)"
METRICFLOW = """
SELECT period, {dims_out}
       paid_orders, revenue, revenue / NULLIF(paid_orders, 0) AS aov,
       paid_orders / NULLIF(active_buyers, 0) AS orders_per_buyer
FROM (
  SELECT CAST(date_trunc('{grain}', {local}) AS DATE) AS period, {dims_in}
         COUNT(CASE WHEN o.status = 'paid' THEN o.order_id END) AS paid_orders,
         SUM(CASE WHEN o.status = 'paid' THEN o.amount END) AS revenue,
         COUNT(DISTINCT CASE WHEN o.status = 'paid' THEN o.customer_id END) AS active_buyers
  FROM raw.shop__orders o LEFT JOIN raw.shop__customers c ON o.customer_id = c.customer_id
  WHERE {local} >= DATE '{lo}' AND {local} < DATE '{hi}' {where}
  GROUP BY ALL
) t
"""
CASES = [
    ("week × channel", "week", ("channel",), (), date(2026, 5, 4), date(2026, 11, 29)),
    ("month × region", "month", ("region",), (), date(2026, 1, 1), date(2026, 11, 30)),
    ("day", "day", (), (), date(2026, 9, 1), date(2026, 11, 30)),
    (
        "quarter × region, filtered",
        "quarter",
        ("region",),
        (DimensionFilter("channel", "in", ("social", "paid_search")),),
        date(2026, 1, 1),
        date(2026, 9, 30),
    ),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warehouse", default=str(ROOT / "data" / "warehouse.duckdb"))
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "warehouse.duckdb"
        shutil.copyfile(args.warehouse, copy)
        wh = Warehouse(copy, read_only=True)
        orders = wh.rows("SELECT count(*) FROM raw.shop__orders")[0][0]
        spec = load_spec(ROOT / "metrics.yml", wh.table_columns())
        svc = MetricService(wh, spec, use_rollups=False, clock=lambda: datetime(2026, 12, 1))
        print(f"{orders:,} orders; raw path; median / p95 ms over {args.repeat} runs")
        print(f"{'query':28} {'per metric':>16} {'one scan':>16} {'MetricFlow SQL':>16}  ratios")
        for label, grain, dims, filters, lo, hi in CASES:
            query = MetricQuery(
                METRICS, grain=grain, start=lo, end=hi, dimensions=dims, filters=filters
            )
            compiler = svc.compiler()
            today = svc.today()
            texts = [compiler.compile(m, query, today).sql() for m in METRICS]
            per_metric = timed(lambda t=texts: [wh.arrow(x) for x in t], args.repeat)
            fused = timed(lambda q=query: svc.query(q), args.repeat)
            where = "AND c.channel IN ('social', 'paid_search')" if filters else ""
            mf = METRICFLOW.format(
                grain=grain,
                local=LOCAL,
                lo=lo,
                hi=hi,
                where=where,
                dims_out="".join(f"{d}, " for d in dims),
                dims_in="".join(f"c.{d} AS {d}, " for d in dims),
            )
            metricflow = timed(lambda s=mf: wh.arrow(s), args.repeat)
            a, b, c = p50_p95(per_metric), p50_p95(fused), p50_p95(metricflow)
            print(
                f"{label:28} {a[0]:7.1f} / {a[1]:6.1f} {b[0]:7.1f} / {b[1]:6.1f} "
                f"{c[0]:7.1f} / {c[1]:6.1f}  per-metric/one-scan {a[0] / b[0]:.2f}×, "
                f"one-scan/MetricFlow {b[0] / c[0]:.2f}×"
            )
        wh.close()


if __name__ == "__main__":
    main()
