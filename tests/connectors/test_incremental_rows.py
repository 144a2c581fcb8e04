"""Incremental sql loads, checked row by row against what the source holds.

Each test pins one way an incremental load can go quietly wrong: rows at the cursor value read
again without a key to merge them, late rows inside the lookback window, a composite key merged
on its first column. Every test runs on SQLite (the SQLAlchemy path), PostgreSQL (ADBC) and
MariaDB (connectorx); the expected rows are written out by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from ingest_helpers import query, write_sources

from connectors import run_ingest


@dataclass
class SourceDb:
    url: str
    table_prefix: str  # `schema.` where the source needs one
    timestamp: str  # the column type for a naive timestamp
    execute: object

    def sources_yml(self, table: str, options: str) -> str:
        return (
            "sources:\n  - name: app\n    kind: sql\n"
            f"    url: {self.url}\n    tables:\n"
            f"      - {{name: {table}, table: {self.table_prefix}{table}, {options}}}\n"
        )


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.db),
        pytest.param("mysql", marks=pytest.mark.db),
    ]
)
def source_db(request, tmp_path) -> SourceDb:
    if request.param == "sqlite":
        import sqlite3

        con = sqlite3.connect(tmp_path / "app.sqlite", isolation_level=None)
        request.addfinalizer(con.close)
        return SourceDb(f"sqlite:///{tmp_path / 'app.sqlite'}", "", "DATETIME", con.execute)
    if request.param == "postgres":
        url, conn, schema = request.getfixturevalue("pg")
        conn.execute(f'SET search_path TO "{schema}"')
        return SourceDb(url, f"{schema}.", "timestamp", conn.execute)
    url, conn, _ = request.getfixturevalue("mysql")
    return SourceDb(url, "", "datetime", conn.cursor().execute)


def _rows(settings, table: str, columns: str) -> list[tuple]:
    return query(settings, f"SELECT {columns} FROM raw.app__{table} ORDER BY ALL")


def test_without_a_key_rows_at_the_cursor_are_not_loaded_twice(source_db, settings):
    db = source_db
    db.execute(f"CREATE TABLE events (id INTEGER, kind VARCHAR(8), at {db.timestamp})")
    db.execute(
        "INSERT INTO events VALUES (1, 'a', '2026-01-01 00:00:01'), "
        "(2, 'b', '2026-01-01 00:00:02'), (3, 'c', '2026-01-01 00:00:02')"
    )
    write_sources(settings, db.sources_yml("events", "cursor: at"))
    assert run_ingest(settings).rows == 3

    again = run_ingest(settings)  # nothing new at the source
    assert again.ok and again.rows == 0
    assert _rows(settings, "events", "id, kind") == [(1, "a"), (2, "b"), (3, "c")]

    db.execute("INSERT INTO events VALUES (4, 'd', '2026-01-01 00:00:03')")
    third = run_ingest(settings)
    assert third.ok and third.rows == 1
    assert _rows(settings, "events", "id, kind") == [(1, "a"), (2, "b"), (3, "c"), (4, "d")]


def test_late_rows_inside_the_lookback_window_are_loaded(source_db, settings):
    db = source_db
    db.execute(f"CREATE TABLE events (id INTEGER PRIMARY KEY, kind VARCHAR(8), at {db.timestamp})")
    db.execute(
        "INSERT INTO events VALUES (1, 'a', '2026-01-01 00:10:00'), (2, 'b', '2026-01-01 00:20:00')"
    )
    write_sources(settings, db.sources_yml("events", "primary_key: [id], cursor: at, lookback: 5m"))
    assert run_ingest(settings).rows == 2

    # Committed late: 3 is stamped 3 minutes before the cursor (00:20), 4 is 8 minutes before.
    db.execute(
        "INSERT INTO events VALUES (3, 'late', '2026-01-01 00:17:00'), "
        "(4, 'too late', '2026-01-01 00:12:00')"
    )
    second = run_ingest(settings)
    assert second.ok
    assert second.rows == 2  # rows 2 and 3: from 00:15 (cursor - lookback) on
    # Row 4 is outside the window the sources file gives, so it is (by design) not seen.
    assert _rows(settings, "events", "id, kind") == [(1, "a"), (2, "b"), (3, "late")]


def test_a_resent_line_of_a_composite_key_keeps_its_siblings(source_db, settings):
    db = source_db
    db.execute(
        f"CREATE TABLE order_lines (order_id INTEGER, line INTEGER, qty INTEGER, at {db.timestamp}, "
        "PRIMARY KEY (order_id, line))"
    )
    db.execute(
        "INSERT INTO order_lines VALUES (1, 1, 5, '2026-01-01 00:00:00'), "
        "(1, 2, 6, '2026-01-01 00:00:00'), (1, 3, 7, '2026-01-01 00:00:00'), "
        "(2, 1, 8, '2026-01-01 00:00:00'), (2, 2, 9, '2026-01-01 00:00:00'), "
        "(3, 1, 4, '2026-01-01 00:00:01')"  # the cursor: later runs re-read from here on
    )
    write_sources(
        settings, db.sources_yml("order_lines", "primary_key: [order_id, line], cursor: at")
    )
    assert run_ingest(settings).rows == 6

    db.execute(
        "UPDATE order_lines SET qty = 60, at = '2026-01-02 00:00:00' WHERE order_id = 1 AND line = 2"
    )
    db.execute(
        "UPDATE order_lines SET qty = 90, at = '2026-01-02 00:00:00' WHERE order_id = 2 AND line = 2"
    )
    assert run_ingest(settings).ok
    assert _rows(settings, "order_lines", "order_id, line, qty") == [
        (1, 1, 5),
        (1, 2, 60),
        (1, 3, 7),
        (2, 1, 8),
        (2, 2, 90),
        (3, 1, 4),
    ]
