"""The rollups an engine other than DuckDB builds, planned as statements in its dialect.

Built there: the kinds in rollups.ENGINE_ROLLUP_KINDS[dialect] — the daily tables per model
(additive metrics re-aggregate them at any grain, breakdown and filter) and the entity-day tables
of distinct-count and active metrics. Their SQL is rollup_tables.UnitBuilder's, the same trees as
DuckDB's, written for the engine by dialects.render (days in the spec's zone whatever the
session's). Cohorts and materialized results stay DuckDB-only: the service reads the raw tables
for them and its plan says so. The engine's publish runs the plan (warehouse/pg_rollups.py).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlglot import exp

from metric_layer.dialects import render
from metric_layer.loader import parse_spec
from metric_layer.rollup_tables import UnitBuilder, _create
from metric_layer.rollup_units import rollup_units
from metric_layer.rollups import ENGINE_ROLLUP_KINDS
from metric_layer.semantics import Semantics
from metric_layer.spec import Spec
from warehouse.rollup_plan import ManifestRow, RollupPlan, RollupStatement


def plan_rollups(
    spec: Spec,
    types: dict[str, dict[str, str]],
    dialect: str = "postgres",
    as_of: date | None = None,
) -> RollupPlan:
    """The statements creating `spec`'s rollups on `dialect`'s engine, and their manifest rows.
    `types`: the raw tables' columns (the DuckDB warehouse's, which the publish gives the
    engine's tables)."""
    kinds = ENGINE_ROLLUP_KINDS[dialect] or ()
    sem = Semantics(spec)
    as_of = as_of or datetime.now(ZoneInfo(spec.time_zone)).date()
    builder = UnitBuilder(None, spec, sem, types, as_of)  # the SELECTs only: no DuckDB handle
    statements: list[RollupStatement] = []
    manifest: list[ManifestRow] = []
    for unit in rollup_units(spec, sem, types):
        if unit.kind not in kinds:
            continue
        if unit.kind == "daily":
            selects = [(t, s, "TABLE") for t, s in builder.daily_selects(unit.subject)]
        elif unit.view_of is not None:  # DAU, WAU and MAU read the same rows: built once
            selects = [(unit.tables[0], exp.select("*").from_(unit.view_of), "VIEW")]
        else:
            select = builder.entity_days_select(spec.metric(unit.subject))
            selects = [(unit.tables[0], select, "TABLE")]
        for table, select, kind in selects:
            statements.append(
                RollupStatement(
                    table, kind, _create(table, select, kind, dialect), render(select, dialect)
                )
            )
        manifest += [ManifestRow(t, unit.label, unit.definition) for t in unit.tables]
    return RollupPlan(tuple(statements), tuple(manifest), as_of)


def plan_from_text(
    spec_text: str, types: dict[str, dict[str, str]], dialect: str = "postgres"
) -> RollupPlan:
    """plan_rollups of a metrics.yml text the ingest hook has already checked."""
    return plan_rollups(parse_spec(spec_text, "metrics.yml", types), types, dialect)
