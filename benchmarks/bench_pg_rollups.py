"""Rollups in PostgreSQL (warehouse/pg_rollups.py): what they cost the publish, what they save readers.

Builds the demo shop (metrics.yml, --orders orders) into a DuckDB file, publishes it into a
database of its own (dropped at the end), then in the same run:
- republish, nothing changed, without rollups (fingerprints and moves only) and with them: the
  difference is the rollup build, inside the publish's transaction;
- the dashboard-like queries (metrics below, by month over the data's last year, total and by
  channel) on PostgreSQL from the raw tables and from the rollups, and on DuckDB with its rollups,
  each the median of --repeat runs (answers not cached: a new service per run).

    .venv/bin/python benchmarks/bench_pg_rollups.py [--orders 300000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
from datetime import date
from pathlib import Path
from tempfile import TemporaryDirectory

from scratch_database import SERVER, scratch_database
from timing import once as timed  # benchmarks/: this script's own folder

from cli.demo_commands import build_demo
from metric_layer.engine_rollups import plan_rollups
from metric_layer.loader import parse_spec
from metric_layer.query import MetricQuery
from metric_layer.service import MetricService
from settings import Settings
from warehouse import Warehouse
from warehouse.pg_publish import PostgresPublisher
from warehouse.postgres import PostgresWarehouse

ROOT = Path(__file__).parents[1]
METRICS = ("paid_orders", "revenue", "aov", "active_buyers", "visitors")
END = date(2026, 6, 30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--server", default=SERVER)
    args = parser.parse_args()
    with scratch_database(args.server) as url, TemporaryDirectory() as folder:
        run(Path(folder), url, args.orders, args.repeat)


def run(folder: Path, url: str, orders: int, repeat: int) -> None:
    settings = Settings(
        metrics=ROOT / "metrics.yml",
        sources=ROOT / "sources.yml",
        warehouse=folder / "warehouse.duckdb",
        serving_dir=folder / "serving",
    )
    build_demo(settings, orders=orders, end=END, seed=11)
    text = settings.metrics.read_text(encoding="utf-8")
    with Warehouse(settings.warehouse, read_only=True) as wh:
        spec = parse_spec(text, "metrics.yml", wh.table_columns())
        publisher = PostgresPublisher(url)
        first = timed(lambda: publisher.publish(wh, text))[0]
        plain = timed(lambda: publisher.publish(wh, text))[0]
        plan = plan_rollups(spec, wh.table_columns())
        with_rollups = timed(lambda: publisher.publish(wh, text, rollups=plan))[0]
        publisher.close()
        duck = query_times(wh, spec, repeat, True)
    with PostgresWarehouse(url) as pg:
        tables = pg.rows("SELECT count(*) FROM rollup.manifest")[0][0]
        pg_raw = query_times(pg, spec, repeat, False)
        pg_rollups = query_times(pg, spec, repeat, True)
    print(f"demo shop, {orders:,} orders; {tables} rollup tables in PostgreSQL")
    print(f"first publish (copy)                 {first:7.2f} s")
    print(f"republish unchanged, no rollups      {plain:7.2f} s")
    print(
        f"republish unchanged, with rollups    {with_rollups:7.2f} s  "
        f"(rollup build ≈ {with_rollups - plain:.2f} s)"
    )
    print(
        f"\n{'query (month, last year)':<34}{'pg raw':>9}{'pg rollups':>12}{'duckdb rollups':>16}"
    )
    for key in pg_raw:
        a, b, c = pg_raw[key], pg_rollups[key], duck[key]
        print(f"{key:<34}{a * 1e3:>7.1f}ms{b * 1e3:>10.1f}ms{c * 1e3:>14.1f}ms  {a / b:5.1f}x")


def query_times(wh, spec, repeat: int, rollups: bool) -> dict[str, float]:  # type: ignore[no-untyped-def]
    out = {}
    for metric in METRICS:
        for dims in ((), ("channel",)):
            query = MetricQuery(
                (metric,), grain="month", start=date(2025, 7, 1), end=END, dimensions=dims
            )
            runs = []
            for _ in range(repeat):
                service = MetricService(wh, spec, use_rollups=rollups, as_of=END)
                runs.append(timed(lambda s=service, q=query: s.query(q))[0])
            out[f"{metric} {'by ' + dims[0] if dims else 'total'}"] = statistics.median(runs)
    return out


if __name__ == "__main__":
    main()
