"""The dashboard's questions on every engine, in one run over the same data: DuckDB, PostgreSQL
and Spark local[N], each from the raw tables and from its rollups (docs/scale-out.md, where the
figures and the crossover are written down).

Takes a built demo warehouse (`--warehouse data/warehouse.duckdb`, e.g. after `northstar demo
build --scale 10M`) or builds one (`--orders N`); publishes it into a PostgreSQL database of its
own (dropped at the end) and into a Spark warehouse directory (a temporary folder), both with
rollups, timing each publish; then asks every engine the Overview's and Explorer's questions —
the metrics below by month over the data's last year, total and by channel, and the NSM by week —
with a new service per run (no answer cached), the median of --repeat runs, and checks that every
engine gave the same numbers as DuckDB's raw path.

    .venv/bin/python benchmarks/bench_engines.py --warehouse /tmp/demo10/data/warehouse.duckdb
    .venv/bin/python benchmarks/bench_engines.py --orders 1000000 [--spark 'local[2]'] [--repeat 3]
"""

from __future__ import annotations

import argparse
import math
import statistics
from datetime import date, timedelta
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
from warehouse.ingest_meta import last_change
from warehouse.pg_publish import PostgresPublisher
from warehouse.postgres import PostgresWarehouse

ROOT = Path(__file__).parents[1]
METRICS = ("paid_orders", "revenue", "aov", "active_buyers", "visitors")
# Spark local[N] for a benchmark: Spark's defaults (code generation, adaptive execution) with
# shuffles sized for N cores rather than a cluster's 200 partitions.
SPARK_CONF = {"spark.sql.shuffle.partitions": "8", "spark.driver.memory": "3g"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, help="a built demo warehouse (else --orders)")
    parser.add_argument("--orders", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--spark", default="local[2]")
    parser.add_argument("--server", default=SERVER)
    args = parser.parse_args()
    with scratch_database(args.server) as url, TemporaryDirectory() as folder:
        source = args.warehouse
        if source is None:
            source = Path(folder) / "warehouse.duckdb"
            build(source, args.orders)
        run(source, Path(folder) / "lake", url, args.spark, args.repeat)


def build(path: Path, orders: int) -> None:
    settings = Settings(
        metrics=ROOT / "metrics.yml",
        sources=ROOT / "sources.yml",
        warehouse=path,
        serving_dir=path.parent / "serving",
    )
    build_demo(settings, orders=orders, end=date(2026, 6, 30), seed=11)


def run(source: Path, lake: Path, url: str, spark_url: str, repeat: int) -> None:
    from warehouse.spark import SparkWarehouse
    from warehouse.spark_publish import SparkPublisher

    text = (ROOT / "metrics.yml").read_text(encoding="utf-8")
    with Warehouse(source, read_only=True) as wh:
        types = wh.table_columns()
        spec = parse_spec(text, "metrics.yml", types)
        orders = wh.rows("SELECT count(*) FROM raw.shop__orders")[0][0]
        end = wh.rows("SELECT max(ordered_at)::DATE FROM raw.shop__orders")[0][0]
        changed = last_change(wh)
        pg = PostgresPublisher(url)
        pg_publish, _ = timed(
            lambda: pg.publish(wh, text, changed, rollups=plan_rollups(spec, types, "postgres"))
        )
        pg.close()
        spark = SparkPublisher(lake, url=spark_url, conf=SPARK_CONF)
        spark_raw, _ = timed(lambda: spark.publish(wh, text, changed))
        spark_publish, _ = timed(
            lambda: spark.publish(wh, text, changed, rollups=plan_rollups(spec, types, "spark"))
        )
        queries = questions(end)
        answers = {"duckdb raw": ask(wh, spec, queries, repeat, False, end)}
        answers["duckdb rollups"] = ask(wh, spec, queries, repeat, True, end)
    with PostgresWarehouse(url) as database:
        answers["postgres raw"] = ask(database, spec, queries, repeat, False, end)
        answers["postgres rollups"] = ask(database, spec, queries, repeat, True, end)
    with SparkWarehouse(spark_url, directory=lake, conf=SPARK_CONF) as lake_reader:
        answers["spark raw"] = ask(lake_reader, spec, queries, repeat, False, end)
        answers["spark rollups"] = ask(lake_reader, spec, queries, repeat, True, end)
    report(orders, spark_url, pg_publish, spark_raw, spark_publish - spark_raw, queries, answers)


def questions(end: date) -> dict[str, MetricQuery]:
    start = date(end.year - 1, end.month, 1) + timedelta(days=31)
    start = start.replace(day=1)
    out = {}
    for metric in METRICS:
        for dims in ((), ("channel",)):
            label = f"{metric} by month{' × channel' if dims else ''}"
            out[label] = MetricQuery(
                (metric,), grain="month", start=start, end=end, dimensions=dims
            )
    out["NSM by week, 26 weeks"] = MetricQuery(
        ("paid_orders",), grain="week", start=end - timedelta(weeks=26), end=end
    )
    return out


def ask(wh, spec, queries, repeat: int, rollups: bool, end: date):  # type: ignore[no-untyped-def]
    """{label: (median seconds, frame)}; a new service per run, so nothing is cached."""
    out = {}
    for label, query in queries.items():
        runs, frame = [], None
        for _ in range(repeat):
            service = MetricService(wh, spec, use_rollups=rollups, as_of=end)
            seconds, result = timed(lambda s=service, q=query: s.query(q))
            runs.append(seconds)
            frame = result.frame
        out[label] = (statistics.median(runs), frame)
    return out


def report(orders, spark_url, pg_publish, spark_raw, spark_rollups, queries, answers) -> None:  # type: ignore[no-untyped-def]
    print(f"demo shop, {orders:,} orders; Spark {spark_url}")
    print(f"publish to PostgreSQL with rollups (first)   {pg_publish:8.1f} s")
    print(f"publish to Spark, tables only (first)        {spark_raw:8.1f} s")
    print(f"  its rollups built by Spark (republish)     {spark_rollups:8.1f} s")
    engines = list(answers)
    print(f"\n{'question (median ms)':<34}" + "".join(f"{e:>17}" for e in engines))
    for label in queries:
        cells = [answers[e][label][0] * 1e3 for e in engines]
        print(f"{label:<34}" + "".join(f"{c:>17.1f}" for c in cells))
    totals = {e: sum(answers[e][label][0] for label in queries) for e in engines}
    print(f"{'all questions (s)':<34}" + "".join(f"{totals[e]:>17.2f}" for e in engines))
    base = totals["duckdb raw"]
    print(f"{'vs duckdb raw':<34}" + "".join(f"{totals[e] / base:>16.2f}x" for e in engines))
    mismatches = [
        f"{e}: {label}"
        for e in engines
        for label in queries
        if not same(answers["duckdb raw"][label][1], answers[e][label][1])
    ]
    print("numbers: " + ("equal on every engine" if not mismatches else f"DIFFER {mismatches}"))


def same(a, b) -> bool:  # type: ignore[no-untyped-def]
    """Equal frames: the same rows, numbers within 1e-9 relative (DECIMALs print equal)."""
    if list(a.columns) != list(b.columns) or len(a) != len(b):
        return False
    a = a.sort_values(list(a.columns[:-1])).reset_index(drop=True)
    b = b.sort_values(list(b.columns[:-1])).reset_index(drop=True)
    for column in a.columns:
        for x, y in zip(a[column], b[column], strict=True):
            if _number(x) is not None and _number(y) is not None:
                x, y = _number(x), _number(y)
                if not (math.isclose(x, y, rel_tol=1e-9) or (math.isnan(x) and math.isnan(y))):
                    return False
            elif str(x) != str(y) and not (_missing(x) and _missing(y)):
                return False
    return True


def _number(value) -> float | None:  # type: ignore[no-untyped-def]
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _missing(value) -> bool:  # type: ignore[no-untyped-def]
    return (
        value is None
        or (isinstance(value, float) and math.isnan(value))
        or str(value)
        in {
            "NaT",
            "<NA>",
        }
    )


if __name__ == "__main__":
    main()
