"""Published versions cost in proportion to what changed: large tables become views over monthly
Parquet segments that later versions reuse. Readers keep their guarantees: the same rows and exact
types as the warehouse, a held version never changes or disappears, a damaged one is refused."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import warehouse.snapshots as snapshots
from warehouse import SnapshotStore, Warehouse
from warehouse.manifest import Manifest
from warehouse.snapshots import SnapshotError

ROOT = Path(__file__).parents[2]

# Orders over six months of 2025 (every 97th without a timestamp), with the types the brief names.
ORDERS = """
CREATE TABLE raw.orders AS SELECT
    i AS order_id,
    CASE WHEN i % 97 = 0 THEN NULL
         ELSE TIMESTAMPTZ '2025-01-01 00:00:00+00' + to_minutes((i * 7919) % (60 * 24 * 181))
    END AS created_at,
    (i % 1000 + 0.25)::DECIMAL(18,2) AS amount,
    i % 7 AS quantity,
    i % 3 = 0 AS paid,
    [i % 5, i % 11] AS tags,
    {'channel': 'ch' || (i % 4), 'score': i % 13} AS origin,
    md5(i::VARCHAR)::UUID AS token,
    'customer ' || (i % 500) AS customer
FROM range(?) t(i)
"""
# Types Parquet does not give back as they were: such a table stays native in the catalog.
ODD = """
CREATE TABLE raw.odd AS SELECT
    i AS id, DATE '2025-01-01' + (i % 90)::INTEGER AS day, i::HUGEINT * 1000000000000 AS big,
    (CASE WHEN i % 2 = 0 THEN 'a' ELSE 'b' END)::ENUM('a', 'b') AS kind
FROM range(?) t(i)
"""


def build_warehouse(folder: Path, orders: int = 3000) -> Path:
    file = folder / "warehouse.duckdb"
    with Warehouse(file) as wh:
        wh.execute("CREATE SCHEMA raw")
        wh.execute(ORDERS, [orders])
        wh.execute(ODD, [400])
        wh.execute("CREATE TABLE raw.small AS SELECT i AS id FROM range(5) t(i)")
        wh.execute("CREATE TABLE raw.scores AS SELECT i AS id, i * 2 AS score FROM range(50) t(i)")
        wh.execute("CREATE VIEW raw.paid_orders AS SELECT * FROM raw.orders WHERE paid")
        wh.checkpoint()
    return file


def append_orders(file: Path, first_id: int, count: int, day: str) -> None:
    """`count` new orders on `day` (so in one month's partition)."""
    with Warehouse(file) as wh:
        wh.execute(
            "INSERT INTO raw.orders SELECT i, CAST(? AS TIMESTAMPTZ) + to_minutes(i % 600), "
            "(i % 1000 + 0.25)::DECIMAL(18,2), i % 7, i % 3 = 0, [i % 5, i % 11], "
            "{'channel': 'ch' || (i % 4), 'score': i % 13}, md5(i::VARCHAR)::UUID, "
            "'customer ' || (i % 500) FROM range(?, ?) t(i)",
            [f"{day} 00:00:00+00", first_id, first_id + count],
        )
        wh.checkpoint()


def sorted_frame(wh: Warehouse, table: str, key: str) -> pd.DataFrame:
    frame = wh.frame(f"SELECT * FROM {table}")  # names from this test
    return frame.sort_values(key, kind="stable").reset_index(drop=True)


def manifest(store: SnapshotStore, version: str) -> Manifest:
    found = Manifest.read(store.manifest_file(version))
    assert found is not None
    return found


def test_published_tables_equal_the_warehouse_with_exact_types(tmp_path):
    file = build_warehouse(tmp_path)
    store = SnapshotStore(tmp_path / "serving", segment_min_rows=10)
    version = store.publish(file)
    stored = manifest(store, version).tables
    # odd keeps HUGEINT and ENUM natively; small is small
    assert set(stored) == {"raw.orders", "raw.scores"}
    months = [s.key for s in stored["raw.orders"].segments]
    assert len(months) == 7 and months[-1] is None  # six months, then the NULL timestamps
    (whole,) = stored["raw.scores"].segments  # no date column: one segment
    assert (whole.key, whole.rows, stored["raw.scores"].partition_by) == (None, 50, None)
    with Warehouse(file, read_only=True) as source, store.open_snapshot(version) as served:
        assert served.table_columns() == source.table_columns()  # every column's exact type
        types = served.table_columns()["raw.orders"]
        assert types["created_at"] == "TIMESTAMP WITH TIME ZONE"
        assert types["amount"] == "DECIMAL(18,2)" and types["token"] == "UUID"
        assert types["tags"] == "BIGINT[]" and types["paid"] == "BOOLEAN"
        assert types["origin"] == "STRUCT(channel VARCHAR, score BIGINT)"
        assert served.table_columns()["raw.odd"]["big"] == "HUGEINT"
        for table, key in [
            ("raw.orders", "order_id"),
            ("raw.odd", "id"),
            ("raw.small", "id"),
            ("raw.scores", "id"),
            ("raw.paid_orders", "order_id"),
        ]:
            expected, got = sorted_frame(source, table, key), sorted_frame(served, table, key)
            assert len(got) == len(expected) > 0
            pd.testing.assert_frame_equal(got, expected)
        # One number checked against plain Python, not only against the warehouse.
        paid = sum(i % 1000 + 0.25 for i in range(3000) if i % 3 == 0)
        assert served.rows("SELECT sum(amount) FROM raw.orders WHERE paid")[0][0] == pytest.approx(
            paid
        )


def test_appending_in_one_month_writes_only_that_months_segment(tmp_path):
    file = build_warehouse(tmp_path)
    store = SnapshotStore(tmp_path / "serving", segment_min_rows=10)
    first = manifest(store, store.publish(file)).tables["raw.orders"].segments
    append_orders(file, 10_000, 50, "2025-03-14")
    second = manifest(store, store.publish(file)).tables["raw.orders"].segments
    changed = [s for s in second if s not in first]
    assert [s.key[:7] for s in changed] == ["2025-03"]  # type: ignore[index]
    assert changed[0].rows == next(s.rows for s in first if s.key == changed[0].key) + 50
    kept = {s.file for s in second} - {changed[0].file}
    assert kept == {s.file for s in first if s.key != changed[0].key}  # the very same files
    assert all((store.dir / f).is_file() for f in kept)


def test_an_edit_that_keeps_the_row_count_is_published(tmp_path):
    file = build_warehouse(tmp_path)
    store = SnapshotStore(tmp_path / "serving", segment_min_rows=10)
    first = manifest(store, store.publish(file)).tables["raw.orders"].segments
    with Warehouse(file) as wh:  # one order's amount corrected, same rows
        wh.execute("UPDATE raw.orders SET amount = 12345.67 WHERE order_id = 1")
        (month,) = wh.rows(
            "SELECT strftime(created_at, '%Y-%m') FROM raw.orders WHERE order_id = 1"
        )[0]
        wh.checkpoint()
    version = store.publish(file)
    second = manifest(store, version).tables["raw.orders"].segments
    changed = [s for s in second if s not in first]
    assert [(s.key[:7], s.rows) for s in changed] == [  # type: ignore[index]
        (month, next(f.rows for f in first if f.key == changed[0].key))
    ]
    with store.open_snapshot(version) as wh:
        assert wh.rows("SELECT amount::VARCHAR FROM raw.orders WHERE order_id = 1") == [
            ("12345.67",)
        ]


def test_a_new_column_rewrites_the_table(tmp_path):
    file = build_warehouse(tmp_path)
    store = SnapshotStore(tmp_path / "serving", segment_min_rows=10)
    first = manifest(store, store.publish(file)).tables
    with Warehouse(file) as wh:
        wh.execute("ALTER TABLE raw.orders ADD COLUMN note VARCHAR")
        wh.checkpoint()
    version = store.publish(file)
    second = manifest(store, version).tables
    files = {name: {s.file for s in t.segments} for name, t in first.items()}
    assert not {s.file for s in second["raw.orders"].segments} & files["raw.orders"]
    assert {s.file for s in second["raw.scores"].segments} == files["raw.scores"]  # unchanged
    with Warehouse(file, read_only=True) as source, store.open_snapshot(version) as served:
        assert served.table_columns()["raw.orders"] == source.table_columns()["raw.orders"]
        assert served.rows("SELECT count(note), count(*) FROM raw.orders") == [(0, 3000)]


def test_a_held_version_reads_the_same_until_released_then_is_pruned(tmp_path):
    file = build_warehouse(tmp_path)
    store = SnapshotStore(tmp_path / "serving", keep=2, segment_min_rows=10)
    first = store.publish(file)
    with Warehouse(file, read_only=True) as wh:
        frame = wh.frame("SELECT created_at, quantity FROM raw.orders")
    month = frame["created_at"].dt.tz_convert("UTC").dt.strftime("%Y-%m").fillna("none")
    expected = sorted(
        (m, len(g), int(g["quantity"].sum())) for m, g in frame.groupby(month, dropna=False)
    )
    by_month = (
        "SELECT coalesce(strftime(created_at AT TIME ZONE 'UTC', '%Y-%m'), 'none') AS m, "
        "count(*), sum(quantity) FROM raw.orders GROUP BY m ORDER BY m"
    )
    reader = store.open_snapshot(first)
    try:
        assert reader.rows(by_month) == expected
        for i in range(5):
            append_orders(file, 10_000 + 100 * i, 100, f"2025-0{i + 1}-05")  # replaces a month
            store.publish(file)
        assert first in store.versions() and len(store.versions()) == 3
        assert reader.rows(by_month) == expected  # its replaced segments are still on disk
    finally:
        reader.close()
    first_files = manifest(store, first).files()
    newest = store.publish(file)
    assert first not in store.versions() and len(store.versions()) == 2
    only_first = first_files - set().union(*(manifest(store, v).files() for v in store.versions()))
    assert len(only_first) == 5  # the five months replaced since
    assert not any((store.dir / f).exists() for f in only_first)
    assert not store.lock_file(first).exists() and not store.manifest_file(first).exists()
    for version in store.versions():  # what stays is whole
        store.validate(version)
    assert store.current() is not None and store.current()[0] == newest


HOLDER = """
import sys
from warehouse import SnapshotStore
wh = SnapshotStore(sys.argv[1]).open_snapshot(sys.argv[2])
print("holding", flush=True)
sys.stdin.read()
"""


def test_a_lease_dies_with_its_reader_process(tmp_path):
    file = build_warehouse(tmp_path)
    store = SnapshotStore(tmp_path / "serving", keep=1, segment_min_rows=10)
    first = store.publish(file)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(store.dir), first],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        store.publish(file)
        assert first in store.versions()  # another process holds it
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    finally:
        if holder.poll() is None:
            holder.kill()
        holder.communicate()
    store.publish(file)
    assert first not in store.versions()


def test_three_versions_cost_under_one_and_a_half_warehouses(tmp_path):
    file = tmp_path / "warehouse.duckdb"
    with Warehouse(file) as wh:  # 200k orders over 24 months, 20k customers
        wh.execute("CREATE SCHEMA raw")
        wh.execute(
            "CREATE TABLE raw.orders AS SELECT i AS order_id, i % 20000 AS customer_id, "
            "TIMESTAMP '2024-01-01' + to_seconds((i * 104729) % (730 * 86400)) AS created_at, "
            "['paid', 'refunded', 'pending'][1 + i % 3] AS status, "
            "((i * 31) % 50000 / 100)::DECIMAL(18,2) AS amount, "
            "['web', 'ios', 'android', 'store'][1 + i % 4] AS channel FROM range(200000) t(i)"
        )
        wh.execute(
            "CREATE TABLE raw.customers AS SELECT i AS customer_id, 'name ' || i AS name, "
            "DATE '2023-06-01' + (i % 600)::INTEGER AS signed_up FROM range(20000) t(i)"
        )
        wh.checkpoint()
    store = SnapshotStore(tmp_path / "serving", segment_min_rows=50_000)
    store.publish(file)
    for first_id, day in [(300_000, "2025-12-29"), (301_000, "2025-12-30")]:
        with Warehouse(file) as wh:  # a day's new orders (0.5%), then closed, as the worker does
            wh.execute(
                "INSERT INTO raw.orders SELECT i, i % 20000, CAST(? AS TIMESTAMP) + "
                "to_seconds(i % 86400), 'paid', 12.5, 'web' FROM range(?, ?) t(i)",
                [day, first_id, first_id + 1000],
            )
            wh.checkpoint()
        store.publish(file)
    assert len(store.versions()) == 3
    disk = sum(p.stat().st_size for p in store.dir.rglob("*") if p.is_file())
    one = file.stat().st_size
    assert disk <= 1.5 * one, (disk, one)


@pytest.mark.parametrize("damage", ["missing", "garbage", "truncated"])
def test_a_damaged_segment_is_refused_and_the_previous_version_still_serves(tmp_path, damage):
    file = build_warehouse(tmp_path)
    store = SnapshotStore(tmp_path / "serving", segment_min_rows=10)
    good = store.publish(file)
    append_orders(file, 10_000, 50, "2025-06-20")
    bad = store.publish(file)
    segment = next(
        s.file
        for s in manifest(store, bad).tables["raw.orders"].segments
        if s.key and s.key.startswith("2025-06")
    )
    path = store.dir / segment
    if damage == "missing":
        path.unlink()
    elif damage == "garbage":
        path.write_bytes(b"not parquet " * 100)
    else:
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(SnapshotError) as caught:
        store.validate(bad)
    assert segment in caught.value.reason
    assert ("is missing" if damage == "missing" else "is damaged") in caught.value.reason
    assert str(tmp_path) not in caught.value.reason
    store.validate(good)
    assert not store.lock_file(bad).exists() or _lock_is_free(store.lock_file(bad))


def _lock_is_free(lock: Path) -> bool:
    from warehouse.leases import Lease

    lease = Lease.exclusive_now(lock)
    if lease is None:
        return False
    lease.release()
    return True


def test_a_moved_serving_directory_still_serves(tmp_path, monkeypatch):
    file = build_warehouse(tmp_path)
    version = SnapshotStore(tmp_path / "serving", segment_min_rows=10).publish(file)
    moved = tmp_path / "elsewhere" / "serving"
    moved.parent.mkdir()
    shutil.move(tmp_path / "serving", moved)
    monkeypatch.chdir(moved.parent)  # relative to neither the old place nor the new one
    with SnapshotStore(moved).open_snapshot(version) as wh:
        assert wh.rows("SELECT count(*) FROM raw.orders") == [(3000,)]


class Killed(BaseException):
    """Stands for kill -9 in the middle of a publish (nothing after it runs)."""


def test_a_killed_publish_leaves_the_previous_version_and_is_swept_next_time(tmp_path, monkeypatch):
    file = build_warehouse(tmp_path)
    store = SnapshotStore(tmp_path / "serving", segment_min_rows=10)
    good = store.publish(file)
    append_orders(file, 10_000, 50, "2025-02-02")
    real = snapshots.build_catalog

    def killed_after_building(*args, **kwargs):
        real(*args, **kwargs)  # segments and the catalog at its temp name are written
        raise Killed

    monkeypatch.setattr(snapshots, "build_catalog", killed_after_building)
    with pytest.raises(Killed):
        store.publish(file)
    monkeypatch.undo()
    leftovers = {p.name for p in store.dir.iterdir()}
    assert any(name.endswith(".building") for name in leftovers)
    orphans = {f"segments/{p.name}" for p in (store.dir / "segments").iterdir()}
    orphans -= manifest(store, good).files()
    assert len(orphans) == 1  # the new February segment nobody lists
    assert store.current()[0] == good  # type: ignore[index]
    store.validate(good)

    newest = store.publish(file)
    assert not any(p.name.endswith((".building", ".wal", ".tmp")) for p in store.dir.iterdir())
    on_disk = {f"segments/{p.name}" for p in (store.dir / "segments").iterdir()}
    listed = manifest(store, good).files() | manifest(store, newest).files()
    assert on_disk == listed and not (orphans & on_disk)


def test_a_publish_that_fails_in_duckdb_is_an_os_error_and_changes_nothing(tmp_path):
    store = SnapshotStore(tmp_path / "serving", segment_min_rows=10)
    good = store.publish(build_warehouse(tmp_path))
    not_duckdb = tmp_path / "not.duckdb"
    not_duckdb.write_bytes(b"garbage " * 100)
    with pytest.raises(OSError, match=r"building snapshot .* failed"):
        store.publish(not_duckdb)
    assert store.current()[0] == good  # type: ignore[index]
    assert store.versions() == [good]
    assert sorted(os.listdir(store.dir)) == sorted(
        [
            f"{good}.duckdb",
            f"{good}.lock",
            f"{good}.segments.json",
            "CURRENT",
            "PUBLISH.lock",
            "segments",
        ]
    )
    assert json.loads(store.manifest_file(good).read_text())["format"] == 1


def test_versions_published_before_segments_are_served_and_pruned(tmp_path):
    file = build_warehouse(tmp_path)
    store = SnapshotStore(tmp_path / "serving", keep=1, segment_min_rows=10)
    store.dir.mkdir()
    legacy = "20200101T000000-000000000"
    shutil.copyfile(file, store.catalog_file(legacy))  # a whole copy, no manifest, no lock
    store.pointer.write_text(legacy)
    with store.open_snapshot(legacy) as wh:
        assert wh.rows("SELECT count(*) FROM raw.orders") == [(3000,)]
    newest = store.publish(file)
    assert store.versions() == [newest]
    assert sorted(p.name for p in store.dir.iterdir() if legacy in p.name) == []


def test_the_writers_own_schemas_are_not_published(tmp_path):
    # `_…` schemas hold the writer's bookkeeping (the rollups' refresh fingerprints): a version
    # never carries them, so their churn costs no disk and no reader sees them.
    file = build_warehouse(tmp_path)
    with Warehouse(file) as wh:
        wh.execute("CREATE SCHEMA _rollup_state")
        wh.execute("CREATE TABLE _rollup_state.hours AS SELECT i AS hour FROM range(300) t(i)")
        wh.checkpoint()
    store = SnapshotStore(tmp_path / "serving", segment_min_rows=10)
    version = store.publish(file)
    with store.open_snapshot(version) as snap:
        tables = snap.table_columns()
    assert "raw.orders" in tables and "raw.small" in tables
    assert not [t for t in tables if t.startswith("_rollup_state.")]
    assert "_rollup_state.hours" not in manifest(store, version).tables


def test_an_exclusive_lease_creates_its_lock_file_and_refuses_a_second_holder(tmp_path):
    from warehouse.leases import Lease

    lock = tmp_path / "v1.lock"
    old = os.umask(0o022)
    try:
        first = Lease.exclusive_now(lock)
    finally:
        os.umask(old)
    assert first is not None
    assert lock.stat().st_mode & 0o777 == 0o644  # readable by the serving processes, no more
    assert Lease.exclusive_now(lock) is None  # held: never waits, says so
    first.release()
    again = Lease.exclusive_now(lock)  # released: the lock is free again
    assert again is not None
    again.release()
