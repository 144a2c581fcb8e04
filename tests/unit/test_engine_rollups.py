"""The rollup plan the metric layer hands to another engine's publish (metric_layer/engine_rollups.py)."""

from __future__ import annotations

from metric_layer import rollup_units
from metric_layer.engine_rollups import plan_from_text, plan_rollups
from metric_layer.loader import parse_spec
from tests.conftest import SPEC_PATH
from warehouse import pg_rollups


def test_the_publish_writes_where_the_planner_reads() -> None:
    assert pg_rollups.ROLLUP_SCHEMA == rollup_units.SCHEMA
    assert pg_rollups.MANIFEST == rollup_units.MANIFEST


def test_postgres_plan_holds_daily_and_entity_day_tables_only(small_warehouse) -> None:
    types = small_warehouse.table_columns()
    spec = parse_spec(SPEC_PATH.read_text(encoding="utf-8"), "metrics.yml", types)
    plan = plan_rollups(spec, types, "postgres")
    made = {s.table for s in plan.statements}
    assert made and {row.table for row in plan.manifest} <= made
    assert all(s.sql.startswith(f"CREATE {s.kind} ") for s in plan.statements)
    # Written for PostgreSQL: quoted names, no DuckDB-only spelling of a day in the spec's zone.
    assert all('"rollup".' in s.sql for s in plan.statements)
    # Cohorts and per-grain results stay DuckDB-only (the service reads raw for them there).
    assert {row.unit.rsplit(" ", 1)[-1] for row in plan.manifest} == {"daily", "entity-days"}


def test_the_ingest_hook_plans_from_the_spec_text_as_from_the_spec(small_warehouse) -> None:
    types = small_warehouse.table_columns()
    text = SPEC_PATH.read_text(encoding="utf-8")
    from_text = plan_from_text(text, types)
    from_spec = plan_rollups(parse_spec(text, "metrics.yml", types), types, "postgres")
    assert from_text.statements and from_text == from_spec
