"""A PostgreSQL database as the warehouse: the metric service reads it as it reads DuckDB.

The same read interface as warehouse.connection.Warehouse (frame, arrow, rows, table_columns,
has_table, close) and a `dialect` the metric layer writes its SQL for (metric_layer/dialects.py).
Raw tables live in schema `raw` of the database, as in DuckDB. What a caller can rely on:
- table_columns() names types as DuckDB's catalogue does (VARCHAR, TIMESTAMP, TIMESTAMP WITH TIME
  ZONE, DECIMAL(12,2), DOUBLE, BIGINT…), so the spec's checks read one vocabulary;
- arrow() keeps NUMERIC exact (a decimal column) and integers integers, as DuckDB's Arrow does
  (a sum of integers, NUMERIC of scale 0 here and HUGEINT there, is a decimal of scale 0 on both);
- nothing printed holds the password: errors name the URL masked and pass through env_refs.redact.

Rows may change while it is open (another publish, or tables loaded by other tools), so `frozen`
is False: the service keeps no answers for it. `northstar ingest` publishes into it
(warehouse/pg_publish.py); the web app reads a published version (warehouse/pg_published.py).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pandas as pd
import psycopg
import pyarrow as pa

from env_refs import redact
from warehouse.connection import WarehouseError

# PostgreSQL type (format_type) → the name DuckDB's information_schema gives the same type.
_TYPE_NAMES = {
    "text": "VARCHAR",
    "character varying": "VARCHAR",
    "character": "VARCHAR",
    "name": "VARCHAR",
    "timestamp without time zone": "TIMESTAMP",
    "timestamp with time zone": "TIMESTAMP WITH TIME ZONE",
    "time without time zone": "TIME",
    "time with time zone": "TIME WITH TIME ZONE",
    "date": "DATE",
    "double precision": "DOUBLE",
    "real": "FLOAT",
    "bigint": "BIGINT",
    "integer": "INTEGER",
    "smallint": "SMALLINT",
    "boolean": "BOOLEAN",
    "numeric": "DECIMAL",
    "uuid": "UUID",
    "json": "JSON",
    "jsonb": "JSON",
    "bytea": "BLOB",
    "interval": "INTERVAL",
}
# Result column type (by name) → Arrow type; NUMERIC is decided per result (_decimal_type).
_ARROW = {
    "int2": pa.int16(),
    "int4": pa.int32(),
    "int8": pa.int64(),
    "float4": pa.float32(),
    "float8": pa.float64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
    "timestamptz": pa.timestamp("us", tz="UTC"),
}
_CATALOGUE = """
SELECT n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod)
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'v', 'm', 'p', 'f') AND a.attnum > 0 AND NOT a.attisdropped
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
  AND has_table_privilege(c.oid, 'SELECT')
ORDER BY n.nspname, c.relname, a.attnum
"""
READ_BATCH = 10_000  # rows a server-side cursor hands over at a time


class PostgresWarehouse:
    """A PostgreSQL database (libpq URL); read-only sessions unless `read_only=False`."""

    dialect = "postgres"
    frozen = False  # other writers may change rows while it is open: answers are not kept

    def __init__(
        self,
        url: str,
        *,
        read_only: bool = True,
        shown: str | None = None,
        secrets: Sequence[str] = (),
        connect_timeout: int = 10,
    ) -> None:
        """`shown`: the URL as messages print it (settings.EngineChoice.shown); `secrets`: text
        that must never reach a message (the password, what ${VAR} references resolved to)."""
        self._url = url
        self.read_only = read_only
        self.shown = shown or _without_password(url)
        self._secrets = tuple(secrets)
        self._timeout = connect_timeout
        self._idle: list[psycopg.Connection] = []
        self._lock = threading.Lock()
        with self._connection():
            pass  # fail now, naming the database, rather than on the first query

    def connect(self) -> psycopg.Connection:
        """A new autocommit connection of the caller's own (who closes it): the publisher's
        session, which holds its lock and transaction. WarehouseError names the database."""
        return self._connect()

    def __repr__(self) -> str:  # never the URL: reprs end up in logs and tracebacks
        return f"PostgresWarehouse({self.shown!r}, read_only={self.read_only})"

    # -- reading -----------------------------------------------------------------------------
    def arrow(
        self,
        sql: str,
        params: Sequence[Any] | dict[str, Any] | None = None,
        *,
        max_rows: int | None = None,
    ) -> pa.Table:
        """Run one SELECT; NUMERIC stays exact. With `max_rows`, at most max_rows + 1 rows are
        fetched (through a server-side cursor), so a caller can refuse an oversized answer."""
        names, kinds, rows = self._fetch(sql, params, max_rows)
        columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
        arrays = [_array(values, kind) for values, kind in zip(columns, kinds, strict=True)]
        return pa.Table.from_arrays(arrays, names=names)

    def frame(
        self,
        sql: str,
        params: Sequence[Any] | dict[str, Any] | None = None,
        *,
        max_rows: int | None = None,
    ) -> pd.DataFrame:
        return self.arrow(sql, params, max_rows=max_rows).to_pandas()

    def rows(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> list[tuple]:
        return self._fetch(sql, params, None)[2]

    def table_columns(self) -> dict[str, dict[str, str]]:
        """{"schema.table": {column: type}} for every table and view this user may read, the
        types named as DuckDB names them."""
        out: dict[str, dict[str, str]] = {}
        for schema, table, column, dtype in self.rows(_CATALOGUE):
            out.setdefault(f"{schema}.{table}", {})[column] = duckdb_type_name(dtype)
        return out

    def has_table(self, qualified: str) -> bool:
        return qualified in self.table_columns()

    # -- writing -----------------------------------------------------------------------------
    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> None:
        if self.read_only:
            raise WarehouseError("this warehouse is open read-only; only the ingest worker writes")
        with self._connection() as conn, self._errors():
            conn.execute(sql, params)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    def __enter__(self) -> PostgresWarehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- internals ---------------------------------------------------------------------------
    def _fetch(
        self, sql: str, params: Sequence[Any] | dict[str, Any] | None, max_rows: int | None
    ) -> tuple[list[str], list[str], list[tuple]]:
        with self._connection() as conn, self._errors():
            if max_rows is None:
                cur = conn.execute(sql, params)
                rows = cur.fetchall() if cur.description else []
                return _described(cur), [_kind(c) for c in cur.description or ()], rows
            with conn.transaction(), conn.cursor(name="northstar_read") as cur:
                cur.itersize = READ_BATCH
                cur.execute(sql, params)
                rows = cur.fetchmany(max_rows + 1)
                return _described(cur), [_kind(c) for c in cur.description or ()], rows

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection]:
        """A connection of this warehouse's own, for one call: threads read side by side."""
        with self._lock:
            conn = self._idle.pop() if self._idle else None
        if conn is None:
            conn = self._connect()
        try:
            yield conn
        finally:
            if conn.closed or conn.broken:
                conn.close()
            else:
                with self._lock:
                    self._idle.append(conn)

    def _connect(self) -> psycopg.Connection:
        try:
            conn = psycopg.connect(self._url, autocommit=True, connect_timeout=self._timeout)
        except psycopg.Error as exc:
            reason = self._redact(str(exc).strip().splitlines()[-1] if str(exc).strip() else "")
            raise WarehouseError(
                f"cannot connect to the PostgreSQL warehouse {self.shown}: {reason}; check "
                "NORTHSTAR_ENGINE_URL / engine_url (docs/scale-out.md) and that the server runs"
            ) from None
        if self.read_only:  # a stray write in a metric's SQL fails instead of changing data
            conn.execute("SET default_transaction_read_only = on")
        return conn

    @contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except psycopg.Error as exc:
            raise WarehouseError(self._redact(str(exc))) from None

    def _redact(self, text: str) -> str:
        return redact(text, self._secrets)


def duckdb_type_name(pg_type: str) -> str:
    """`numeric(12,2)` → DECIMAL(12,2), `character varying(20)` → VARCHAR, `integer[]` →
    INTEGER[]; a type DuckDB has no name for keeps its PostgreSQL name, upper-cased."""
    if pg_type.endswith("[]"):
        return duckdb_type_name(pg_type[:-2]) + "[]"
    base, _, modifier = pg_type.partition("(")
    if base == "numeric" and modifier:
        return f"DECIMAL({modifier.replace(' ', '')}"
    if base.startswith(("timestamp", "time")) and modifier:  # timestamp(3) with time zone
        base = base + modifier.partition(")")[2]
    return _TYPE_NAMES.get(base.strip(), pg_type.upper())


def _described(cur: psycopg.Cursor) -> list[str]:
    return [c.name for c in cur.description or ()]


def _kind(column: psycopg.Column) -> str:
    info = psycopg.postgres.types.get(column.type_code)
    return info.name if info is not None else "text"


def _array(values: Sequence[Any], kind: str) -> pa.Array:
    if kind == "numeric":
        return _decimal_array(values)
    arrow_type = _ARROW.get(kind)
    if arrow_type is not None:
        return pa.array(values, type=arrow_type)
    return pa.array([None if v is None else str(v) for v in values], type=pa.string())


def _decimal_array(values: Sequence[Any]) -> pa.Array:
    """NUMERIC as an exact decimal of the largest scale among the values (a sum's result has no
    declared scale): scale 0 for sums of integers, as DuckDB's HUGEINT reaches Arrow. NaN or
    infinity, which no decimal holds, make the column a double."""
    known = [v for v in values if v is not None]
    if any(not v.is_finite() for v in known):
        return pa.array([None if v is None else float(v) for v in values], type=pa.float64())
    scale = max((_scale(v) for v in known), default=0)
    whole = max((_whole_digits(v) for v in known), default=1)
    if whole + scale <= 38:
        return pa.array(values, type=pa.decimal128(38, scale))
    return pa.array(values, type=pa.decimal256(76, scale))


def _scale(value: Decimal) -> int:
    return max(0, -int(value.as_tuple().exponent))


def _whole_digits(value: Decimal) -> int:
    _, digits, exponent = value.as_tuple()
    return max(0, len(digits) + int(exponent))


def _without_password(url: str) -> str:
    """The URL as a message may print it when the caller gave none: user, host, port and
    database, never the password (nor any other parameter, which may hold one)."""
    try:
        parts = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.Error:
        return "(an unreadable URL)"
    user = f"{parts['user']}@" if parts.get("user") else ""
    port = f":{parts['port']}" if parts.get("port") else ""
    return f"postgresql://{user}{parts.get('host', '')}{port}/{parts.get('dbname', '')}"
