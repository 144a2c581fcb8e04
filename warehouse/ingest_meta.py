"""The ingest bookkeeping tables: meta.loads (run log), meta.cursors, meta.files (file manifest).

They live in the warehouse itself so that a table's rows and its cursor/manifest commit in one
DuckDB transaction: a kill between them is impossible, so no row is lost or loaded twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Protocol

from warehouse.connection import Transaction, Warehouse


class Rows(Protocol):
    """Anything that runs a SELECT: a DuckDB warehouse, or the PostgreSQL one."""

    def rows(self, sql: str, params: Any = None) -> list[tuple]: ...


_DDL = [
    "CREATE SCHEMA IF NOT EXISTS meta",
    "CREATE SCHEMA IF NOT EXISTS raw",
    """CREATE TABLE IF NOT EXISTS meta.loads (
        run_id VARCHAR, source VARCHAR, "table" VARCHAR, started TIMESTAMPTZ, finished TIMESTAMPTZ,
        rows BIGINT, bytes BIGINT, status VARCHAR, error VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS meta.cursors (
        source VARCHAR, "table" VARCHAR, value_json VARCHAR, updated TIMESTAMPTZ,
        PRIMARY KEY (source, "table"))""",
    """CREATE TABLE IF NOT EXISTS meta.files (
        source VARCHAR, "table" VARCHAR, path VARCHAR, size BIGINT, mtime_ns BIGINT,
        sha256 VARCHAR, status VARCHAR, reason VARCHAR, loaded TIMESTAMPTZ,
        PRIMARY KEY (source, "table", path))""",
]


@dataclass(frozen=True)
class FileEntry:
    path: str
    size: int
    mtime_ns: int
    sha256: str
    status: str = "loaded"  # or "quarantined"
    reason: str | None = None


def ensure_meta(warehouse: Warehouse) -> None:
    with warehouse.transaction() as tx:
        for ddl in _DDL:
            tx.execute(ddl)


# -- cursors ----------------------------------------------------------------------------------
def encode_cursor(value: Any) -> str:
    """Keep the type with the value so the next run compares like with like."""
    if isinstance(value, datetime):
        return json.dumps({"type": "datetime", "value": value.isoformat()})
    if isinstance(value, date):
        return json.dumps({"type": "date", "value": value.isoformat()})
    if isinstance(value, Decimal):
        return json.dumps({"type": "decimal", "value": str(value)})
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return json.dumps({"type": "str", "value": str(value)})
    return json.dumps({"type": type(value).__name__, "value": value})


def decode_cursor(text: str | None) -> Any:
    if text is None:
        return None
    item = json.loads(text)
    kind, value = item["type"], item["value"]
    return {
        "datetime": datetime.fromisoformat,
        "date": date.fromisoformat,
        "decimal": Decimal,
    }.get(kind, lambda v: v)(value)


def read_cursor(warehouse: Warehouse, source: str, table: str) -> Any:
    rows = warehouse.rows(
        'SELECT value_json FROM meta.cursors WHERE source = ? AND "table" = ?', [source, table]
    )
    return decode_cursor(rows[0][0]) if rows else None


def write_cursor(tx: Transaction, source: str, table: str, value: Any) -> None:
    tx.execute(
        "INSERT OR REPLACE INTO meta.cursors VALUES (?, ?, ?, now())",
        [source, table, encode_cursor(value)],
    )


def clear_state(tx: Transaction, source: str, table: str) -> None:
    """A full refresh forgets the cursor and the manifest together with replacing the rows."""
    tx.execute('DELETE FROM meta.cursors WHERE source = ? AND "table" = ?', [source, table])
    tx.execute('DELETE FROM meta.files WHERE source = ? AND "table" = ?', [source, table])


# -- file manifest ----------------------------------------------------------------------------
def read_manifest(warehouse: Warehouse, source: str, table: str) -> dict[str, FileEntry]:
    rows = warehouse.rows(
        "SELECT path, size, mtime_ns, sha256, status, reason FROM meta.files "
        'WHERE source = ? AND "table" = ?',
        [source, table],
    )
    return {r[0]: FileEntry(*r) for r in rows}


def write_manifest(tx: Transaction, source: str, table: str, entries: list[FileEntry]) -> None:
    for e in entries:  # a handful of rows per load; not a bulk path
        tx.execute(
            "INSERT OR REPLACE INTO meta.files VALUES (?, ?, ?, ?, ?, ?, ?, ?, now())",
            [source, table, e.path, e.size, e.mtime_ns, e.sha256, e.status, e.reason],
        )


# -- run log ----------------------------------------------------------------------------------
def log_started(warehouse: Warehouse, run_id: str, source: str, table: str) -> None:
    # Committed on its own: a killed load stays visible as 'running' with no finish time.
    warehouse.execute(
        "INSERT INTO meta.loads VALUES (?, ?, ?, now(), NULL, 0, 0, 'running', NULL)",
        [run_id, source, table],
    )


def log_finished(
    target: Warehouse | Transaction,
    run_id: str,
    source: str,
    table: str,
    *,
    rows: int,
    bytes_: int,
    status: str,
    error: str | None = None,
) -> None:
    target.execute(
        "UPDATE meta.loads SET finished = now(), rows = ?, bytes = ?, status = ?, error = ? "
        'WHERE run_id = ? AND source = ? AND "table" = ?',
        [rows, bytes_, status, error, run_id, source, table],
    )


def source_status(warehouse: Rows) -> list[dict[str, Any]]:
    """Per source and table: the last attempt and the last successful load. The SQL reads the
    same on DuckDB and PostgreSQL, where meta.loads is published (warehouse/pg_publish.py)."""
    cols = ["source", "table", "last_status", "last_started", "last_error", "last_ok", "last_rows"]
    rows = warehouse.rows(
        """
        WITH ranked AS (
            SELECT *, row_number() OVER (PARTITION BY source, "table" ORDER BY started DESC) AS n
            FROM meta.loads
        ), ok AS (
            SELECT source, "table", max(finished) AS last_ok FROM meta.loads
            WHERE status = 'ok' GROUP BY source, "table"
        )
        SELECT r.source, r."table", r.status, extract(epoch FROM r.started),
               r.error, extract(epoch FROM ok.last_ok), r.rows
        FROM ranked r LEFT JOIN ok USING (source, "table")
        WHERE r.n = 1 ORDER BY r.source, r."table"
        """
    )
    out = []
    for row in rows:
        item = dict(zip(cols, row, strict=True))
        for key in ("last_started", "last_ok"):
            if item[key] is not None:  # a double on DuckDB, a numeric on PostgreSQL
                item[key] = datetime.fromtimestamp(float(item[key]), UTC)
        out.append(item)
    return out


def last_change(warehouse: Warehouse) -> datetime | None:
    """When loaded data last changed: the newest load that brought rows or manifest entries.

    A published snapshot is a copy of the warehouse, so it holds the same value when it is up to
    date; a different value means a publish is still pending (it failed or was interrupted).
    """
    tables = warehouse.table_columns()
    if "meta.loads" not in tables:  # e.g. a demo warehouse, never ingested into
        return None
    # A rollup rebuild without new rows (a metrics.yml edit) also changes what readers get.
    rebuilt = (
        " UNION ALL SELECT max(built_at) FROM rollup.manifest"
        if "built_at" in tables.get("rollup.manifest", {})
        else ""
    )
    return warehouse.rows(
        "SELECT max(t) FROM ("
        "SELECT max(finished) AS t FROM meta.loads WHERE status = 'ok' AND rows > 0 "
        "UNION ALL SELECT max(loaded) FROM meta.files" + rebuilt + ")"
    )[0][0]
