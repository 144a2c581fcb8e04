"""What a published table holds, fingerprinted on the DuckDB side, and its checked name.

Every engine's publish (PostgreSQL: pg_publish.py, Spark: spark_publish.py) fingerprints the
DuckDB warehouse's tables and copies only those whose fingerprint differs from the one recorded
for the published table: equal fingerprints mean equal rows, so the copy is skipped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from sqlglot import exp

from warehouse.connection import Warehouse, WarehouseError

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# What a publish puts where readers read it: every table of `raw`, and meta.loads (when each
# source loaded: freshness). None: all of the schema.
PUBLISHED: dict[str, tuple[str, ...] | None] = {"raw": None, "meta": ("loads",)}


class PublishError(WarehouseError):
    """Publishing to another engine failed or was refused; what readers see is as it was and
    the message says what to do (the next `northstar ingest` publishes what is pending)."""


@dataclass(frozen=True)
class TableFingerprint:
    """What a published table holds, as the DuckDB side computes it."""

    schema: str
    table: str
    columns: tuple[tuple[str, str], ...]  # (name, DuckDB type) in order
    rows: int
    digest: str  # sum of row hashes (as text: it overflows 64 bits)

    @property
    def name(self) -> str:
        return f"{self.schema}.{self.table}"

    @property
    def columns_json(self) -> str:
        return json.dumps([list(c) for c in self.columns])

    def same_as(self, recorded: tuple[str, int, str] | None) -> bool:
        """Whether `recorded` (columns JSON, rows, digest, as the engine keeps them) is this."""
        return recorded is not None and recorded == (self.columns_json, self.rows, self.digest)


def fingerprint(source: Warehouse, schema: str, table: str, columns: list[tuple[str, str]]):
    """Rows and the sum of row hashes of `schema.table` (one scan; DuckDB hashes fast)."""
    alias = row_alias(columns)
    rows, digest = source.rows(
        f"SELECT count(*), CAST(coalesce(sum(hash({alias})::HUGEINT), 0) AS VARCHAR) "
        f"FROM {duck_table(schema, table)} AS {alias}"
    )[0]
    return TableFingerprint(schema, table, tuple(columns), int(rows), digest)


def published_tables(source: Warehouse) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(schema, table, columns) of what is published, from the DuckDB warehouse's catalog."""
    out = []
    for name, columns in sorted(source.table_columns().items()):
        schema, table = name.split(".", 1)
        wanted = PUBLISHED.get(schema, ())
        if wanted is None or table in (wanted or ()):
            out.append((schema, table, list(columns.items())))
    return out


def duck_table(schema: str, table: str) -> str:
    check_name(schema)
    check_name(table)
    return exp.table_(table, db=schema, quoted=True).sql(dialect="duckdb")


def check_name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise PublishError(
            f"name {name!r} cannot be published: names are letters, digits and _ (rename the "
            "source or table in sources.yml)"
        )
    return name


def row_alias(columns: list[tuple[str, str]]) -> str:
    """A table alias naming the whole row (hash(alias) hashes every column) that no column
    shadows."""
    taken = {c.lower() for c, _ in columns}
    alias = "northstar_row"
    while alias in taken:
        alias += "_"
    return alias
