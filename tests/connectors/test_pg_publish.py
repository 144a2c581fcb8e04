"""Publishing to PostgreSQL (warehouse/pg_publish.py), as test_publish.py and
test_ingest_crash_safety.py check it for DuckDB snapshots: what lands is the DuckDB tables row for
row with their types; a publish that fails or is killed mid-way leaves `raw` exactly as it was and
the next one succeeds and leaves nothing behind; readers see the old tables or the new ones, never
a mix; unchanged tables are moved, not copied. One database for the module, dropped at its end.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
import psycopg
import pytest

from metric_layer.engine_rollups import plan_rollups
from metric_layer.loader import parse_spec
from tests.pg_publish_support import fresh_database, reset, schemas, table_rows
from warehouse import Warehouse
from warehouse.engines import LIVE
from warehouse.ingest_meta import ensure_meta
from warehouse.pg_copy import PostgresPublishError
from warehouse.pg_publish import PostgresPublisher
from warehouse.pg_published import PostgresPublished
from warehouse.postgres import PostgresWarehouse

pytestmark = [pytest.mark.db, pytest.mark.xdist_group("pg_publish")]
ROOT = Path(__file__).parents[2]
WAIT = 120  # seconds a test waits for a condition before failing (never a fixed pause)


@pytest.fixture(scope="module")
def database():
    with fresh_database() as url:
        yield url


@pytest.fixture
def url(database):
    reset(database)
    return database


def orders(batch: int, n: int = 300) -> pd.DataFrame:
    """`n` orders of batch `batch` (ids batch*1000 + i), with every type a shop table has."""
    ids = [batch * 1000 + i for i in range(n)]
    return pd.DataFrame(
        {
            "order_id": ids,
            "customer": [
                None if i % 17 == 0 else ("" if i % 13 == 0 else f"c{i % 7}") for i in ids
            ],
            "ordered_at": [datetime(2026, 1, 1 + i % 28, i % 24, 30) for i in ids],
            "paid_at": [datetime(2026, 1, 1 + i % 28, 8, tzinfo=UTC) for i in ids],
            "amount": [Decimal(f"{i % 500}.{i % 100:02d}") for i in ids],
            "score": [i / 7 for i in ids],
            "vip": [i % 3 == 0 for i in ids],
            "day": [date(2026, 2, 1 + i % 28) for i in ids],
        }
    )


def make_warehouse(path: Path, batches: int = 1) -> None:
    with Warehouse(path) as wh:
        ensure_meta(wh)
        wh.replace_table("raw.shop__orders", pd.concat([orders(b) for b in range(batches)]))
        wh.execute("ALTER TABLE raw.shop__orders ALTER amount TYPE DECIMAL(12,2)")
        wh.replace_table(
            "raw.shop__customers", pd.DataFrame({"customer": ["c1", "c2"], "region": ["n", "s"]})
        )
        wh.execute(
            "INSERT INTO meta.loads VALUES ('r1', 'shop', 'orders', now(), now(), 300, 1, 'ok', "
            "NULL)"
        )
        wh.checkpoint()


def add_batch(path: Path, batch: int) -> None:
    with Warehouse(path) as wh, wh.transaction() as tx:
        tx.append_table("raw.shop__orders", orders(batch))


# A spec over the test's orders: the publish builds its rollups (daily, entity days) with it.
SHOP_SPEC = """
version: 1
time_zone: Asia/Shanghai
models:
  - name: orders
    table: raw.shop__orders
    primary_key: order_id
    time: {column: ordered_at, time_zone: UTC}
    dimensions: [vip]
metrics:
  - {name: orders, type: simple, model: orders, agg: count}
  - {name: buyers, type: simple, model: orders, agg: count_distinct, expr: customer}
"""


def publish(url: str, path: Path, *, rollups: bool = False, **kwargs) -> object:
    with Warehouse(path, read_only=True) as wh:
        types = wh.table_columns()
        plan = plan_rollups(parse_spec(SHOP_SPEC, "shop.yml", types), types) if rollups else None
        publisher = PostgresPublisher(url, **kwargs)
        try:
            return publisher.publish(wh, spec_text="metrics: []", rollups=plan)
        finally:
            publisher.close()


def daily_orders(url: str) -> list[tuple]:
    """rollup.orders__daily__total as published: (Shanghai day, orders)."""
    return table_rows(url, "rollup.orders__daily__total", "day")


def pandas_daily_orders(path: Path) -> list[tuple]:
    """Orders per Shanghai day, by pandas from the DuckDB rows (ordered_at is UTC)."""
    with Warehouse(path, read_only=True) as wh:
        frame = wh.frame("SELECT ordered_at FROM raw.shop__orders")
    local = pd.to_datetime(frame["ordered_at"]).dt.tz_localize("UTC").dt.tz_convert("Asia/Shanghai")
    counts = local.dt.date.value_counts().sort_index()
    return [(day, int(n)) for day, n in counts.items()]


def published_orders(url: str) -> list[tuple]:
    return table_rows(url, "raw.shop__orders", "order_id")


def duckdb_orders(path: Path) -> list[tuple]:
    with Warehouse(path, read_only=True) as wh:
        return wh.rows("SELECT * FROM raw.shop__orders ORDER BY order_id")


def test_a_publish_lands_every_raw_table_and_meta_loads_row_for_row_with_their_types(url, tmp_path):
    path = tmp_path / "warehouse.duckdb"
    make_warehouse(path)
    result = publish(url, path)
    assert result.copied == ("meta.loads", "raw.shop__customers", "raw.shop__orders")
    assert result.rows == 300 + 2 + 1
    # Row for row: NULL apart from '', exact decimals, doubles to the bit, instants, dates.
    assert published_orders(url) == duckdb_orders(path)
    assert table_rows(url, "raw.shop__customers", "customer") == [("c1", "n"), ("c2", "s")]
    assert table_rows(url, "meta.loads", "run_id")[0][:3] == ("r1", "shop", "orders")
    with Warehouse(path, read_only=True) as wh:
        duck_types = wh.table_columns()
    with PostgresWarehouse(url) as pg:
        pg_types = pg.table_columns()
        version = pg.rows("SELECT version, spec_text FROM northstar_publish.versions")
    for table in ("raw.shop__orders", "raw.shop__customers", "meta.loads"):
        assert pg_types[table] == duck_types[table], table  # the spec's checks read one vocabulary
    assert version == [(result.version, "metrics: []")]
    assert schemas(url) == {"raw", "meta", "northstar_publish"}


def test_the_published_spec_is_read_back_by_version(url, tmp_path):
    # the web app serves it when the live metrics.yml is broken (dashboard/serving.py)
    path = tmp_path / "warehouse.duckdb"
    make_warehouse(path)
    published = PostgresPublished(url)
    try:
        assert published.spec_text("20260101T000000-000000000") is None  # nothing published
        version = publish(url, path).version
        assert published.spec_text(version) == "metrics: []"
        assert published.spec_text(LIVE) is None
        assert published.spec_text("20260101T000000-000000000") is None
    finally:
        published.close()


def test_unchanged_tables_are_moved_not_copied_and_keep_their_indexes(url, tmp_path):
    path = tmp_path / "warehouse.duckdb"
    make_warehouse(path)
    publish(url, path)
    with psycopg.connect(url, autocommit=True) as conn:  # an operator's indexes, as the docs say
        conn.execute("CREATE INDEX by_region ON raw.shop__customers (region)")
        conn.execute("CREATE INDEX by_time ON raw.shop__orders (ordered_at)")
        customers_oid = conn.execute("SELECT 'raw.shop__customers'::regclass::oid").fetchone()
    add_batch(path, 1)
    steps: list[tuple[str, str]] = []
    result = publish(url, path, on_step=lambda e, d: steps.append((e, d)))
    assert result.copied == ("raw.shop__orders",)
    assert result.kept == ("meta.loads", "raw.shop__customers")
    assert result.rows == 600
    assert ("kept", "raw.shop__customers") in steps
    assert published_orders(url) == duckdb_orders(path)
    with psycopg.connect(url, autocommit=True) as conn:
        # the same table, moved by the swap (not a copy), and the copied one took its indexes
        assert conn.execute("SELECT 'raw.shop__customers'::regclass::oid").fetchone() == (
            customers_oid
        )
        indexes = conn.execute(
            "SELECT tablename FROM pg_indexes WHERE schemaname = 'raw' ORDER BY 1"
        ).fetchall()
    assert indexes == [("shop__customers",), ("shop__orders",)]


@pytest.mark.parametrize("failing", ["copied", "rollups"])
def test_an_error_after_the_first_table_leaves_raw_as_it_was_and_the_next_publish_succeeds(
    url, tmp_path, failing
):
    """Failing after the first table is copied, or after the rollups are built over the new
    `raw` (swapped in, not committed): raw and rollup stay as they were."""
    path = tmp_path / "warehouse.duckdb"
    make_warehouse(path)
    first = publish(url, path, rollups=True)
    before = published_orders(url)
    rollups_before = daily_orders(url)
    assert rollups_before == pandas_daily_orders(path)
    add_batch(path, 1)
    with Warehouse(path) as wh:  # both raw tables change, so both are copied
        wh.execute("INSERT INTO raw.shop__customers VALUES ('c3', 'e')")

    def broken(event: str, detail: str) -> None:
        if event == failing:
            raise RuntimeError(f"the disk filled up after {detail}")

    with pytest.raises(RuntimeError, match="disk filled up"):
        publish(url, path, on_step=broken, rollups=True)
    assert published_orders(url) == before  # row for row
    assert table_rows(url, "raw.shop__customers", "customer") == [("c1", "n"), ("c2", "s")]
    assert daily_orders(url) == rollups_before  # the rollups of the version readers read
    # nothing half-built is left
    assert schemas(url) == {"raw", "meta", "northstar_publish", "rollup"}
    with PostgresWarehouse(url) as pg:
        assert pg.rows("SELECT version FROM northstar_publish.versions ORDER BY seq DESC LIMIT 1")[
            0
        ][0] == (first.version)
    retried = publish(url, path, rollups=True)
    assert published_orders(url) == duckdb_orders(path)
    assert len(published_orders(url)) == 600 and retried.version > first.version
    assert daily_orders(url) == pandas_daily_orders(path) != rollups_before
    assert sum(n for _, n in daily_orders(url)) == 600
    retried = publish(url, path)  # published without a spec: no rollups of older rows remain
    assert schemas(url) == {"raw", "meta", "northstar_publish"}


CHILD = r"""
import sys
from pathlib import Path
from warehouse import Warehouse
from warehouse.pg_publish import PostgresPublisher
from warehouse.pg_published import PostgresPublished

url, path, marker = sys.argv[1:4]

def stop_after_first_table(event, detail):
    if event == "copied":  # written aside, then renamed: the marker appears with its text
        Path(marker + ".part").write_text(detail)
        Path(marker + ".part").rename(marker)
        sys.stdin.read()  # held mid-publish, inside its transaction, until killed

with Warehouse(path, read_only=True) as wh:
    PostgresPublisher(url, on_step=stop_after_first_table).publish(wh)
"""


def test_a_killed_publish_leaves_raw_as_it_was_and_the_next_one_cleans_up(url, tmp_path):
    path = tmp_path / "warehouse.duckdb"
    make_warehouse(path)
    first = publish(url, path)
    before = published_orders(url)
    add_batch(path, 1)
    with psycopg.connect(url, autocommit=True) as conn:  # what an interrupted older run left
        conn.execute("CREATE SCHEMA raw__next_0123456789ab")
        conn.execute("CREATE TABLE raw__next_0123456789ab.shop__orders (x int)")
    marker = tmp_path / "copied"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, url, str(path), str(marker)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + WAIT
        while not marker.exists():  # a condition, not a pause: the child's imports take a while
            assert child.poll() is None, child.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "the publish never copied a table"
            time.sleep(0.05)
        assert marker.read_text() == "raw.shop__orders"  # the changed table is copied...
        child.kill()  # ...and the publisher dies before the swap
        child.wait(timeout=WAIT)
    finally:
        if child.poll() is None:
            child.kill()
        child.stdin.close()
        child.stderr.close()
    assert published_orders(url) == before  # row for row, as it was
    retried = publish(url, path)  # waits for the dead session's lock, sweeps, publishes
    assert retried.version > first.version
    assert published_orders(url) == duckdb_orders(path) and len(before) == 300
    assert schemas(url) == {"raw", "meta", "northstar_publish"}  # leftovers swept


def test_readers_see_the_old_tables_while_the_copy_is_paused(url, tmp_path):
    path = tmp_path / "warehouse.duckdb"
    make_warehouse(path)
    publish(url, path)
    add_batch(path, 1)
    seen = []

    def paused(event: str, detail: str) -> None:
        if event == "copied":  # mid-publish: read as the web app would
            with PostgresWarehouse(url) as reader:
                seen.append(reader.rows("SELECT count(*), sum(order_id) FROM raw.shop__orders")[0])

    publish(url, path, on_step=paused)
    assert seen == [(300, sum(range(300)))]
    with PostgresWarehouse(url) as reader:
        total = sum(range(300)) + sum(range(1000, 1300))
        assert reader.rows("SELECT count(*), sum(order_id) FROM raw.shop__orders")[0] == (
            600,
            total,
        )


def test_a_reader_between_two_tables_of_one_statement_never_sees_a_mix(url, tmp_path):
    """A statement resolves its tables one by one. A reader that has read raw.shop__orders (and
    holds it, as a statement holds every table it resolved) and has yet to read
    raw.shop__customers must get the customers of the same version: the swap waits for it."""
    path = tmp_path / "warehouse.duckdb"
    make_warehouse(path)
    first = publish(url, path)
    add_batch(path, 1)
    with Warehouse(path) as wh:
        wh.execute("INSERT INTO raw.shop__customers VALUES ('c3', 'e')")
    reader = psycopg.connect(url)  # one transaction: the stand-in for one long statement
    events: list[str] = []
    details: list[tuple[str, str]] = []
    outcome: list[object] = []

    def step(event: str, detail: str) -> None:
        details.append((event, detail))
        events.append(event)

    try:
        assert reader.execute("SELECT count(*) FROM raw.shop__orders").fetchone() == (300,)
        worker = threading.Thread(target=lambda: outcome.append(publish(url, path, on_step=step)))
        worker.start()
        deadline = time.monotonic() + WAIT
        while "waiting" not in events and _current(url) == first.version:
            assert worker.is_alive() or outcome, "the publish died"
            assert time.monotonic() < deadline, f"the publish never reached the swap: {events}"
            time.sleep(0.02)
        customers = reader.execute("SELECT count(*) FROM raw.shop__customers").fetchone()
        assert customers == (2,), "the reader saw new customers beside old orders"
        reader.commit()
        worker.join(WAIT)
    finally:
        reader.close()
    assert outcome and outcome[0].version > first.version, events
    assert ("waiting", "readers hold the live tables") in details  # what ingest shows meanwhile
    with PostgresWarehouse(url) as pg:
        assert pg.rows(
            "SELECT (SELECT count(*) FROM raw.shop__orders), "
            "(SELECT count(*) FROM raw.shop__customers)"
        ) == [(600, 3)]


def test_relations_northstar_did_not_publish_are_refused_and_kept(url, tmp_path):
    path = tmp_path / "warehouse.duckdb"
    make_warehouse(path)
    with psycopg.connect(url, autocommit=True) as conn:  # loaded by hand, as before ingest could
        conn.execute("CREATE SCHEMA raw")
        conn.execute("CREATE TABLE raw.orders (order_id int)")
        conn.execute("INSERT INTO raw.orders VALUES (1), (2)")
        conn.execute("CREATE VIEW raw.big_orders AS SELECT * FROM raw.orders WHERE order_id > 1")
    with pytest.raises(PostgresPublishError) as refused:
        publish(url, path)
    # every one named, in order, so the operator moves them all at once
    assert "did not publish: raw.big_orders, raw.orders. A publish" in str(refused.value)
    assert "move them to another schema" in str(refused.value)
    assert table_rows(url, "raw.orders", "order_id") == [(1,), (2,)]


def test_a_view_of_someone_elses_over_a_raw_table_fails_the_swap_and_rolls_it_back(url, tmp_path):
    path = tmp_path / "warehouse.duckdb"
    make_warehouse(path)
    publish(url, path)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE VIEW public.big_orders AS SELECT * FROM raw.shop__orders")
    add_batch(path, 1)
    try:
        with pytest.raises(PostgresPublishError, match="depend") as failed:
            publish(url, path)
        assert "run `northstar ingest` again" in str(failed.value)
        assert len(published_orders(url)) == 300  # never dropped with CASCADE
        assert table_rows(url, "public.big_orders", "order_id")[:1] == [published_orders(url)[0]]
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DROP VIEW public.big_orders")


def _current(url: str) -> str:
    with PostgresWarehouse(url) as pg:
        return pg.rows("SELECT version FROM northstar_publish.versions ORDER BY seq DESC LIMIT 1")[
            0
        ][0]


def test_readers_polling_through_publishes_never_error_nor_mix(url, tmp_path):
    """Readers in a loop, each statement reading both tables, while publishes replace both:
    every answer is one version's pair, and no statement fails (no moment without `raw`)."""
    path = tmp_path / "warehouse.duckdb"
    with Warehouse(path) as wh:
        wh.execute("CREATE SCHEMA raw")
        for table in ("left_side", "right_side"):
            wh.execute(f"CREATE TABLE raw.{table} AS SELECT 0 AS v, range AS i FROM range(20000)")
    publish(url, path)
    stop, seen, errors = threading.Event(), [], []

    def read() -> None:
        with PostgresWarehouse(url) as reader:
            while not stop.is_set():
                try:
                    seen.append(
                        reader.rows(
                            "SELECT (SELECT max(v) FROM raw.left_side), "
                            "(SELECT max(v) FROM raw.right_side)"
                        )[0]
                    )
                except Exception as exc:  # any failure is the finding
                    errors.append(repr(exc))

    readers = [threading.Thread(target=read) for _ in range(2)]
    for thread in readers:
        thread.start()
    try:
        for version in range(1, 6):
            with Warehouse(path) as wh:
                for table in ("left_side", "right_side"):
                    wh.execute(f"UPDATE raw.{table} SET v = ?", [version])
            publish(url, path)
    finally:
        stop.set()
        for thread in readers:
            thread.join(WAIT)
    assert errors == []
    assert seen and all(left == right for left, right in seen), [p for p in seen if p[0] != p[1]]
    assert {left for left, _ in seen} >= {5}


def test_readers_never_see_rollups_of_another_version(url, tmp_path):
    """Statements reading raw orders and their daily rollup while publishes add orders and
    rebuild the rollups: every answer has both from one version."""
    path = tmp_path / "warehouse.duckdb"
    make_warehouse(path)
    publish(url, path, rollups=True)
    stop, seen, errors = threading.Event(), [], []

    def read() -> None:
        with PostgresWarehouse(url) as reader:
            while not stop.is_set():
                try:
                    seen.append(
                        reader.rows(
                            "SELECT (SELECT count(*) FROM raw.shop__orders), "
                            "(SELECT sum(m_orders) FROM rollup.orders__daily__total)"
                        )[0]
                    )
                except Exception as exc:  # any failure is the finding
                    errors.append(repr(exc))

    readers = [threading.Thread(target=read) for _ in range(2)]
    for thread in readers:
        thread.start()
    try:
        for batch in range(1, 5):
            add_batch(path, batch)
            publish(url, path, rollups=True)
    finally:
        stop.set()
        for thread in readers:
            thread.join(WAIT)
    assert errors == []
    assert seen and all(raw == rolled for raw, rolled in seen), [p for p in seen if p[0] != p[1]]
    assert {raw for raw, _ in seen} >= {1500}
