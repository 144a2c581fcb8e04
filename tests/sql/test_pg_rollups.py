"""Rollups built in PostgreSQL by the publish (warehouse/pg_rollups.py) answer as the raw tables do.

The small shop is published from DuckDB into a fresh database with the conformance spec, the
publish's and the readers' sessions in America/New_York while the spec's days are Shanghai's (a
daily table grouped by the session's day shows). Then, for the metrics the PostgreSQL rollups
serve (additive ones on the daily tables; distinct-count and active ones on entity-day tables)
× every grain × no breakdown / a breakdown and a filter, the rollup service's frame
- reads rollups only (its plan says so),
- equals the raw-table service's frame on the same database (decimals digit for digit),
- equals pandas written by hand (test_engine_conformance.assert_pandas).
Kinds PostgreSQL does not build (materialized results, cohorts) read raw, and the plan says why.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from metric_layer.engine_rollups import plan_rollups
from metric_layer.service import MetricService
from tests.conftest import NOW, build_warehouse
from tests.engine_shops import PG_ZONE
from tests.pg_publish_support import fresh_database
from tests.sql.test_engine_conformance import (
    GRAINS,
    VARIANTS,
    _case,
    _query,
    assert_pandas,
    assert_same_frame,
    spec_for,
)
from tests.unit.test_metric_values import Reference
from warehouse.pg_publish import PostgresPublisher
from warehouse.postgres import PostgresWarehouse

pytestmark = [pytest.mark.db, pytest.mark.xdist_group("pg_rollups")]

DAILY = ["orders", "revenue", "avg_amount", "max_amount", "aov", "revenue_exact"]
ENTITY_DAYS = ["buyers", "wau"]  # per-grain results are DuckDB-only: these read entity days
ZONED = f"?options={quote(f'-c TimeZone={PG_ZONE}')}"


@pytest.fixture(scope="module")
def published(small_data):
    """(rollup service, raw service, database URL) over the small shop published with rollups."""
    source = build_warehouse(small_data)
    spec = spec_for(source.table_columns())
    with fresh_database() as url:
        publisher = PostgresPublisher(url + ZONED)
        try:
            publisher.publish(
                source, "conformance", rollups=plan_rollups(spec, source.table_columns())
            )
        finally:
            publisher.close()
        source.close()
        pg = PostgresWarehouse(url + ZONED)
        try:
            rollups = MetricService(pg, spec, clock=lambda: NOW)
            raw = MetricService(pg, spec, clock=lambda: NOW, use_rollups=False)
            yield rollups, raw, url
        finally:
            pg.close()


@pytest.fixture(scope="module")
def ref(small_data) -> Reference:
    return Reference(small_data.customers, small_data.orders, small_data.sessions)


CASES = [
    pytest.param(metric, grain, variant, id=f"{metric}-{grain}-{variant}")
    for metric in DAILY + ENTITY_DAYS
    for grain in GRAINS
    for variant in VARIANTS
]


@pytest.mark.parametrize(("metric", "grain", "variant"), CASES)
def test_rollups_in_postgres_answer_as_raw_tables_and_pandas(
    published, ref, small_data, metric, grain, variant
):
    rollups, raw, _ = published
    check_rollup_case(rollups, raw, ref, small_data, metric, grain, variant)


def check_rollup_case(rollups, raw, ref, small_data, metric, grain, variant) -> None:
    """The rollup service reads rollups only, and answers as the raw one and as pandas (the
    Spark publish's test asks its rollups the same)."""
    c = _case(small_data, grain, variant)
    query = _query(c, (metric,))
    route = rollups.plan(metric, query)
    assert route.source == "rollups", route.describe()
    kind = "__daily__" if metric in DAILY else "__entity_days"
    assert all(kind in t for t in route.rollup_tables), route.rollup_tables
    frame = rollups.query(query).frame
    assert_same_frame(frame, raw.query(query).frame, f"rollups vs raw {metric} {grain} {variant}")
    assert_pandas(rollups, frame, ref, metric, c)


def test_kinds_postgres_does_not_build_read_raw_and_the_plan_says_so(published, small_data):
    rollups, _, _ = published
    query = _query(_case(small_data, "month", "total"), ("d1_retention",))
    route = rollups.plan("d1_retention", query)
    assert route.source == "raw"
    assert any(
        "on postgres only daily and entity-day rollups are built" in r for r in route.reasons
    )


def test_the_publish_recorded_its_rollups_in_schema_rollup(published):
    _, _, url = published
    with PostgresWarehouse(url) as pg:
        tables = {t for (t,) in pg.rows("SELECT table_name FROM rollup.manifest")}
        schemas = {s for (s,) in pg.rows("SELECT nspname FROM pg_namespace")}
    assert "rollup.orders__daily__all" in tables and "rollup.buyers__entity_days" in tables
    assert not any("__next_" in s or "__old_" in s for s in schemas)


@pytest.mark.parametrize("grain", GRAINS)
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_growth_beside_its_input_runs_as_one_postgres_statement(
    published, ref, small_data, grain, variant
):
    """revenue_growth (previous()) joins revenue's daily scan (rollup_shifted.py): the one
    statement, written for PostgreSQL, answers as the raw tables and as pandas."""
    rollups, raw, _ = published
    c = _case(small_data, grain, variant)
    query = _query(c, ("revenue", "revenue_growth"))
    frame = rollups.query(query)
    assert frame.sql["revenue"] == frame.sql["revenue_growth"]
    assert "__daily__" in frame.sql["revenue"] and '"raw"' not in frame.sql["revenue"]
    assert_same_frame(frame.frame, raw.query(query).frame, f"rollups vs raw {grain} {variant}")
    for metric in query.metrics:
        assert_pandas(rollups, frame.frame, ref, metric, c)
