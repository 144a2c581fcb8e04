"""warehouse/pg_rollups.py on its own: replacing schema `rollup` inside the publish's transaction.

The publish tests (tests/connectors/test_pg_publish.py, tests/sql/test_pg_rollups.py) build
rollups through a whole publish; these pin the swap itself on a fresh database: several tables and
views (a view over a view among them) are replaced whole, a plan-less publish drops them, a view of
someone else's over a rollup table stops the swap instead of vanishing with it, and a failed
statement leaves the old rollups as they were (the caller's transaction rolls back).
"""

from __future__ import annotations

from datetime import date

import psycopg
import pytest

from tests.pg_publish_support import fresh_database
from warehouse.pg_rollups import replace_rollups
from warehouse.rollup_plan import ManifestRow, RollupPlan, RollupStatement

pytestmark = [pytest.mark.db, pytest.mark.xdist_group("pg_rollup_swap")]


def plan(n: int) -> RollupPlan:
    """Tables a (n rows) and b, view v over a, view w over v."""
    statements = (
        RollupStatement(
            "rollup.a", "TABLE", f"CREATE TABLE rollup.a AS SELECT generate_series(1, {n}) AS x"
        ),
        RollupStatement("rollup.b", "TABLE", "CREATE TABLE rollup.b AS SELECT 1 AS y"),
        RollupStatement("rollup.v", "VIEW", "CREATE VIEW rollup.v AS SELECT * FROM rollup.a"),
        RollupStatement("rollup.w", "VIEW", "CREATE VIEW rollup.w AS SELECT * FROM rollup.v"),
    )
    manifest = tuple(ManifestRow(s.table, "unit", "hash") for s in statements)
    return RollupPlan(statements, manifest, date(2026, 12, 3))


@pytest.fixture(scope="module")
def url():
    with fresh_database() as found:
        yield found


def relations(conn: psycopg.Connection) -> set[str]:
    rows = conn.execute(
        "SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n "
        "ON n.oid = c.relnamespace WHERE n.nspname LIKE 'rollup%' AND c.relkind IN ('r', 'v')"
    ).fetchall()
    return {name for (name,) in rows}


def test_tables_and_views_are_replaced_whole_and_dropped_without_a_plan(url):
    with psycopg.connect(url) as conn:
        with conn.transaction():
            replace_rollups(conn, plan(3), "t1")
        with conn.transaction():
            built = replace_rollups(conn, plan(5), "t2")
        assert built == ["rollup.a", "rollup.b", "rollup.v", "rollup.w"]
        assert conn.execute("SELECT count(*) FROM rollup.w").fetchone()[0] == 5
        assert relations(conn) == {
            "rollup.a",
            "rollup.b",
            "rollup.v",
            "rollup.w",
            "rollup.manifest",
        }
        with conn.transaction():
            assert replace_rollups(conn, None, "t3") == []
        assert relations(conn) == set()


def test_someone_elses_view_over_a_rollup_stops_the_swap_and_keeps_the_old_rollups(url):
    with psycopg.connect(url) as conn:
        with conn.transaction():
            replace_rollups(conn, plan(3), "t4")
        conn.execute("CREATE SCHEMA IF NOT EXISTS reports")
        conn.execute("CREATE VIEW reports.mine AS SELECT * FROM rollup.b")
        conn.commit()
        with pytest.raises(psycopg.errors.DependentObjectsStillExist), conn.transaction():
            replace_rollups(conn, plan(7), "t5")
        assert conn.execute("SELECT count(*) FROM rollup.w").fetchone()[0] == 3  # as it was
        assert conn.execute("SELECT count(*) FROM reports.mine").fetchone()[0] == 1
        conn.execute("DROP SCHEMA reports CASCADE")
        conn.commit()
