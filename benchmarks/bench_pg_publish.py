"""Time publishing to PostgreSQL (warehouse/pg_publish.py) against a plain copy in the same run.

Builds a DuckDB warehouse with an orders-like table of --rows rows (text, timestamps, a
TIMESTAMPTZ, DECIMAL(12,2), a double, a boolean, a date; some NULLs and empty strings) and a
small customers table, creates a database of its own on the server (dropped at the end), then:

- baseline: psycopg's binary COPY with write_row of every row from DuckDB's fetchmany (the
  obvious way), into a plain table;
- publish: the first publish (every table copied as Arrow CSV into COPY, ANALYZE, the swap);
- republish, nothing changed: fingerprints only, every table moved;
- republish, customers changed: the small table copied, orders moved.

    .venv/bin/python benchmarks/bench_pg_publish.py [--rows 1000000] [--server postgresql://postgres@127.0.0.1:5432/test]

Prints seconds and rows/s of each, and the ratios to the baseline.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from tempfile import TemporaryDirectory

import psycopg
from scratch_database import SERVER, scratch_database
from timing import once as timed  # benchmarks/: this script's own folder

from warehouse import Warehouse
from warehouse.ingest_meta import ensure_meta
from warehouse.pg_publish import PostgresPublisher

ORDERS = """
CREATE TABLE raw.shop__orders AS SELECT
  'o' || i AS order_id,
  CASE WHEN i % 50 = 0 THEN NULL WHEN i % 77 = 0 THEN '' ELSE 'c' || (i % 50000) END AS customer_id,
  TIMESTAMP '2025-01-01' + i * INTERVAL 7 SECOND AS ordered_at,
  TIMESTAMPTZ '2025-01-01 00:00:00+00' + i * INTERVAL 7 SECOND AS paid_at,
  ((i % 20000) / 100.0)::DECIMAL(12, 2) AS amount,
  i / 3.0 AS score,
  i % 2 = 0 AS first_order,
  DATE '2025-01-01' + (i % 700)::INTEGER AS ship_day,
  CASE WHEN i % 9 = 0 THEN 'refunded' ELSE 'paid' END AS status
FROM range(?) r(i)
"""
BASELINE_TYPES = [
    "text", "text", "timestamp", "timestamptz", "numeric", "float8", "bool", "date", "text",
]  # fmt: skip
BASELINE_TABLE = """CREATE TABLE baseline (order_id text, customer_id text, ordered_at timestamp,
  paid_at timestamptz, amount numeric(12, 2), score float8, first_order bool, ship_day date,
  status text)"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--server", default=SERVER)
    args = parser.parse_args()
    with scratch_database(args.server) as url, TemporaryDirectory() as folder:
        run(Path(folder) / "warehouse.duckdb", url, args.rows)


def run(path: Path, url: str, rows: int) -> None:
    with Warehouse(path) as wh:
        ensure_meta(wh)
        wh.execute(ORDERS, [rows])
        wh.execute("CREATE TABLE raw.shop__customers AS SELECT 'c' || range AS id FROM range(5000)")
        wh.checkpoint()
        base = timed(lambda: baseline(wh, url))
        publisher = PostgresPublisher(url)
        first = timed(lambda: publisher.publish(wh))
        unchanged = timed(lambda: publisher.publish(wh))
        wh.execute("INSERT INTO raw.shop__customers VALUES ('c-new')")
        small = timed(lambda: publisher.publish(wh))
        publisher.close()
    print(f"{rows:,} order rows, 9 columns")
    print(f"baseline write_row COPY       {base[0]:7.2f} s  {rows / base[0]:>10,.0f} rows/s")
    print(
        f"first publish (all copied)    {first[0]:7.2f} s  {rows / first[0]:>10,.0f} rows/s  "
        f"{base[0] / first[0]:.2f}x the baseline's speed"
    )
    print(
        f"republish, nothing changed    {unchanged[0]:7.2f} s  kept {len(unchanged[1].kept)} "
        f"tables  {unchanged[0] / first[0]:.1%} of the first publish"
    )
    print(
        f"republish, customers changed  {small[0]:7.2f} s  copied {', '.join(small[1].copied)}  "
        f"{small[0] / first[0]:.1%} of the first publish"
    )


def baseline(wh: Warehouse, url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS baseline")
        conn.execute(BASELINE_TABLE)
        with conn.cursor().copy("COPY baseline FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(BASELINE_TYPES)
            for batch in wh.batches("SELECT * FROM raw.shop__orders"):
                for row in zip(*(column.to_pylist() for column in batch.columns), strict=True):
                    copy.write_row(row)
        conn.execute("DROP TABLE baseline")


if __name__ == "__main__":
    main()
