"""One scan per daily rollup table: a query's metrics answered from the same daily rollup table
run as one statement over it (rollup_sql.daily_fused_select), with the values each metric has
when asked alone on the rollup path and on the raw tables; and, for the new shape, the values
pandas computes by hand from the rows."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from metric_layer.query import DimensionFilter, MetricQuery
from metric_layer.service import MetricService
from metric_layer.spec import zero_when_empty
from tests.conftest import NOW, property_settings
from tests.unit.test_fused_queries import alone
from tests.unit.test_metric_values import local_day

ADDITIVE = ["orders", "revenue", "avg_amount", "max_amount", "min_amount", "aov", "ios_share"]
OTHERS = ["buyers", "revenue_per_buyer", "revenue_growth", "visitors", "conversion"]


@pytest.fixture(scope="module")
def rollup_service(medium_rollup_warehouse, small_spec) -> MetricService:
    svc = MetricService(medium_rollup_warehouse, small_spec, clock=lambda: NOW)
    assert svc.rollup_planner is not None
    return svc


@pytest.fixture(scope="module")
def raw_service(medium_warehouse, small_spec) -> MetricService:
    return MetricService(medium_warehouse, small_spec, clock=lambda: NOW, use_rollups=False)


def _comparable(frame: pd.DataFrame, keys: list[str], dims) -> pd.DataFrame:
    frame = frame.copy()
    for d in dims:
        frame[d] = frame[d].astype(object).where(frame[d].notna(), "<NULL>").astype(str)
    return frame.sort_values(keys).reset_index(drop=True)


def test_metrics_reading_one_daily_rollup_run_as_one_statement(rollup_service):
    query = MetricQuery(
        ("orders", "revenue", "aov", "avg_amount", "buyers"), grain="month", dimensions=("channel",)
    )
    frame = rollup_service.query(query)
    sql = frame.sql["orders"]
    assert sql == frame.sql["revenue"] == frame.sql["aov"] == frame.sql["avg_amount"]
    assert frame.sql["buyers"] != sql  # entity-day rows: its own statement
    assert sql.count('FROM "rollup".') == 1 and '"raw"' not in sql  # one scan of one rollup table
    lines = rollup_service.query_plan(query).describe()
    assert any(
        line.startswith("orders, revenue, aov, avg_amount: one scan of daily") for line in lines
    )


@given(
    metrics=st.lists(st.sampled_from(ADDITIVE + OTHERS), min_size=2, max_size=5, unique=True),
    grain=st.sampled_from(["day", "week", "month", "quarter", "all"]),
    dims=st.sampled_from([(), ("platform",), ("channel",), ("channel", "platform")]),
    filtered=st.sampled_from([None, "region", "platform", "amount"]),
)
@property_settings(25)
def test_a_query_equals_its_metrics_asked_one_by_one_on_rollups(
    rollup_service, raw_service, metrics, grain, dims, filtered
):
    if filtered == "amount" and {"visitors", "conversion"} & set(metrics):
        return  # sessions have no amount: refused, tested elsewhere
    filters = {
        "region": (DimensionFilter("region", "in", ("north",)),),
        "platform": (DimensionFilter("platform", "in", ("ios", "web")),),
    }.get(filtered or "", ())
    where = ("amount >= 50",) if filtered == "amount" else ()
    query = MetricQuery(
        tuple(metrics),
        grain=grain,
        start=date(2025, 11, 20),
        end=date(2025, 12, 31),
        dimensions=dims,
        filters=filters,
        where=where,
    )
    keys = ["period", *dims]
    together = _comparable(rollup_service.query(query).frame.drop(columns="is_partial"), keys, dims)
    # One by one, a count or sum is missing (not 0) in a row only another metric has: the
    # service fills 0 for it in whole missing rows only; fused (raw or rollups), it is 0.
    one_by_one = alone(rollup_service, query)
    for name in metrics:
        if zero_when_empty(rollup_service.spec.metric(name)):
            one_by_one[name] = one_by_one[name].fillna(0)
    for want in (one_by_one, raw_service.query(query).frame):
        want = _comparable(want, keys, dims)[together.columns]
        pd.testing.assert_frame_equal(together, want, check_dtype=False, rtol=1e-12)


def test_fused_rollup_values_match_pandas(rollup_service, medium_data):
    """orders, revenue, aov, ios_share and avg_amount by month and platform, by hand."""
    query = MetricQuery(
        ("orders", "revenue", "aov", "ios_share", "avg_amount"),
        grain="month",
        start=date(2025, 10, 1),
        end=date(2025, 12, 31),
        dimensions=("platform",),
    )
    got = rollup_service.query(query)
    assert len(set(got.sql.values())) == 1  # the shape under test: one statement
    o = medium_data.orders.copy()
    day = local_day(o["ordered_at"])  # the spec's local day of each order
    o = o[(day >= pd.Timestamp("2025-10-01")) & (day < pd.Timestamp("2026-01-01"))]
    o["period"] = day[o.index].dt.to_period("M").dt.start_time.dt.date
    o["platform"] = o["platform"].fillna("<NULL>")
    o["amount"] = o["amount"].astype(float)
    paid = o[o["status"] == "paid"]
    g = ["period", "platform"]
    want = pd.DataFrame(
        {
            "orders": paid.groupby(g)["order_id"].count(),
            "revenue": paid.groupby(g)["amount"].sum(),
            "avg_amount": o.groupby(g)["amount"].mean(),
        }
    )
    want[["orders", "revenue"]] = want[["orders", "revenue"]].fillna(0)
    want["aov"] = want["revenue"] / want["orders"].where(want["orders"] != 0)
    ios = (want.index.get_level_values("platform") == "ios").astype(float)
    want["ios_share"] = want["orders"] * ios / want["orders"].where(want["orders"] != 0)
    frame = got.frame.assign(platform=got.frame["platform"].fillna("<NULL>"))
    frame = frame.set_index(g)[want.columns].astype(float)
    frame = frame[frame.notna().any(axis=1)]
    pd.testing.assert_frame_equal(
        frame.sort_index(), want.sort_index(), check_dtype=False, check_names=False, rtol=1e-12
    )


def test_a_segment_whose_rows_no_metric_counts_gets_no_row(small_rollup_warehouse, small_spec):
    """2026-01-05 (local): o12 paid on android, o13 refunded on web. The daily rollup has a web
    row (orders 0, revenue NULL); asked alone, orders and revenue have no web row: nor fused."""
    svc = MetricService(small_rollup_warehouse, small_spec, clock=lambda: NOW)
    day = date(2026, 1, 5)
    query = MetricQuery(
        ("orders", "revenue"), grain="day", start=day, end=day, dimensions=("platform",)
    )
    got = svc.query(query)
    assert got.sql["orders"] == got.sql["revenue"] and '"rollup"' in got.sql["orders"]
    rows = got.frame[["platform", "orders", "revenue"]].to_dict("records")
    assert rows == [{"platform": "android", "orders": 1, "revenue": 40}]
