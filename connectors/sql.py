"""The sql connector: PostgreSQL through ADBC, MySQL/MariaDB through connectorx, anything else
through SQLAlchemy in batches. Each yields Arrow chunks plus the DuckDB casts that give every
column its right type (the fast drivers hand some types over as text).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from connectors.config import SqlSource, SqlTable
from connectors.errors import ConnectorError
from connectors.sql_query import build_select, dialect_of, literal

UTC_TIMESTAMPTZ = "UTC_TIMESTAMPTZ"  # see warehouse.loading


@dataclass
class SqlExtract:
    chunks: Iterator[pa.Table | pa.RecordBatchReader]
    casts: dict[str, str] = field(default_factory=dict)


def extract(source: SqlSource, table: SqlTable, previous_cursor: Any) -> SqlExtract:
    """Stream one table (rows past the cursor when one is given) as Arrow."""
    dialect = dialect_of(source.url)
    if dialect == "postgres" and "+" not in source.url.split(":", 1)[0]:
        return _postgres(source, table, previous_cursor)
    if dialect == "mysql":
        return _mysql(source, table, previous_cursor)
    from connectors.sql_alchemy import extract as generic

    return generic(source, table, previous_cursor)


def live_keys(source: SqlSource, table: SqlTable) -> pa.Table:
    """Every primary key still present at the source (for soft deletes)."""
    dialect = dialect_of(source.url)
    if dialect == "postgres" and "+" not in source.url.split(":", 1)[0]:
        conn, reader = _postgres_open(
            source.url, build_select(table, source.url, None, keys_only=True)
        )
        try:
            return reader.read_all()
        finally:
            conn.close()
    if dialect == "mysql":
        return _cx(source.url, build_select(table, source.url, None, keys_only=True), None)
    from connectors.sql_alchemy import live_keys as generic

    return generic(source, table)


# -- PostgreSQL via ADBC ----------------------------------------------------------------------
def _postgres(source: SqlSource, table: SqlTable, previous: Any) -> SqlExtract:
    conn, reader = _postgres_open(source.url, build_select(table, source.url, previous))

    def chunks() -> Iterator[pa.RecordBatchReader]:
        try:
            yield reader
        finally:
            conn.close()  # after DuckDB has drained the reader

    return SqlExtract(chunks=chunks(), casts=postgres_casts(reader.schema))


def _postgres_open(url: str, query: str) -> tuple[Any, pa.RecordBatchReader]:
    import adbc_driver_postgresql.dbapi as adbc

    try:
        conn = adbc.connect(url)
    except Exception as exc:  # the driver's own error types vary by version
        raise ConnectorError(f"cannot connect to PostgreSQL: {exc}; check the source url") from exc
    try:
        cur = conn.cursor()
        cur.execute(query)
        reader = cur.fetch_record_batch()
        # The reader dies with its cursor: keep the cursor alive on the connection wrapper.
        return _Closing(conn, cur), reader
    except Exception as exc:
        conn.close()
        raise ConnectorError(
            f"PostgreSQL query failed: {exc}; check the table and columns"
        ) from exc


class _Closing:
    def __init__(self, conn: Any, cur: Any) -> None:
        self._conn, self._cur = conn, cur

    def close(self) -> None:
        try:
            self._cur.close()
        finally:
            self._conn.close()


def postgres_casts(schema: pa.Schema) -> dict[str, str]:
    casts: dict[str, str] = {}
    for f in schema:
        meta = {k.decode(): v.decode() for k, v in (f.metadata or {}).items()}
        if meta.get("POSTGRESQL:type") == "numeric":
            typmod = int(meta.get("POSTGRESQL:typmod", "-1"))
            if typmod >= 4:
                precision, scale = (typmod - 4) >> 16, (typmod - 4) & 0xFFFF
                # DuckDB decimals stop at 38 digits; wider ones would overflow, so use DOUBLE.
                casts[f.name] = f"DECIMAL({precision},{scale})" if precision <= 38 else "DOUBLE"
            else:  # unconstrained numeric: no fixed scale to keep
                casts[f.name] = "DOUBLE"
    return casts


# -- MySQL / MariaDB via connectorx -----------------------------------------------------------
def _mysql(source: SqlSource, table: SqlTable, previous: Any) -> SqlExtract:
    casts = _mysql_casts(source.url, table)
    query = build_select(table, source.url, previous)

    def chunks() -> Iterator[pa.RecordBatchReader]:
        import connectorx as cx

        try:
            yield cx.read_sql(
                _cx_url(source.url), query, return_type="arrow_stream", batch_size=table.batch_size
            )
        except Exception as exc:
            raise ConnectorError(f"MySQL query failed: {exc}") from exc

    return SqlExtract(chunks=chunks(), casts=casts)


def _cx_url(url: str) -> str:
    scheme, rest = url.split("://", 1)
    return "mysql://" + rest if scheme.split("+")[0] in ("mysql", "mariadb") else url


def _cx(url: str, query: str, batch_size: int | None) -> pa.Table:
    import connectorx as cx

    try:
        return cx.read_sql(_cx_url(url), query, return_type="arrow")
    except Exception as exc:
        raise ConnectorError(f"MySQL query failed: {exc}; check the url and the table") from exc


def _mysql_casts(url: str, table: SqlTable) -> dict[str, str]:
    """connectorx widens DECIMAL to (38,10) and sends BOOLEAN as TINYINT; the catalog knows better."""
    parts = table.table.split(".")
    schema = literal(parts[0], "mysql").sql("mysql") if len(parts) > 1 else "DATABASE()"
    name = literal(parts[-1], "mysql").sql("mysql")
    catalog = _cx(
        url,
        "SELECT c.COLUMN_NAME AS name, c.DATA_TYPE AS data_type, c.COLUMN_TYPE AS column_type, "
        "c.NUMERIC_PRECISION AS p, c.NUMERIC_SCALE AS s, "
        "(SELECT count(*) FROM information_schema.CHECK_CONSTRAINTS k "
        " WHERE k.CONSTRAINT_SCHEMA = c.TABLE_SCHEMA AND k.TABLE_NAME = c.TABLE_NAME "
        " AND k.CHECK_CLAUSE = concat('json_valid(`', c.COLUMN_NAME, '`)')) AS is_json "
        f"FROM information_schema.COLUMNS c WHERE c.TABLE_SCHEMA = {schema} AND c.TABLE_NAME = {name}",
        None,
    ).to_pylist()
    if not catalog:
        raise ConnectorError(
            f"table {table.table} not found in MySQL; check `table:` in the sources file"
        )
    casts = {}
    for col in catalog:
        data_type, column_type = str(col["data_type"]).lower(), str(col["column_type"]).lower()
        if data_type == "decimal" and col["p"] is not None:
            casts[col["name"]] = f"DECIMAL({col['p']},{col['s']})" if col["p"] <= 38 else "DOUBLE"
        elif column_type.startswith("tinyint(1)") or data_type == "boolean":
            casts[col["name"]] = "BOOLEAN"
        elif data_type == "json" or col["is_json"]:
            casts[col["name"]] = "JSON"
        elif data_type == "uuid":
            casts[col["name"]] = "UUID"
        elif data_type == "timestamp":
            casts[col["name"]] = UTC_TIMESTAMPTZ  # stored as UTC; the server sends it naive
    return casts
