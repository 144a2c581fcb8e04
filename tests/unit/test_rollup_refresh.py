"""Rollups follow the spec: a refresh rebuilds exactly the units a change affects, keeps the rest,
and a reader never uses a table built from another definition (it reads raw tables and says why).
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest

from metric_layer.loader import parse_spec
from metric_layer.query import MetricQuery
from metric_layer.rollup_build import build_rollups, refresh_rollups, rollups_stale
from metric_layer.service import MetricService
from metric_layer.spec import SimpleMetric
from tests.conftest import SPEC_PATH, TODAY, build_warehouse

BASE_TEXT = SPEC_PATH.read_text(encoding="utf-8")
# A new additive metric on orders, and a new active metric on sessions (its own entity rows).
NEW_METRICS = """\
  - {name: big_orders, type: simple, model: orders, agg: count, filter: "amount >= 100"}
  - {name: ios_visitors, type: active, model: sessions, entity: customer_id, window: 7, filter: "platform = 'ios'"}
"""


def spec_of(text: str, wh):
    return parse_spec(text, "metrics.yml", wh.table_columns())


def with_new_metrics(text: str = BASE_TEXT) -> str:
    marker = "north_star:"
    return text.replace(marker, NEW_METRICS + marker, 1)


@pytest.fixture
def warehouse(small_data):
    wh = build_warehouse(small_data)
    yield wh
    wh.close()


def built(refresh) -> dict[str, str]:
    return dict(refresh.built)


def test_unchanged_spec_rebuilds_nothing(warehouse):
    spec = spec_of(BASE_TEXT, warehouse)
    build_rollups(warehouse, spec, today=TODAY)
    assert not rollups_stale(warehouse, spec, TODAY)
    again = refresh_rollups(warehouse, spec, TODAY)
    assert not again.changed and again.summary() == f"rollups up to date (built for {TODAY})"
    # Labels, descriptions and formats do not change a single row.
    cosmetic = BASE_TEXT.replace(
        "{name: orders, type: simple,", "{name: orders, label: Paid orders, type: simple,"
    ).replace("format: currency}", "format: number, description: money}")
    assert cosmetic != BASE_TEXT
    assert not rollups_stale(warehouse, spec_of(cosmetic, warehouse), TODAY)


def test_a_new_metric_rebuilds_only_what_it_touches(warehouse):
    build_rollups(warehouse, spec_of(BASE_TEXT, warehouse), today=TODAY)
    spec = spec_of(with_new_metrics(), warehouse)
    assert rollups_stale(warehouse, spec, TODAY)
    refresh = refresh_rollups(warehouse, spec, TODAY)
    # orders' daily tables gain a column; ios_visitors gets its own entity days and results;
    # sessions' metrics (dau/wau/mau, visitors), buyers and the cohorts are kept as they were.
    assert built(refresh) == {
        "orders daily": "spec changed",
        "ios_visitors entity-days": "new in the spec",
        "ios_visitors materialized": "new in the spec",
    }
    assert refresh.kept == 12 and not refresh.dropped  # of 15 units
    assert not rollups_stale(warehouse, spec, TODAY)


def test_a_changed_model_rebuilds_the_entity_days_of_its_distinct_counts(warehouse):
    build_rollups(warehouse, spec_of(BASE_TEXT, warehouse), today=TODAY)
    # orders' timestamps read as Shanghai wall time, not UTC: every order's local day moves
    moved = BASE_TEXT.replace(
        "time: {column: ordered_at, time_zone: UTC}", "time: {column: ordered_at, time_zone: local}"
    )
    assert moved != BASE_TEXT
    spec = spec_of(moved, warehouse)
    refresh = refresh_rollups(warehouse, spec, TODAY)
    # buyers counts distinct customers of orders: its entity-day rows and results are rebuilt;
    # sessions' and customers' units read nothing of orders and are kept
    assert built(refresh) == {
        "orders daily": "spec changed",
        "buyers entity-days": "spec changed",
        "buyers materialized": "spec changed",
    }
    assert not rollups_stale(warehouse, spec, TODAY)


def test_a_removed_metric_drops_its_tables(warehouse):
    build_rollups(warehouse, spec_of(with_new_metrics(), warehouse), today=TODAY)
    spec = spec_of(BASE_TEXT, warehouse)
    refresh = refresh_rollups(warehouse, spec, TODAY)
    assert built(refresh) == {"orders daily": "spec changed"}
    assert "rollup.ios_visitors__entity_days" in refresh.dropped
    assert not [t for t in warehouse.table_columns() if "ios_visitors" in t]


def test_a_new_as_of_day_rebuilds_only_rolling_windows(warehouse):
    spec = spec_of(BASE_TEXT, warehouse)
    build_rollups(warehouse, spec, today=TODAY)
    later = TODAY + timedelta(days=3)
    refresh = refresh_rollups(warehouse, spec, later)
    assert built(refresh) == {
        f"{m} materialized": f"as-of day now {later}" for m in ("dau", "wau", "mau")
    }
    service = MetricService(warehouse, spec, as_of=later)
    assert service.rollup_planner.built_for == later


def test_new_rows_rebuild_the_units_that_read_that_table(warehouse):
    spec = spec_of(BASE_TEXT, warehouse)
    warehouse.execute("CREATE SCHEMA meta")
    warehouse.execute(
        'CREATE TABLE meta.loads (source VARCHAR, "table" VARCHAR, finished TIMESTAMPTZ, '
        "rows BIGINT, status VARCHAR)"
    )
    build_rollups(warehouse, spec, today=TODAY)
    assert not rollups_stale(warehouse, spec, TODAY)
    # A load into a table no model reads: a model table not loaded by ingest (raw.orders here)
    # counts as changed by any load, so everything reading orders, sessions or customers is due.
    warehouse.execute("INSERT INTO meta.loads VALUES ('x', 'y', now(), 5, 'ok')")
    refresh = refresh_rollups(warehouse, spec, TODAY)
    assert set(built(refresh).values()) == {"new data"} and refresh.kept == 0
    # A load that brought no rows changes nothing.
    warehouse.execute("INSERT INTO meta.loads VALUES ('x', 'y', now(), 0, 'ok')")
    assert not rollups_stale(warehouse, spec, TODAY)


def test_rollups_of_an_older_layout_are_rebuilt(warehouse):
    spec = spec_of(BASE_TEXT, warehouse)
    warehouse.execute("CREATE SCHEMA rollup")
    warehouse.execute(
        "CREATE TABLE rollup.manifest AS SELECT 'abc' AS spec_hash, DATE '2026-01-08' AS as_of"
    )
    warehouse.execute("CREATE TABLE rollup.orders__daily__total AS SELECT 1 AS day")
    service = MetricService(warehouse, spec, as_of=TODAY)
    assert service.rollup_planner is None
    assert "older Northstar" in service.plan("orders").describe()
    refresh = refresh_rollups(warehouse, spec, TODAY)
    assert set(built(refresh).values()) == {"older layout"}
    assert '"rollup".' in MetricService(warehouse, spec, as_of=TODAY).sql(
        "orders", MetricQuery(("orders",))
    )


def test_stale_tables_are_not_read_and_the_plan_says_why(warehouse, small_data):
    """After a spec edit and before a rebuild: numbers from raw tables, equal to pandas."""
    build_rollups(warehouse, spec_of(BASE_TEXT, warehouse), today=TODAY)
    spec = spec_of(with_new_metrics(), warehouse)
    service = MetricService(warehouse, spec, as_of=TODAY)
    query = MetricQuery(("big_orders",), grain="week", start=date(2025, 12, 29), end=TODAY)
    route = service.plan("big_orders", query)
    assert route.source == "raw" and route.raw_tables == ("raw.orders",)
    assert route.describe() == (
        "raw — spec changed since the rollups were built — run `northstar rollups build`"
    )
    # Kept units still serve: visitors reads its entity days, dau its materialized results.
    assert service.plan("visitors", query).source == "rollups"
    assert service.plan(
        "dau", MetricQuery(("dau",), grain="week", start=date(2025, 12, 29))
    ).describe() == ("rollups (rollup.m__dau__week__total)")
    # A ratio over a stale input names the input.
    assert "orders: spec changed" in service.plan("aov", query).describe()
    got = service.query(query).frame.set_index("period")["big_orders"]
    orders = small_data.orders.assign(
        day=pd.to_datetime(small_data.orders.ordered_at)
        .dt.tz_localize("UTC")
        .dt.tz_convert("Asia/Shanghai")
        .dt.tz_localize(None)
        .dt.normalize()
    )
    big = orders[
        (orders.amount >= 100) & (orders.day >= "2025-12-29") & (orders.day < "2026-01-12")
    ]
    weeks = big.day - pd.to_timedelta(big.day.dt.day_of_week, unit="D")
    want = weeks.dt.date.value_counts().reindex(got.index, fill_value=0).astype(float)
    assert got.to_dict() == want.to_dict() == {date(2025, 12, 29): 2.0, date(2026, 1, 5): 1.0}
    # After the refresh the same query reads rollups and gives the same numbers.
    refresh_rollups(warehouse, spec, TODAY)
    fast = MetricService(warehouse, spec, as_of=TODAY)
    assert fast.plan("big_orders", query).describe() == "rollups (rollup.orders__daily__total)"
    pd.testing.assert_frame_equal(fast.query(query).frame, service.query(query).frame)


def test_a_service_without_rollups_says_why(warehouse):
    spec = spec_of(BASE_TEXT, warehouse)
    assert MetricService(warehouse, spec).plan("orders").describe() == (
        "raw — no rollups built — run `northstar rollups build`"
    )
    off = MetricService(warehouse, spec, use_rollups=False)
    assert off.plan("orders").describe() == "raw — rollups are turned off for this service"


def test_qualified_dimension_names_read_raw_tables_and_say_so(warehouse):
    spec = spec_of(BASE_TEXT, warehouse)
    build_rollups(warehouse, spec, today=TODAY)
    service = MetricService(warehouse, spec, as_of=TODAY)
    query = MetricQuery(("revenue",), grain="month", dimensions=("customers.channel",))
    route = service.plan("revenue", query)
    assert (
        route.describe() == "raw — breakdowns and filters by customers.channel read the raw tables"
    )
    assert route.raw_tables == ("raw.orders", "raw.customers")
    assert service.plan("revenue", MetricQuery(("revenue",), dimensions=("channel",))).source == (
        "rollups"
    )


def test_entity_day_rows_are_stored_in_day_order(warehouse):
    # A range read skips the row groups outside it only when they are in day order (issue 10:
    # root cause of a distinct count over 5 weeks of 2 years read every row group before).
    build_rollups(warehouse, spec_of(BASE_TEXT, warehouse), today=TODAY)
    tables = [
        name
        for (name,) in warehouse.rows(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'rollup'"
            " AND table_type = 'BASE TABLE' AND table_name LIKE '%entity_days'"
        )
    ]
    assert tables
    for name in tables:
        days = [d for (d,) in warehouse.rows(f'SELECT day FROM rollup."{name}" ORDER BY rowid')]
        assert len(set(days)) > 1, name
        assert days == sorted(days), name


def test_a_release_adding_an_optional_key_rebuilds_nothing(warehouse):
    """A newer Northstar whose metrics gain an optional key (left at its default by every
    existing metrics.yml) must not make every rollup of every user stale on upgrade."""

    class NewerSimpleMetric(SimpleMetric):
        future_option: str | None = None

    spec = spec_of(BASE_TEXT, warehouse)
    build_rollups(warehouse, spec, today=TODAY)
    newer = [
        NewerSimpleMetric(**m.model_dump()) if isinstance(m, SimpleMetric) else m
        for m in spec.metrics
    ]
    assert any(isinstance(m, NewerSimpleMetric) for m in newer)
    upgraded = spec.model_copy(update={"metrics": newer})
    assert not rollups_stale(warehouse, upgraded, TODAY)
