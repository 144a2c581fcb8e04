"""Generic sql path: any SQLAlchemy URL, streamed in batches and typed from the reflected table.

Slower than the Arrow-native drivers (rows become Python objects), but it reaches every dialect
SQLAlchemy knows, SQLite included. Memory stays bounded by batch_size rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa
import sqlalchemy as sa

from connectors.config import SqlSource, SqlTable
from connectors.errors import ConnectorError
from connectors.sql_extract import SqlExtract
from connectors.sql_query import lower_bound, parse_filter, sqlglot_dialect

_SQLITE_TIME = "%Y-%m-%d %H:%M:%f"  # SQLite's own canonical form, to the millisecond


def extract(source: SqlSource, table: SqlTable, previous_cursor: Any) -> SqlExtract:
    """Stream one table (rows past the cursor when one is given) in batch_size Arrow tables."""
    engine, reflected = _reflect(source, table)
    columns = [reflected.c[n] for n in table.columns] if table.columns else list(reflected.c)
    schema, casts = _arrow_schema(columns)
    query = _filtered(sa.select(*columns), source, table, engine)
    bound = lower_bound(table, previous_cursor)
    if bound is not None:
        value, inclusive = bound
        column = reflected.c[table.cursor]
        query = query.where(_past_cursor(column, value, inclusive, engine.dialect.name))

    def chunks() -> Iterator[pa.Table]:
        try:
            with engine.connect() as conn:
                result = conn.execution_options(
                    stream_results=True, yield_per=table.batch_size
                ).execute(query)
                yield pa.Table.from_batches([], schema=schema)  # creates the table even when empty
                for rows in result.partitions():
                    yield _to_arrow(rows, schema)
        except sa.exc.SQLAlchemyError as exc:
            raise ConnectorError(f"reading {table.table} failed: {exc}") from exc
        finally:
            engine.dispose()

    return SqlExtract(chunks=chunks(), casts=casts)


def _past_cursor(
    column: sa.Column, value: Any, inclusive: bool, dialect: str
) -> sa.ColumnElement[bool]:
    """`column >= value` (or `>`), comparing times as times.

    SQLite keeps DATETIME as text in whatever form it was written ('… 00:00:02', '…T00:00:02.250')
    while SQLAlchemy binds the value with microseconds, so as text a row stamped exactly at the
    cursor sorts before it and is never loaded. Both sides go through SQLite's strftime, at its own
    precision (milliseconds): an inclusive bound then re-reads at most a millisecond more.
    """
    if dialect == "sqlite" and isinstance(column.type, sa.DateTime) and isinstance(value, datetime):
        if value.tzinfo is not None:  # SQLite holds naive UTC times
            value = value.astimezone(UTC).replace(tzinfo=None)
        column = sa.func.strftime(_SQLITE_TIME, column)
        value = sa.func.strftime(_SQLITE_TIME, sa.literal(value.isoformat(sep=" "), sa.String))
    return column >= value if inclusive else column > value


def live_keys(source: SqlSource, table: SqlTable) -> pa.Table:
    engine, reflected = _reflect(source, table)
    columns = [reflected.c[k] for k in table.primary_key]
    schema, _ = _arrow_schema(columns)
    query = _filtered(sa.select(*columns), source, table, engine)
    try:
        with engine.connect() as conn:
            return _to_arrow(conn.execute(query).all(), schema)
    finally:
        engine.dispose()


def _filtered(query: sa.Select, source: SqlSource, table: SqlTable, engine: sa.Engine) -> sa.Select:
    """The table's `filter:` (parsed and checked by sqlglot) rendered in the engine's dialect."""
    if not table.filter:
        return query
    condition = parse_filter(table.filter, source.url).sql(sqlglot_dialect(engine.dialect.name))
    return query.where(sa.text(condition))


def _reflect(source: SqlSource, table: SqlTable) -> tuple[sa.Engine, sa.Table]:
    parts = table.table.split(".")
    try:
        engine = sa.create_engine(source.url)
        reflected = sa.Table(
            parts[-1],
            sa.MetaData(),
            schema=parts[0] if len(parts) > 1 else None,
            autoload_with=engine,
        )
    except sa.exc.NoSuchTableError:
        raise ConnectorError(
            f"table {table.table} not found; check `table:` in the sources file"
        ) from None
    except (sa.exc.SQLAlchemyError, ImportError) as exc:
        raise ConnectorError(
            f"cannot read {table.table}: {exc}; check the source url and driver"
        ) from exc
    return engine, reflected


def _arrow_schema(columns: list[sa.Column]) -> tuple[pa.Schema, dict[str, str]]:
    fields, casts = [], {}
    for col in columns:
        arrow_type, cast = _arrow_type(col.type)
        fields.append(pa.field(col.name, arrow_type))
        if cast:
            casts[col.name] = cast
    return pa.schema(fields), casts


def _arrow_type(t: sa.types.TypeEngine) -> tuple[pa.DataType, str | None]:
    if isinstance(t, sa.Boolean):
        return pa.bool_(), None
    if isinstance(t, sa.Integer):
        return pa.int64(), None
    if isinstance(t, sa.Float):
        return pa.float64(), None
    if isinstance(t, sa.Numeric):
        if t.precision and t.precision <= 38 and t.asdecimal:
            return pa.decimal128(t.precision, t.scale or 0), None
        return pa.float64(), None
    if isinstance(t, sa.DateTime):
        return pa.timestamp("us", tz="UTC" if t.timezone else None), None
    if isinstance(t, sa.Date):
        return pa.date32(), None
    if isinstance(t, sa.Time):
        return pa.time64("us"), None
    if isinstance(t, sa.JSON):
        return pa.string(), "JSON"
    if isinstance(t, sa.Uuid):
        return pa.string(), "UUID"
    if isinstance(t, sa.LargeBinary):
        return pa.binary(), None
    return pa.string(), None


def _to_arrow(rows: list, schema: pa.Schema) -> pa.Table:
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in schema]
    arrays = []
    for f, values in zip(schema, columns, strict=True):
        if pa.types.is_string(f.type):
            values = [_text(v) for v in values]
        elif pa.types.is_floating(f.type):
            # NUMERIC without a precision (or wider than 38 digits) lands as DOUBLE, as DuckDB's
            # own PostgreSQL scanner reads it; the driver still hands over Decimals.
            values = [float(v) if isinstance(v, Decimal) else v for v in values]
        try:
            arrays.append(pa.array(values, type=f.type))
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise ConnectorError(f"column {f.name}: value does not fit {f.type}: {exc}") from exc
    return pa.Table.from_arrays(arrays, schema=schema)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)
