"""The generic SQLAlchemy path, exercised with SQLite: batches, reflected types, incremental."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from decimal import Decimal

from ingest_helpers import query, write_sources

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
    assert second.ok and second.rows == 2
    rows = query(
        settings, "SELECT id, amount, paid, created, note FROM raw.legacy__orders ORDER BY id"
    )
    assert len(rows) == 51
    assert rows[2] == (3, Decimal("3.50"), True, datetime(2026, 1, 2), "edited")
    assert rows[50] == (51, Decimal("51.50"), True, datetime(2026, 1, 2, 0, 0, 1), "new")
