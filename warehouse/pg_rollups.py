"""Rollups in PostgreSQL (engine = postgres): built by the publish, inside its transaction.

warehouse/pg_publish.py calls build_rollups right after it has swapped the new `raw` in, before
COMMIT: the statements read `raw.*` as readers will see it, and schema `rollup` is replaced whole
in the same transaction, so a reader sees the rollups of the version it reads or none, and a
publish that fails leaves the rollups as they were.

Built here: the kinds in metric_layer.rollups.ENGINE_ROLLUP_KINDS["postgres"] — the daily tables
per model (additive metrics re-aggregate them at any grain, breakdown and filter) and the
entity-day tables of distinct-count and active metrics. Their SQL is rollup_tables.UnitBuilder's,
the same trees as DuckDB's, written for PostgreSQL by metric_layer/dialects.render (days in the
spec's zone whatever the session's). Cohorts and materialized results stay DuckDB-only: the
service reads the raw tables for them and its plan says so.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import psycopg
from sqlglot import exp

from metric_layer.rollup_tables import UnitBuilder, _create
from metric_layer.rollup_units import MANIFEST, SCHEMA, rollup_units
from metric_layer.rollups import ENGINE_ROLLUP_KINDS
from metric_layer.semantics import Semantics
from metric_layer.spec import Spec
from warehouse.pg_copy import ident, qualified

KINDS = ENGINE_ROLLUP_KINDS["postgres"] or ()
ROLLUP_SCHEMA = SCHEMA
# The manifest rollup.py's planner reads (rollups.MANIFEST_COLUMNS), as rollup_build.py's.
_MANIFEST_DDL = (
    f"CREATE TABLE {MANIFEST} (table_name text, unit text, definition text, data_version text, "
    "as_of date, first_day date, has_rows boolean, built_at timestamptz)"
)
_OWN = """
SELECT c.relname, c.relkind FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = %s AND c.relkind IN ('r', 'v', 'p')
"""


def build_rollups(
    conn: psycopg.Connection,
    spec: Spec,
    types: dict[str, dict[str, str]],
    as_of: date | None = None,
) -> list[str]:
    """Create schema `rollup` with the spec's daily and entity-day tables and their manifest;
    returns the tables built. `types`: the raw tables' columns (the DuckDB warehouse's, which the
    publish gave the PostgreSQL tables). Runs in the caller's transaction."""
    sem = Semantics(spec)
    as_of = as_of or datetime.now(ZoneInfo(spec.time_zone)).date()
    builder = UnitBuilder(None, spec, sem, types, as_of)  # the SELECTs only: no DuckDB handle
    conn.execute(f"CREATE SCHEMA {ident(SCHEMA)}")
    conn.execute(_MANIFEST_DDL)
    built: list[str] = []
    for unit in rollup_units(spec, sem, types):
        if unit.kind not in KINDS:
            continue
        if unit.kind == "daily":
            statements = [(t, s, "TABLE") for t, s in builder.daily_selects(unit.subject)]
        elif unit.view_of is not None:  # DAU, WAU and MAU read the same rows: built once
            statements = [(unit.tables[0], exp.select("*").from_(unit.view_of), "VIEW")]
        else:
            select = builder.entity_days_select(spec.metric(unit.subject))
            statements = [(unit.tables[0], select, "TABLE")]
        for table, select, kind in statements:
            conn.execute(_create(table, select, kind, dialect="postgres"))
            if kind == "TABLE":
                # Without statistics the planner guesses row counts of a fresh table.
                conn.execute(f"ANALYZE {qualified(*table.split('.', 1))}")
        for table in unit.tables:
            conn.execute(
                f"INSERT INTO {MANIFEST} VALUES (%s, %s, %s, '', %s, NULL, TRUE, now())",
                [table, unit.label, unit.definition, as_of],
            )
            built.append(table)
    return built


def replace_rollups(
    conn: psycopg.Connection, spec: Spec | None, types: dict[str, dict[str, str]], tag: str
) -> list[str]:
    """Replace schema `rollup` by `spec`'s rollups (none without a spec: rollups of older rows
    must not outlive them); the tables built. Runs in the publish's transaction."""
    old = f"{ROLLUP_SCHEMA}__old_{tag}"
    had = conn.execute(
        "SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = %s", [ROLLUP_SCHEMA]
    ).fetchone()
    if had:
        conn.execute(f"ALTER SCHEMA {ident(ROLLUP_SCHEMA)} RENAME TO {ident(old)}")
    built = build_rollups(conn, spec, types) if spec is not None else []
    if had:
        drop_rollups(conn, old)
    return built


def drop_rollups(conn: psycopg.Connection, schema: str) -> None:
    """Drop a (renamed-away) rollup schema's views, then tables, then the schema. RESTRICT, not
    CASCADE: someone else's view over a rollup table fails the publish instead of vanishing."""
    relations = conn.execute(_OWN, [schema]).fetchall()
    views = [qualified(schema, name) for name, kind in relations if kind == "v"]
    tables = [qualified(schema, name) for name, kind in relations if kind != "v"]
    if views:
        conn.execute("DROP VIEW " + ", ".join(views))
    if tables:
        conn.execute("DROP TABLE " + ", ".join(tables))
    conn.execute(f"DROP SCHEMA {ident(schema)}")
