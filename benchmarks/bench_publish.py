"""Publishing a serving version: the old whole-file copy vs a catalog + Parquet segments
(warehouse/segments.py), both in this process on copies of one warehouse.

    .venv/bin/python benchmarks/bench_publish.py --warehouse /path/to/warehouse.duckdb [--repeat 15]

Build a 1M warehouse in a scratch folder with `northstar demo build --scale 1M` (it lands in
./data/warehouse.duckdb there). Everything here happens on copies in a temporary directory.

Prints: a full publish (old: copy the file; new: catalog + every segment); a republish after a 1%
change (1% more rows in every large table, all in its newest month, as a day's load and rollup
refresh would touch); the disk of three kept versions (old: three copies); the time to open a
version as a web worker does; and p50 / p95 of raw-path and rollup queries and of the Overview's
first queries (as a web worker warms up) on the old native copy vs the new
catalog, with the web side's DuckDB settings (1 thread, 1GB).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from timing import p50_p95, timed  # benchmarks/timing.py: this script's own folder

from dashboard.lookback import lookback_queries
from metric_layer.compile_cache import CompileCache
from metric_layer.loader import load_spec
from metric_layer.service import MetricService
from warehouse import SnapshotStore, Warehouse
from warehouse.segments import PARTITION_TYPES

ROOT = Path(__file__).resolve().parents[1]

SERVING = {"threads": 1, "memory_limit": "1GB", "allocator_flush_threshold": "4MB"}
QUERIES = {
    "orders by day, one month": (
        "SELECT CAST(ordered_at AS DATE) AS day, count(*), sum(amount) FROM raw.shop__orders "
        "WHERE ordered_at >= TIMESTAMP '2026-10-01' AND ordered_at < TIMESTAMP '2026-11-01' "
        "GROUP BY day ORDER BY day"
    ),
    "distinct customers, all orders": "SELECT count(DISTINCT customer_id) FROM raw.shop__orders",
    "paid revenue by platform, 2026": (
        "SELECT platform, sum(amount) FROM raw.shop__orders WHERE status = 'paid' "
        "AND ordered_at >= TIMESTAMP '2026-01-01' GROUP BY platform"
    ),
    "sessions by platform, one month": (
        "SELECT platform, count(*), sum(duration_s) FROM raw.shop__sessions WHERE started_at >= "
        "TIMESTAMP '2026-10-01' AND started_at < TIMESTAMP '2026-11-01' GROUP BY platform"
    ),
    "orders × customers by region, a quarter": (
        "SELECT c.region, count(*), sum(o.amount) FROM raw.shop__orders o "
        "JOIN raw.shop__customers c USING (customer_id) WHERE o.ordered_at >= "
        "TIMESTAMP '2026-07-01' AND o.ordered_at < TIMESTAMP '2026-10-01' GROUP BY c.region"
    ),
    "rollup: daily orders, 90 days": (
        "SELECT day, sum(m_paid_orders), sum(m_revenue) FROM rollup.orders__daily__all "
        "WHERE day >= DATE '2026-09-01' GROUP BY day"
    ),
}


def disk(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def old_publish(warehouse: Path, serving: Path, n: int) -> Path:
    """What SnapshotStore.publish did before: copy the whole file, rename it into place."""
    serving.mkdir(exist_ok=True)
    target = serving / f"v{n}.duckdb"
    shutil.copyfile(warehouse, target.with_suffix(".tmp"))
    os.replace(target.with_suffix(".tmp"), target)
    return target


def change_one_percent(warehouse: Path, min_rows: int) -> None:
    """1% more rows in every table of at least `min_rows` rows, dated in its newest month."""
    with Warehouse(warehouse) as wh:
        columns = wh.table_columns()
        for schema, table, rows in wh.rows(
            "SELECT schema_name, table_name, estimated_size FROM duckdb_tables()"
        ):
            name = f'"{schema}"."{table}"'  # names from the warehouse's own catalog
            types = columns[f"{schema}.{table}"]
            dated = next((c for c, t in types.items() if t in PARTITION_TYPES), None)
            if dated is None or rows < min_rows:
                continue
            wh.execute(
                f'INSERT INTO {name} SELECT * REPLACE ((SELECT max("{dated}") FROM {name}) AS '
                f'"{dated}") FROM {name} USING SAMPLE 1 PERCENT (bernoulli)'
            )
        wh.checkpoint()


def overview(wh: Warehouse, version: str):  # type: ignore[no-untyped-def]
    """What a web worker runs first on a new version (dashboard.serving._warm): both lookback
    queries of the north star and every metric of its tree, on a fresh service each time (a
    service remembers its answers); compiled SQL is kept, as the web side keeps it."""
    spec = load_spec(ROOT / "metrics.yml", wh.table_columns())
    ns = spec.north_star
    assert ns is not None
    metrics, nodes = [ns.metric], [ns.tree] if ns.tree else []
    while nodes:
        node = nodes.pop(0)
        metrics.append(node.metric)
        nodes.extend(node.children)
    as_of = wh.rows("SELECT max(ordered_at)::DATE FROM raw.shop__orders")[0][0]
    today = MetricService(wh, spec, as_of=as_of).today()
    queries = [
        q
        for m in dict.fromkeys(metrics)
        for q in lookback_queries(m, ns.grain, today, spec.week_start)
    ]
    compiled = CompileCache()

    def run() -> None:
        service = MetricService(wh, spec, snapshot=version, compile_cache=compiled, as_of=as_of)
        for query in queries:
            service.query(query)

    return run, len(queries)


def clock(run) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warehouse", required=True, help="a built demo warehouse (1M orders)")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        source = root / "warehouse.duckdb"
        shutil.copyfile(args.warehouse, source)
        size = source.stat().st_size
        store = SnapshotStore(root / "new")
        old_dir = root / "old"
        with Warehouse(source, read_only=True) as wh:
            orders = wh.rows("SELECT count(*) FROM raw.shop__orders")[0][0]
        print(
            f"{orders:,} orders; warehouse {size / 1e6:.1f} MB; new segment_min_rows "
            f"{store.segment_min_rows:,}\n"
        )

        old_full = clock(lambda: old_publish(source, old_dir, 1))
        new_full = clock(lambda: store.publish(source))
        print(f"{'':34} {'old copy':>10} {'new':>10}  new/old")
        print(
            f"{'full publish (s)':34} {old_full:10.2f} {new_full:10.2f}  {new_full / old_full:.2f}×"
        )
        sizes_old = [(old_dir / "v1.duckdb").stat().st_size]
        catalogs = [store.catalog_file(store.current()[0]).stat().st_size]  # type: ignore[index]
        for n in (2, 3):
            change_one_percent(source, store.segment_min_rows)
            before = disk(root / "new")
            old_again = clock(lambda n=n: old_publish(source, old_dir, n))
            new_again = clock(lambda: store.publish(source))
            sizes_old.append((old_dir / f"v{n}.duckdb").stat().st_size)
            catalogs.append(store.catalog_file(store.current()[0]).stat().st_size)  # type: ignore[index]
            added = (disk(root / "new") - before) / 1e6
            print(
                f"{f'republish after a 1% change #{n - 1} (s)':34} {old_again:10.2f} "
                f"{new_again:10.2f}  {new_again / old_again:.2f}×   (new: +{added:.1f} MB, "
                f"old: +{sizes_old[-1] / 1e6:.1f} MB)"
            )
        old_three, new_three = sum(sizes_old), disk(root / "new")
        warehouse_now = source.stat().st_size
        print(
            f"{'disk of 3 versions (MB)':34} {old_three / 1e6:10.1f} {new_three / 1e6:10.1f}  "
            f"{new_three / old_three:.2f}×   (vs one warehouse of {warehouse_now / 1e6:.1f} MB: "
            f"old {old_three / warehouse_now:.2f}×, new {new_three / warehouse_now:.2f}×; "
            f"catalogs {catalogs[-1] / 1e6:.1f} MB each, "
            f"{len(list((root / 'new' / 'segments').iterdir()))} segment files)"
        )

        version = store.current()[0]  # type: ignore[index]
        old_file = old_dir / "v3.duckdb"
        old_open = timed(lambda: Warehouse(old_file, read_only=True, config=SERVING).close(), 5)
        new_open = timed(lambda: store.open_snapshot(version, SERVING).close(), 5)
        print(
            f"{'open a version, web-style (ms p50)':34} {p50_p95(old_open)[0]:10.1f} "
            f"{p50_p95(new_open)[0]:10.1f}  {p50_p95(new_open)[0] / p50_p95(old_open)[0]:.2f}×"
            "   (new: checks every segment footer)"
        )

        print(f"\nqueries, p50 / p95 ms over {args.repeat} runs, 1 thread (old / new):")
        old_wh = Warehouse(old_file, read_only=True, config=SERVING)
        new_wh = store.open_snapshot(version, SERVING)
        for label, sql in QUERIES.items():
            same = sorted(map(repr, old_wh.rows(sql))) == sorted(map(repr, new_wh.rows(sql)))
            a = p50_p95(timed(lambda s=sql: old_wh.rows(s), args.repeat))
            b = p50_p95(timed(lambda s=sql: new_wh.rows(s), args.repeat))
            print(
                f"  {label:40} {a[0]:7.1f} / {a[1]:6.1f}  {b[0]:7.1f} / {b[1]:6.1f}  "
                f"{b[0] / a[0]:.2f}×{'' if same else '  (float sums differ in the last digits)'}"
            )
        old_run, count = overview(old_wh, "old")
        new_run, _ = overview(new_wh, version)
        a = p50_p95(timed(old_run, max(3, args.repeat // 3)))
        b = p50_p95(timed(new_run, max(3, args.repeat // 3)))
        label = f"Overview warm-up ({count} metric queries)"
        print(
            f"  {label:40} {a[0]:7.1f} / {a[1]:6.1f}  {b[0]:7.1f} / {b[1]:6.1f}  {b[0] / a[0]:.2f}×"
        )
        old_wh.close()
        new_wh.close()


if __name__ == "__main__":
    main()
