"""Schema drift on an incremental load: a column may widen (BIGINT → DOUBLE), never narrow.

A value must never change on the way in: a DOUBLE arriving for a BIGINT column is refused with a
message (not rounded), while a BIGINT arriving for a DOUBLE column is stored exactly.
"""

from __future__ import annotations

import sqlite3

import pyarrow as pa
import pytest
from ingest_helpers import query, write_sources

from connectors import run_ingest
from warehouse import Warehouse
from warehouse.ingest_meta import ensure_meta
from warehouse.loading import LoadRequest, SchemaDrift, load_table


def _load(wh: Warehouse, data: pa.Table, mode: str, check_drift: bool = True) -> None:
    request = LoadRequest(
        source="app",
        table="t",
        run_id="r",
        chunks=[data],
        mode=mode,
        primary_key=("id",),
        check_drift=check_drift,
    )
    load_table(wh, request)


def _rows(wh: Warehouse) -> list[tuple]:
    return wh.rows("SELECT id, amount FROM raw.app__t ORDER BY id")


def _type(wh: Warehouse) -> str:
    return wh.table_columns()["raw.app__t"]["amount"]


@pytest.fixture
def wh(tmp_path):
    with Warehouse(tmp_path / "w.duckdb") as warehouse:
        ensure_meta(warehouse)
        yield warehouse


def test_a_double_for_a_bigint_column_is_refused_not_rounded(wh):
    _load(wh, pa.table({"id": [1, 2], "amount": pa.array([10, 20], pa.int64())}), "replace")
    with pytest.raises(SchemaDrift) as drift:
        _load(wh, pa.table({"id": [3], "amount": pa.array([10.5], pa.float64())}), "merge")
    assert str(drift.value) == (
        "schema drift in t: column amount changed type from BIGINT to DOUBLE. The table was left "
        "unchanged; fix the source, or rebuild the table with "
        "`northstar ingest <source> --full-refresh`."
    )
    assert _type(wh) == "BIGINT"
    assert _rows(wh) == [(1, 10), (2, 20)]  # left unchanged, 10.5 not stored as 10 or 11


def test_a_bigint_for_a_double_column_is_stored_exactly(wh):
    _load(wh, pa.table({"id": [1, 2], "amount": pa.array([1.5, 2.25], pa.float64())}), "replace")
    _load(wh, pa.table({"id": [2, 3], "amount": pa.array([7, 2**53], pa.int64())}), "merge")
    assert _type(wh) == "DOUBLE"
    assert _rows(wh) == [(1, 1.5), (2, 7.0), (3, float(2**53))]


def test_drift_fails_the_table_with_a_message_and_keeps_its_rows(settings, tmp_path):
    db = tmp_path / "app.sqlite"
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, amount BIGINT, at DATETIME)")
    con.execute("INSERT INTO t VALUES (1, 10, '2026-01-01 00:00:00')")
    write_sources(
        settings,
        f"sources:\n  - name: app\n    kind: sql\n    url: sqlite:///{db}\n    tables:\n"
        "      - {name: t, table: t, primary_key: [id], cursor: at}\n",
    )
    assert run_ingest(settings).ok
    con.execute("ALTER TABLE t RENAME TO old")  # SQLite changes a column's type by a new table
    con.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, amount DOUBLE, at DATETIME)")
    con.execute("INSERT INTO t SELECT * FROM old")
    con.execute("INSERT INTO t VALUES (2, 20.5, '2026-01-02 00:00:00')")
    report = run_ingest(settings)
    (outcome,) = report.outcomes
    assert outcome.status == "failed"
    assert "column amount changed type from BIGINT to DOUBLE" in outcome.error
    assert "--full-refresh" in outcome.error
    assert query(settings, "SELECT id, amount FROM raw.app__t") == [(1, 10)]


def test_a_whole_reload_that_changes_or_drops_a_column_is_refused(wh):
    # A table without a cursor is replaced on every run: the same rules hold.
    _load(wh, pa.table({"id": [1], "amount": pa.array([10], pa.int64())}), "replace")
    with pytest.raises(SchemaDrift, match="column amount changed type from BIGINT to DOUBLE"):
        _load(wh, pa.table({"id": [1], "amount": pa.array([10.5], pa.float64())}), "replace")
    with pytest.raises(SchemaDrift) as drift:
        _load(wh, pa.table({"id": [1], "other": [1], "more": [2]}), "replace")
    assert "column amount (BIGINT) is no longer sent by the source" in str(drift.value)
    assert _rows(wh) == [(1, 10)] and _type(wh) == "BIGINT"
    # A full refresh (no drift check) takes the new shape as it is.
    _load(wh, pa.table({"id": [1], "amount": pa.array([10.5], pa.float64())}), "replace", False)
    assert _rows(wh) == [(1, 10.5)] and _type(wh) == "DOUBLE"


@pytest.mark.parametrize("mode", ["merge", "append"])
def test_a_column_all_null_in_a_later_batch_keeps_its_type(wh, mode):
    """A batch where `amount` has no value at all (Arrow type null, as JSON pages give it) is
    stored as NULLs of the column's existing type: no drift, no VARCHAR, no error."""
    _load(wh, pa.table({"id": [1], "amount": pa.array([1.5], pa.float64())}), "replace")
    _load(wh, pa.table({"id": [2], "amount": pa.array([None], pa.null())}), mode)
    assert _type(wh) == "DOUBLE"
    assert _rows(wh) == [(1, 1.5), (2, None)]


@pytest.mark.parametrize("mode", ["merge", "replace"])
def test_json_for_a_varchar_column_is_no_drift(wh, mode):
    """A source whose column turned JSON (a SQLAlchemy JSON type is cast to JSON) keeps loading
    into the VARCHAR column it landed in before: the text is the same (JSON → VARCHAR likewise)."""
    _load(wh, pa.table({"id": [1], "amount": ['{"a": 1}']}), "replace")
    request = LoadRequest(
        source="app",
        table="t",
        run_id="r",
        chunks=[pa.table({"id": [2], "amount": ['{"b": 2}']})],
        mode=mode,
        primary_key=("id",),
        casts={"amount": "JSON"},
    )
    load_table(wh, request)
    assert _rows(wh)[-1] == (2, '{"b": 2}')
