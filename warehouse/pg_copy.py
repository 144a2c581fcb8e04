"""One DuckDB table into PostgreSQL: its column types, its fingerprint, and the COPY of its rows.

The rows travel as CSV written by Arrow from DuckDB's Arrow batches, into `COPY … FROM STDIN
(FORMAT csv)`: C code on both sides, about twice as fast here as psycopg's binary `write_row`
(benchmarks/bench_pg_publish.py). CSV keeps what readers rely on: NULL (an unquoted empty field)
apart from '' (a quoted one), doubles to the last bit (shortest round-trip text), NaN and
infinities, DECIMAL digits, TIMESTAMPTZ instants (written with their offset). Types CSV cannot
carry as they are become text PostgreSQL reads back (BLOB as \\x hex, UUID, TIME, INTERVAL,
JSON); nested types have no PostgreSQL column and are refused, naming the column.

Names come from the warehouse's own catalog (tables the loader created from validated
sources.yml names) and are checked again here, then quoted by sqlglot.
"""

from __future__ import annotations

import io

import psycopg
import pyarrow.csv as pcsv
from sqlglot import exp

from warehouse.connection import Warehouse
from warehouse.fingerprints import PublishError, TableFingerprint, check_name, duck_table

COPY_BATCH_ROWS = 100_000
# DuckDB types PostgreSQL has under another name (or no name: the nearest that holds every value).
_PG_TYPES = {
    "UTINYINT": "SMALLINT",
    "USMALLINT": "INTEGER",
    "UINTEGER": "BIGINT",
    "UBIGINT": "NUMERIC(20, 0)",
    "HUGEINT": "NUMERIC(39, 0)",
    "UHUGEINT": "NUMERIC(39, 0)",
    "TINYINT": "SMALLINT",
    "TIMESTAMP_S": "TIMESTAMP",
    "TIMESTAMP_MS": "TIMESTAMP",
    "TIMESTAMP_NS": "TIMESTAMP",
}
# Read as text on the DuckDB side; PostgreSQL parses that text into its own type.
_AS_TEXT = ("UUID", "TIME", "TIME WITH TIME ZONE", "INTERVAL", "JSON")
_NESTED = ("[", "STRUCT", "MAP", "UNION", "ENUM", "BIT", "VARIANT")


class PostgresPublishError(PublishError):
    """Publishing to PostgreSQL failed or was refused; the live tables are as they were and the
    message says what to do (the next `northstar ingest` publishes what is pending)."""


def create_table(target: str, columns: tuple[tuple[str, str], ...], where: str) -> str:
    """CREATE TABLE `target` (already quoted) with each column's PostgreSQL type."""
    defs = ", ".join(f"{ident(name)} {pg_type(dtype, name, where)}" for name, dtype in columns)
    return f"CREATE TABLE {target} ({defs})"


def pg_type(duckdb_type: str, column: str, where: str) -> str:
    """The PostgreSQL column type for a DuckDB type, written by sqlglot; PostgresPublishError for types
    PostgreSQL has no column for (lists, structs, maps, unions, enums, bit strings)."""
    upper = duckdb_type.upper()
    if upper.startswith(_NESTED) or "[" in upper:
        raise PostgresPublishError(
            f"column {column} of {where} is {duckdb_type}, which PostgreSQL has no column type "
            "for: select it as text (or as separate columns) in the source, then ingest again"
        )
    mapped = _PG_TYPES.get(upper, duckdb_type)
    dialect = "postgres" if upper in _PG_TYPES else "duckdb"
    return exp.DataType.build(mapped, dialect=dialect).sql(dialect="postgres")


def copy_rows(
    source: Warehouse, conn: psycopg.Connection, fp: TableFingerprint, target: str
) -> None:
    """Stream `fp`'s rows from the DuckDB warehouse into `target` (a quoted table name)."""
    select = ", ".join(_readable(name, dtype) for name, dtype in fp.columns)
    sql = f"SELECT {select} FROM {duck_table(fp.schema, fp.table)}"
    names = ", ".join(ident(name) for name, _ in fp.columns)
    options = pcsv.WriteOptions(include_header=False)
    with conn.cursor().copy(f"COPY {target} ({names}) FROM STDIN (FORMAT csv)") as copy:
        for batch in source.batches(sql, COPY_BATCH_ROWS):
            buffer = io.BytesIO()
            pcsv.write_csv(batch, buffer, options)
            copy.write(buffer.getbuffer())


def ident(name: str) -> str:
    """A checked name, quoted for PostgreSQL by sqlglot."""
    check_name(name)
    return exp.to_identifier(name, quoted=True).sql(dialect="postgres")


def qualified(schema: str, table: str) -> str:
    return f"{ident(schema)}.{ident(table)}"


def _readable(name: str, dtype: str) -> str:
    """The column as the CSV writer should see it (text PostgreSQL parses, for a few types)."""
    column = exp.column(name, quoted=True).sql(dialect="duckdb")
    upper = dtype.upper()
    if upper == "BLOB":  # bytea's hex input form
        return f"CASE WHEN {column} IS NULL THEN NULL ELSE '\\x' || hex({column}) END AS {column}"
    if upper in _AS_TEXT:
        return f"CAST({column} AS VARCHAR) AS {column}"
    return column
