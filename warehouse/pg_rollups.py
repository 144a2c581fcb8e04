"""Rollups in PostgreSQL (engine = postgres): built by the publish, inside its transaction.

warehouse/pg_publish.py calls replace_rollups right after it has swapped the new `raw` in, before
COMMIT: the statements read `raw.*` as readers will see it, and schema `rollup` is replaced whole
in the same transaction, so a reader sees the rollups of the version it reads or none, and a
publish that fails leaves the rollups as they were. What to build, and its SQL written for
PostgreSQL, is the metric layer's plan (metric_layer/engine_rollups.py → rollup_plan.RollupPlan).
"""

from __future__ import annotations

import psycopg

from warehouse.pg_copy import ident, qualified
from warehouse.rollup_plan import RollupPlan

ROLLUP_SCHEMA = "rollup"  # metric_layer/rollup_units.SCHEMA: the schema the planner reads
MANIFEST = f"{ROLLUP_SCHEMA}.manifest"
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


def build_rollups(conn: psycopg.Connection, plan: RollupPlan) -> list[str]:
    """Create schema `rollup` with the plan's tables and views and their manifest; returns the
    tables built. Runs in the caller's transaction."""
    conn.execute(f"CREATE SCHEMA {ident(ROLLUP_SCHEMA)}")
    conn.execute(_MANIFEST_DDL)
    for statement in plan.statements:
        conn.execute(statement.sql)
        if statement.kind == "TABLE":
            # Without statistics the planner guesses row counts of a fresh table.
            conn.execute(f"ANALYZE {qualified(*statement.table.split('.', 1))}")
    for row in plan.manifest:
        conn.execute(
            f"INSERT INTO {MANIFEST} VALUES (%s, %s, %s, '', %s, NULL, TRUE, now())",
            [row.table, row.unit, row.definition, plan.as_of],
        )
    return [row.table for row in plan.manifest]


def replace_rollups(conn: psycopg.Connection, plan: RollupPlan | None, tag: str) -> list[str]:
    """Replace schema `rollup` by the plan's rollups (none without a plan: rollups of older rows
    must not outlive them); the tables built. Runs in the publish's transaction."""
    old = f"{ROLLUP_SCHEMA}__old_{tag}"
    had = conn.execute(
        "SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = %s", [ROLLUP_SCHEMA]
    ).fetchone()
    if had:
        conn.execute(f"ALTER SCHEMA {ident(ROLLUP_SCHEMA)} RENAME TO {ident(old)}")
    built = build_rollups(conn, plan) if plan is not None else []
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
