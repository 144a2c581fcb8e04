"""One object owns a DuckDB connection; everything else asks it for frames or Arrow tables.

DuckDB allows one read-write process or many read-only ones (see ARCHITECTURE.md section 4), so a
Warehouse is opened either read-write (the ingest worker, the demo builder) or read-only (the web app).
Statements run on per-call cursors so that threads of one process can read concurrently; a
read-only warehouse keeps the relations of the statements it reads with arrow() bound between runs
(bound_statements.py).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from warehouse.bound_statements import BoundStatements


class WarehouseError(RuntimeError):
    """The warehouse could not be opened or a statement failed; the message says what to do."""


class WarehouseLocked(WarehouseError):
    """Another process holds the warehouse file read-write (DuckDB allows one writer)."""


class Warehouse:
    """A DuckDB database file (or in-memory database when path is None)."""

    dialect = "duckdb"  # the SQL the metric layer writes for it (metric_layer/dialects.py)

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        read_only: bool = False,
        config: dict[str, str | int] | None = None,
    ) -> None:
        """`config`: DuckDB settings for this connection (e.g. threads, memory_limit)."""
        self.path = Path(path) if path is not None else None
        self.read_only = read_only
        if self.path is not None and read_only and not self.path.exists():
            raise WarehouseError(
                f"warehouse file {self.path} does not exist; build it with `northstar demo build` "
                "or load data with `northstar ingest`"
            )
        if self.path is not None and not read_only:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                where = f" ({exc.filename})" if exc.filename else ""
                raise WarehouseError(_unusable(self.path, f"{exc.strerror}{where}")) from None
        try:
            self._con = duckdb.connect(
                str(self.path) if self.path else ":memory:",
                read_only=read_only,
                config=dict(config or {}),
            )
        except duckdb.IOException as exc:
            message = str(exc).splitlines()[0]
            if "Could not set lock" not in message:  # a bad path or file, not another process
                raise WarehouseError(_unusable(self.path, message)) from None
            raise WarehouseLocked(
                f"cannot open warehouse {self.path}: {message}. Another process holds it "
                "read-write; the web app should open the published serving snapshot instead."
            ) from exc
        self._lock = threading.Lock()
        # Relations kept bound per statement text: only where the tables cannot change under them
        self._bound = BoundStatements(self._con.cursor) if read_only else None

    @property
    def frozen(self) -> bool:
        """Whether its rows stay as they are while it is open: read-only, DuckDB lets no writer
        in (the metric service then remembers answers)."""
        return self.read_only

    # -- reading -----------------------------------------------------------------------------
    def frame(
        self,
        sql: str,
        params: Sequence[Any] | dict[str, Any] | None = None,
        *,
        max_rows: int | None = None,
    ) -> pd.DataFrame:
        """Run one SELECT and return a pandas frame.

        With `max_rows`, stop reading after max_rows + 1 rows, so a caller can refuse an oversized
        answer without holding all of it in memory.
        """
        with self._cursor() as cur:
            result = cur.execute(sql, params or [])
            if max_rows is None:
                return result.df()
            chunks: list[pd.DataFrame] = []
            read = 0
            while read <= max_rows:
                chunk = result.fetch_df_chunk(8)  # 8 vectors of 2,048 rows
                if chunks and chunk.empty:
                    break
                chunks.append(chunk)  # the first, even when empty, carries the columns
                read += len(chunk)
                if chunk.empty:
                    break
            return pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0]

    def arrow(
        self,
        sql: str,
        params: Sequence[Any] | dict[str, Any] | None = None,
        *,
        max_rows: int | None = None,
    ) -> pa.Table:
        """Run one SELECT; DECIMAL stays exact (pandas frames from .df() turn it into floats).

        With `max_rows`, at most max_rows + 1 rows are read, so a caller can refuse an oversized
        answer without holding all of it in memory.
        """
        if self._bound is not None and not params:  # read-only: a relation made once serves
            try:
                with self._bound.relation(sql) as relation:
                    return _read_arrow(relation, max_rows)
            except duckdb.Error as exc:
                raise WarehouseError(str(exc)) from exc
        with self._cursor() as cur:
            # A relation, not execute(): DuckDB copies (and warns about) DB-API results to Arrow,
            # and execute() holds the whole result in memory before the first row is read.
            return _read_arrow(cur.sql(sql, params=params or None), max_rows)

    def rows(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> list[tuple]:
        with self._cursor() as cur:
            return cur.execute(sql, params or []).fetchall()

    def batches(self, sql: str, batch_rows: int = 100_000) -> Iterator[pa.RecordBatch]:
        """Run one SELECT and hand its rows over as Arrow batches of up to `batch_rows`, without
        holding the whole result in memory (publishing a large table to another engine)."""
        with self._cursor() as cur:
            yield from cur.sql(sql).to_arrow_reader(batch_rows)

    def table_columns(self) -> dict[str, dict[str, str]]:
        """{"schema.table": {column: duckdb type}} for every table and view."""
        out: dict[str, dict[str, str]] = {}
        for schema, table, column, dtype in self.rows(
            "SELECT table_schema, table_name, column_name, data_type "
            "FROM information_schema.columns ORDER BY table_schema, table_name, ordinal_position"
        ):
            out.setdefault(f"{schema}.{table}", {})[column] = dtype
        return out

    def has_table(self, qualified: str) -> bool:
        return qualified in self.table_columns()

    # -- writing -----------------------------------------------------------------------------
    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> None:
        self._require_writable()
        with self._cursor() as cur:
            cur.execute(sql, params or [])

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """All statements inside commit together or not at all."""
        self._require_writable()
        with self._lock:
            cur = self._con.cursor()
            cur.begin()
            try:
                tx = Transaction(cur)
                yield tx
                if tx.failed is not None:
                    # DuckDB aborts a transaction at its first error and its COMMIT then rolls
                    # back without a word: a caller that caught the error must not believe the
                    # statements before it were written.
                    raise WarehouseError(
                        f"a statement of this transaction failed ({tx.failed}), so none of it "
                        "was written; fix the statement, or run it outside the transaction"
                    )
                cur.commit()
            except BaseException:
                cur.rollback()
                raise
            finally:
                cur.close()

    def replace_table(self, qualified: str, data: pa.Table | pd.DataFrame) -> None:
        """Create or replace `schema.table` from Arrow or pandas data in one transaction."""
        with self.transaction() as tx:
            tx.replace_table(qualified, data)

    def checkpoint(self) -> None:
        self._require_writable()
        with self._cursor() as cur:
            cur.execute("CHECKPOINT")

    def close(self) -> None:
        if self._bound is not None:
            self._bound.close()
        self._con.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ---------------------------------------------------------------------------
    @contextmanager
    def _cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        cur = self._con.cursor()
        try:
            yield cur
        except duckdb.Error as exc:
            raise WarehouseError(str(exc)) from exc
        finally:
            cur.close()

    def _require_writable(self) -> None:
        if self.read_only:
            raise WarehouseError("this warehouse is open read-only; only the ingest worker writes")


class Transaction:
    """Statements of one open transaction (see Warehouse.transaction)."""

    def __init__(self, cursor: duckdb.DuckDBPyConnection) -> None:
        self._cur = cursor
        self.failed: str | None = None  # the first error: the transaction can only roll back

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> None:
        try:
            self._cur.execute(sql, params or [])
        except duckdb.Error as exc:
            raise self._error(exc) from exc

    def rows(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> list[tuple]:
        try:
            return self._cur.execute(sql, params or []).fetchall()
        except duckdb.Error as exc:
            raise self._error(exc) from exc

    def _error(self, exc: duckdb.Error) -> WarehouseError:
        message = str(exc)
        self.failed = self.failed or message.splitlines()[0]
        return WarehouseError(message)

    def replace_table(self, qualified: str, data: pa.Table | pd.DataFrame) -> None:
        schema, table = _split(qualified)
        self._cur.register("_northstar_incoming", data)
        try:
            self._cur.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            self._cur.execute(
                f'CREATE OR REPLACE TABLE "{schema}"."{table}" AS SELECT * FROM _northstar_incoming'
            )
        finally:
            self._cur.unregister("_northstar_incoming")

    def append_table(self, qualified: str, data: pa.Table | pd.DataFrame) -> None:
        schema, table = _split(qualified)
        self._cur.register("_northstar_incoming", data)
        try:
            self._cur.execute(
                f'INSERT INTO "{schema}"."{table}" BY NAME SELECT * FROM _northstar_incoming'
            )
        finally:
            self._cur.unregister("_northstar_incoming")


def _read_arrow(relation: duckdb.DuckDBPyRelation, max_rows: int | None) -> pa.Table:
    if max_rows is None:
        return relation.to_arrow_table()
    # Streamed and cut here, not relation.limit(): limit() binds the statement again, which
    # doubled the time of the metric service's small statements (≈ 4 → 8.5 ms).
    reader = relation.to_arrow_reader(max_rows + 1)
    try:
        batches: list[pa.RecordBatch] = []
        read = 0
        for batch in reader:
            batches.append(batch)
            read += batch.num_rows
            if read > max_rows:
                break
        return pa.Table.from_batches(batches, schema=reader.schema).slice(0, max_rows + 1)
    finally:
        reader.close()  # its cursor runs nothing else while a result is open


def _unusable(path: Path | None, reason: str) -> str:
    return (
        f"cannot open warehouse {path}: {reason}; NORTHSTAR_WAREHOUSE must name a DuckDB file "
        "in a directory this user can write"
    )


def _split(qualified: str) -> tuple[str, str]:
    """Split and check `schema.table`; names here come from configuration, never from a user."""
    parts = qualified.split(".")
    if len(parts) != 2 or not all(p.replace("_", "").isalnum() for p in parts):
        raise WarehouseError(
            f"table name {qualified!r} must look like schema.table (letters, digits, _)"
        )
    return parts[0], parts[1]
