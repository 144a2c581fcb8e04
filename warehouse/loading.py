"""Load Arrow data or files into raw.<source>__<table> as one transaction with its cursor/manifest.

Connectors hand over chunks (Arrow tables, record batch readers, or FileScan for files DuckDB reads
itself) and a LoadRequest. Everything for one table happens inside one DuckDB transaction: rows,
schema additions, the new cursor, the file manifest and the run-log row. Any error (or a kill) rolls
all of it back. Names come from validated config and are quoted; values are bound.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa

from warehouse import ingest_meta
from warehouse.connection import Transaction, Warehouse, WarehouseError

RowsCallback = Callable[[int, int], None]  # (rows, bytes) just staged
_READERS = {
    "parquet": "read_parquet($files, union_by_name = true, filename = '_ns_file')",
    "csv": "read_csv($files, union_by_name = true, filename = '_ns_file')",
    "json": "read_json($files, format = 'array', union_by_name = true, filename = '_ns_file')",
    "ndjson": "read_json($files, format = 'newline_delimited', union_by_name = true, filename = '_ns_file')",
}
_FILENAME = ", filename = '_ns_file'"
SEQ = "_ns_seq"  # chunk order: when a key repeats, the row from the later chunk/file wins
DELETED = "_deleted"
UTC_TIMESTAMPTZ = "UTC_TIMESTAMPTZ"  # a cast target: naive source time that is UTC → TIMESTAMPTZ


class SchemaDrift(WarehouseError):
    """Incoming columns conflict with the existing table (type change or removed column)."""


@dataclass(frozen=True)
class FileScan:
    """Files of one format that DuckDB reads directly (much faster than going through Python)."""

    paths: tuple[Path, ...]
    format: Literal["parquet", "csv", "json", "ndjson"]


@dataclass
class LoadRequest:
    source: str
    table: str
    run_id: str
    chunks: Iterable[pa.Table | pa.RecordBatchReader | FileScan]
    mode: Literal["replace", "merge", "append"]
    primary_key: tuple[str, ...] = ()
    casts: dict[str, str] = field(default_factory=dict)  # column → DuckDB type
    cursor_column: str | None = None
    previous_cursor: Any = None
    check_drift: bool = True
    file_entries: list[ingest_meta.FileEntry] = field(default_factory=list)
    clear_state: bool = False  # full refresh: forget cursor and manifest
    live_keys: pa.Table | None = None  # soft deletes: every key still at the source
    # One SQL query cannot return a real primary key twice, so sql sources skip the check;
    # files and pages can (a key in two files, overlapping pages): the later chunk wins.
    dedupe: bool = True

    @property
    def target(self) -> str:
        return f"raw.{quote(self.source + '__' + self.table)}"


@dataclass(frozen=True)
class LoadResult:
    rows: int
    bytes: int
    cursor: Any
    added_columns: tuple[str, ...] = ()


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def load_table(
    warehouse: Warehouse, req: LoadRequest, on_rows: RowsCallback | None = None
) -> LoadResult:
    """Run one table load as one transaction; raise SchemaDrift or WarehouseError on failure."""
    counter = _Counter(on_rows)
    with warehouse.transaction() as tx:
        cur = tx._cur
        before = _columns(tx, req.source + "__" + req.table)
        direct = req.mode == "replace"
        dest = (
            req.target if direct else f"raw.{quote('_ns_stage__' + req.source + '__' + req.table)}"
        )
        if not direct:
            tx.execute(f"DROP TABLE IF EXISTS {dest}")
        staged = _stage(cur, dest, req, counter, before, replace=direct)
        added: list[str] = []
        if staged and req.primary_key:
            _check_key(tx, dest, req)
            if req.dedupe and _has_duplicates(tx, dest, req.primary_key):
                if _many_files(req.chunks):  # rare: re-read, this time tagging rows by file order
                    _stage(cur, dest, req, _Counter(None), before, replace=True, ordered=True)
                _dedupe(tx, dest, req.primary_key)
        if direct:
            if staged and req.check_drift and before:
                _check_drift(before, _columns(tx, req.source + "__" + req.table), req.table)
        elif staged:
            if not before:
                tx.execute(
                    f"CREATE TABLE {req.target} AS SELECT * EXCLUDE ({SEQ}) FROM {dest} LIMIT 0"
                )
                before = _columns(tx, req.source + "__" + req.table)
            added = _apply_drift(
                tx, req, before, _columns(tx, "_ns_stage__" + req.source + "__" + req.table)
            )
            _merge(tx, req, dest)
        # The stage holds just this load's rows: a cheaper max than scanning the whole table.
        cursor = _new_cursor(tx, req, dest) if staged else req.previous_cursor
        if not direct:
            tx.execute(f"DROP TABLE IF EXISTS {dest}")
        if staged and direct:
            tx.execute(f"ALTER TABLE {req.target} DROP COLUMN {SEQ}")
        if req.live_keys is not None:
            _mark_deleted(cur, req)
        if req.clear_state:
            ingest_meta.clear_state(tx, req.source, req.table)
        if cursor is not None:
            ingest_meta.write_cursor(tx, req.source, req.table, cursor)
        ingest_meta.write_manifest(tx, req.source, req.table, req.file_entries)
        ingest_meta.log_finished(
            tx,
            req.run_id,
            req.source,
            req.table,
            rows=counter.rows,
            bytes_=counter.bytes,
            status="ok",
        )
    return LoadResult(counter.rows, counter.bytes, cursor, tuple(added))


# -- staging ----------------------------------------------------------------------------------
class _Counter:
    def __init__(self, callback: RowsCallback | None) -> None:
        self.rows = 0
        self.bytes = 0
        self._callback = callback

    def add(self, rows: int, nbytes: int) -> None:
        self.rows += rows
        self.bytes += nbytes
        if self._callback:
            self._callback(rows, nbytes)

    def wrap(self, reader: pa.RecordBatchReader) -> pa.RecordBatchReader:
        def batches() -> Iterator[pa.RecordBatch]:
            for batch in reader:
                self.add(batch.num_rows, batch.nbytes)
                yield batch

        return pa.RecordBatchReader.from_batches(reader.schema, batches())


def _stage(
    cur,
    dest: str,
    req: LoadRequest,
    counter: _Counter,
    before: dict,
    replace: bool,
    ordered: bool = False,
) -> bool:
    """Write every chunk into dest (created from the first); return whether anything was staged."""
    created = False
    for seq, chunk in enumerate(req.chunks):
        if isinstance(chunk, FileScan):
            # Tagging each row with its file costs ~50% more, so it is only done when keys repeat.
            select = (
                f"SELECT * EXCLUDE (_ns_file), list_position($files, _ns_file) AS {SEQ} "
                f"FROM {_READERS[chunk.format]}"
                if ordered
                else f"SELECT *, {seq} AS {SEQ} FROM {_READERS[chunk.format].replace(_FILENAME, '')}"
            )
            params: dict[str, Any] = {"files": [str(p) for p in chunk.paths]}
            nbytes = sum(p.stat().st_size for p in chunk.paths)
        else:
            if isinstance(chunk, pa.Table) and chunk.num_rows == 0 and created:
                continue
            data = counter.wrap(chunk) if isinstance(chunk, pa.RecordBatchReader) else chunk
            cur.register("_ns_chunk", data)
            select = f"SELECT {_select_list(data.schema, req.casts, before)}, {seq} AS {SEQ} FROM _ns_chunk"
            params = {}
        if created:
            _widen_stage(cur, dest, select, params)
        verb = (
            (f"CREATE OR REPLACE TABLE {dest} AS " if replace else f"CREATE TABLE {dest} AS ")
            if not created
            else f"INSERT INTO {dest} BY NAME "
        )
        result = cur.execute(verb + select, params).fetchall()
        if isinstance(chunk, FileScan):
            counter.add(int(result[0][0]) if result else 0, nbytes)
        elif isinstance(chunk, pa.Table):
            counter.add(chunk.num_rows, chunk.nbytes)
            cur.unregister("_ns_chunk")
        else:
            cur.unregister("_ns_chunk")
        created = True
    return created


def _widen_stage(cur, dest: str, select: str, params: dict) -> None:
    """A later chunk (page, file) may bring columns the first did not have: add them first."""
    schema, _, name = dest.partition(".")
    have = {
        r[0]
        for r in cur.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?",
            [schema, name.strip('"').replace('""', '"')],
        ).fetchall()
    }
    for column, dtype, *_ in cur.execute(f"DESCRIBE {select}", params).fetchall():
        if column not in have:
            cur.execute(f"ALTER TABLE {dest} ADD COLUMN {quote(column)} {dtype}")


def _select_list(schema: pa.Schema, casts: dict[str, str], before: dict[str, str]) -> str:
    items = []
    for f in schema:
        if pa.types.is_null(f.type):
            # An all-null column has no type yet: use the table's type, or leave it out until
            # a value arrives (creating it as VARCHAR would make a later real value "drift").
            if f.name in before:
                items.append(f"CAST({quote(f.name)} AS {before[f.name]}) AS {quote(f.name)}")
            continue
        if casts.get(f.name) == UTC_TIMESTAMPTZ:
            items.append(f"timezone('UTC', {quote(f.name)}) AS {quote(f.name)}")
        elif f.name in casts:
            items.append(f"CAST({quote(f.name)} AS {casts[f.name]}) AS {quote(f.name)}")
        else:
            items.append(quote(f.name))
    return ", ".join(items) if items else "NULL AS _ns_empty"


def _check_key(tx: Transaction, dest: str, req: LoadRequest) -> None:
    schema, _, name = dest.partition(".")
    have = [
        r[0]
        for r in tx.rows(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? AND column_name <> ?",
            [schema, name.strip('"'), SEQ],
        )
    ]
    missing = [k for k in req.primary_key if k not in have]
    if missing:
        raise WarehouseError(
            f"primary key column(s) {', '.join(missing)} not in the data of {req.source}.{req.table} "
            f"(columns: {', '.join(have)}); fix `primary_key:` in the sources file"
        )


def _has_duplicates(tx: Transaction, dest: str, key: tuple[str, ...]) -> bool:
    keys = ", ".join(quote(k) for k in key)
    # GROUP BY ... HAVING runs in parallel; count(DISTINCT) next to count(*) did not (2x slower).
    return bool(tx.rows(f"SELECT 1 FROM {dest} GROUP BY {keys} HAVING count(*) > 1 LIMIT 1"))


def _many_files(chunks: object) -> bool:
    return isinstance(chunks, list) and any(
        isinstance(c, FileScan) and len(c.paths) > 1 for c in chunks
    )


def _dedupe(tx: Transaction, dest: str, key: tuple[str, ...]) -> None:
    """Keep one row per key: the one from the latest chunk (later file or page wins)."""
    keys = ", ".join(quote(k) for k in key)
    tx.execute(
        f"CREATE OR REPLACE TABLE {dest} AS SELECT * FROM {dest} "
        f"QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY {SEQ} DESC) = 1"
    )


def _merge(tx: Transaction, req: LoadRequest, stage: str) -> None:
    if req.mode == "merge" and req.primary_key:
        match = " AND ".join(f"t.{quote(k)} = s.{quote(k)}" for k in req.primary_key)
        tx.execute(f"DELETE FROM {req.target} AS t USING {stage} AS s WHERE {match}")
    tx.execute(f"INSERT INTO {req.target} BY NAME SELECT * EXCLUDE ({SEQ}) FROM {stage}")


def _mark_deleted(cur, req: LoadRequest) -> None:
    keys = list(req.primary_key)
    cur.execute(
        f"ALTER TABLE {req.target} ADD COLUMN IF NOT EXISTS {DELETED} BOOLEAN DEFAULT false"
    )
    cur.register("_ns_live", req.live_keys)
    try:
        match = " AND ".join(f"l.{quote(k)} = t.{quote(k)}" for k in keys)
        cur.execute(
            f"UPDATE {req.target} AS t SET {DELETED} = NOT EXISTS "
            f"(SELECT 1 FROM _ns_live AS l WHERE {match})"
        )
    finally:
        cur.unregister("_ns_live")


def _new_cursor(tx: Transaction, req: LoadRequest, table: str) -> Any:
    if not req.cursor_column:
        return req.previous_cursor
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tiny result; the extra-copy warning does not matter
        result = tx._cur.execute(
            f"SELECT max({quote(req.cursor_column)}) FROM {table}"
        ).to_arrow_table()
    value = result.column(0)[0].as_py()
    if value is None:
        return req.previous_cursor
    if req.previous_cursor is not None:
        with contextlib.suppress(TypeError):
            value = max(value, req.previous_cursor)
    return value


# -- schema drift -----------------------------------------------------------------------------
_WIDENS = {
    "TINYINT": {"SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "DOUBLE"},
    "SMALLINT": {"INTEGER", "BIGINT", "HUGEINT", "DOUBLE"},
    "INTEGER": {"BIGINT", "HUGEINT", "DOUBLE"},
    "BIGINT": {"HUGEINT", "DOUBLE"},
    "FLOAT": {"DOUBLE"},
    "TIMESTAMP_NS": {"TIMESTAMP"},
    "TIMESTAMP_MS": {"TIMESTAMP"},
    "TIMESTAMP_S": {"TIMESTAMP"},
}


def _compatible(incoming: str, existing: str) -> bool:
    return (
        incoming == existing
        or existing in _WIDENS.get(incoming, set())
        or (existing == "JSON" and incoming == "VARCHAR")
        or (existing == "VARCHAR" and incoming == "JSON")
    )


def _conflicts(before: dict[str, str], after: dict[str, str], table: str) -> list[str]:
    problems = []
    for name, dtype in before.items():
        if name in (SEQ, DELETED):
            continue
        if name not in after:
            problems.append(f"column {name} ({dtype}) is no longer sent by the source")
        elif not _compatible(after[name], dtype):
            problems.append(f"column {name} changed type from {dtype} to {after[name]}")
    return problems


def _check_drift(before: dict[str, str], after: dict[str, str], table: str) -> None:
    problems = _conflicts(before, {k: v for k, v in after.items() if k != SEQ}, table)
    if problems:
        raise SchemaDrift(_drift_message(table, problems))


def _apply_drift(tx: Transaction, req: LoadRequest, before: dict, staged: dict) -> list[str]:
    problems = _conflicts(before, staged, req.table)
    if problems:
        raise SchemaDrift(_drift_message(req.table, problems))
    added = [c for c in staged if c not in before and c != SEQ]
    for column in added:  # new columns are additive: old rows read NULL
        tx.execute(f"ALTER TABLE {req.target} ADD COLUMN {quote(column)} {staged[column]}")
    return added


def _drift_message(table: str, problems: list[str]) -> str:
    return (
        f"schema drift in {table}: " + "; ".join(problems) + ". The table was left unchanged; "
        "fix the source, or rebuild the table with `northstar ingest <source> --full-refresh`."
    )


def _columns(tx: Transaction, table: str) -> dict[str, str]:
    rows = tx.rows(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'raw' AND table_name = ? ORDER BY ordinal_position",
        [table],
    )
    return {name: dtype for name, dtype in rows}


def probe_file(warehouse: Warehouse, scan: FileScan) -> str | None:
    """Read one file fully; return why it cannot be loaded, or None when it is fine."""
    try:
        warehouse.rows(
            f"SELECT count(*) FROM {_READERS[scan.format]}", {"files": [str(p) for p in scan.paths]}
        )
    except WarehouseError as exc:
        return str(exc).splitlines()[0]
    return None
