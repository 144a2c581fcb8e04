"""The generic SQLAlchemy path, exercised with SQLite: batches, reflected types, incremental."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from decimal import Decimal

from ingest_helpers import query, sqlite_source, write_sources

from connectors import run_ingest


def test_sqlite_full_then_incremental(settings, tmp_path):
    db = tmp_path / "app.sqlite"
    con = sqlite3.connect(db)
    con.execute(
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, amount NUMERIC(10,2), paid BOOLEAN, "
        "created DATETIME, note TEXT)"
    )
    con.executemany(
        "INSERT INTO orders VALUES (?, ?, ?, ?, ?)",
        [(i, f"{i}.50", i % 2, f"2026-01-01 00:00:{i:02d}", None) for i in range(1, 51)],
    )
    con.commit()
    write_sources(
        settings,
        f"""\
sources:
  - name: legacy
    kind: sql
    url: sqlite:///{db}
    tables:
      - {{name: orders, table: orders, primary_key: [id], cursor: created, batch_size: 7}}
""",
    )
    assert run_ingest(settings).rows == 50
    con.execute("UPDATE orders SET note = 'edited', created = '2026-01-02 00:00:00' WHERE id = 3")
    con.execute("INSERT INTO orders VALUES (51, '51.50', 1, '2026-01-02 00:00:01', 'new')")
    con.commit()
    second = run_ingest(settings)
    assert second.ok and second.rows == 3  # 3, 51, and 50 (at the cursor: re-read, merged)
    rows = query(
        settings, "SELECT id, amount, paid, created, note FROM raw.legacy__orders ORDER BY id"
    )
    assert len(rows) == 51
    assert rows[2] == (3, Decimal("3.50"), True, datetime(2026, 1, 2), "edited")
    assert rows[50] == (51, Decimal("51.50"), True, datetime(2026, 1, 2, 0, 0, 1), "new")


def test_a_late_row_stamped_exactly_at_the_cursor_is_loaded(settings, tmp_path):
    # SQLite keeps DATETIME as text: the bound cursor must compare as a time, not as a string
    # ('… 00:00:02' sorts before '… 00:00:02.000000').
    db = tmp_path / "app.sqlite"
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, created DATETIME, note TEXT)")
    con.execute(
        "INSERT INTO orders VALUES (1, '2026-01-01 00:00:01', 'a'), "
        "(2, '2026-01-01 00:00:02', 'b'), (3, '2026-01-01T00:00:02.250', 'c')"
    )
    write_sources(
        settings,
        f"sources:\n  - name: legacy\n    kind: sql\n    url: sqlite:///{db}\n    tables:\n"
        "      - {name: orders, table: orders, primary_key: [id], cursor: created}\n",
    )
    assert run_ingest(settings).rows == 3
    # Committed late, with the same time as the newest row already loaded.
    con.execute("INSERT INTO orders VALUES (4, '2026-01-01 00:00:02.250', 'late')")
    second = run_ingest(settings)
    assert second.ok
    assert second.rows == 2  # rows 3 and 4: from the cursor on, inclusive
    assert query(settings, "SELECT id, note FROM raw.legacy__orders ORDER BY id") == [
        (1, "a"),
        (2, "b"),
        (3, "c"),
        (4, "late"),
    ]


def test_numeric_without_precision_loads_as_double(settings, tmp_path):
    # The driver returns Decimals for NUMERIC with no precision (and for wider than 38 digits);
    # such a column lands as DOUBLE, the value intact, instead of failing the table.
    sqlite_source(
        settings,
        tmp_path,
        "rates",
        "CREATE TABLE rates (id INTEGER PRIMARY KEY, ratio NUMERIC, wide NUMERIC(50, 4))",
        "INSERT INTO rates VALUES (1, 0.125, 12345.5), (2, NULL, NULL), (3, 7, -2.25)",
    )
    report = run_ingest(settings)
    assert report.ok, report.outcomes
    assert query(
        settings,
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = 'legacy__rates' ORDER BY ordinal_position",
    ) == [("id", "BIGINT"), ("ratio", "DOUBLE"), ("wide", "DOUBLE")]
    assert query(settings, "SELECT id, ratio, wide FROM raw.legacy__rates ORDER BY id") == [
        (1, 0.125, 12345.5),
        (2, None, None),
        (3, 7.0, -2.25),
    ]


def test_a_column_without_a_type_loads_its_values_as_text(settings, tmp_path):
    # SQLite keeps a number as a number in a column declared without a type; SQLAlchemy has no
    # type for it, so it lands as VARCHAR, each value as its text (not dropped, not "None").
    sqlite_source(
        settings,
        tmp_path,
        "parts",
        "CREATE TABLE parts (id INTEGER PRIMARY KEY, code)",
        "INSERT INTO parts VALUES (1, 42), (2, 2.5), (3, 'x-1'), (4, NULL)",
    )
    report = run_ingest(settings)
    assert report.ok, report.outcomes
    assert query(settings, "SELECT id, code FROM raw.legacy__parts ORDER BY id") == [
        (1, "42"),
        (2, "2.5"),
        (3, "x-1"),
        (4, None),
    ]
