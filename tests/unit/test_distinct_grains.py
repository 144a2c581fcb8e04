"""Distinct counts and active metrics at quarter, year and `all` grain, and by two dimensions, on
the rollups: which source the plan picks (quarter and year results are materialized; breakdowns
and filters by the customer's own dimensions sum segment counts; `all` and other pairs of
dimensions read the entity-day rows) and the numbers, against pandas written by hand.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pandas as pd
import pytest

from metric_layer.query import DimensionFilter, MetricQuery
from metric_layer.rollups import AMBIGUOUS, Declined
from tests.conftest import TODAY, build_rollup_warehouse, make_service
from tests.unit.test_metric_values import local_day

START, END = date(2025, 1, 1), date(2026, 1, 7)  # every quarter of the medium data, and today's


@pytest.fixture(scope="module")
def service(medium_rollup_warehouse, small_spec):
    return make_service(medium_rollup_warehouse, small_spec, use_rollups=True)


@pytest.fixture(scope="module")
def paid(medium_data) -> pd.DataFrame:
    """Paid orders with their customer's channel and their local day."""
    o = medium_data.orders
    o = o[o["status"] == "paid"].merge(
        medium_data.customers[["customer_id", "channel", "region"]], on="customer_id", how="left"
    )
    return o.assign(day=local_day(o["ordered_at"]))


def by_hand(frame: pd.DataFrame, freq: str, dims: list[str], since: date = START) -> pd.DataFrame:
    """Distinct customers per period (pandas Period start) and dims, from START: a quarter or
    year query covers its periods whole, so the current one runs to the data's last day."""
    f = frame[frame["day"] >= pd.Timestamp(since)]
    f = f.assign(period=f["day"].dt.to_period(freq).dt.start_time.dt.date)
    return (
        f.groupby(["period", *dims], dropna=False)["customer_id"]
        .nunique()
        .rename("value")
        .reset_index()
    )


def got(service, metric: str, grain: str, dims=(), start=START, end=END) -> pd.DataFrame:
    q = MetricQuery((metric,), grain=grain, start=start, end=end, dimensions=dims)
    frame = service.query(q).frame
    frame = frame[frame[metric] != 0]  # empty periods are filled with 0; pandas has no row
    return frame[["period", *dims, metric]].rename(columns={metric: "value"})


def same(a: pd.DataFrame, b: pd.DataFrame, keys: list[str]) -> None:
    a, b = (x.sort_values(keys).reset_index(drop=True) for x in (a, b))
    pd.testing.assert_frame_equal(a, b, check_dtype=False)


@pytest.mark.parametrize(("grain", "freq"), [("quarter", "Q"), ("year", "Y")])
@pytest.mark.parametrize("dims", [(), ("channel",)])
def test_buyers_per_quarter_and_year_come_from_kept_results(service, paid, grain, freq, dims):
    table = f"rollup.m__buyers__{grain}__{dims[0] if dims else 'total'}"
    q = MetricQuery(("buyers",), grain=grain, start=START, end=END, dimensions=dims)
    assert service.plan("buyers", q).sources == f"buyers ← materialized result ({table})"
    same(got(service, "buyers", grain, dims), by_hand(paid, freq, list(dims)), ["period", *dims])


@pytest.mark.parametrize(("grain", "freq"), [("week", "W-SUN"), ("month", "M"), ("quarter", "Q")])
def test_both_customer_dimensions_sum_segment_counts(service, paid, grain, freq):
    """Channel and region belong to the customer: distinct buyers per (channel, region) add up."""
    dims = ("channel", "region")
    q = MetricQuery(("buyers",), grain=grain, start=START, end=END, dimensions=dims)
    table = f"rollup.s__buyers__{grain}"
    assert service.plan("buyers", q).sources == f"buyers ← segment counts ({table})"
    since = START - timedelta(days=START.weekday()) if grain == "week" else START  # a Monday
    want = by_hand(paid, freq, list(dims), since)
    same(got(service, "buyers", grain, dims), want, ["period", *dims])


@pytest.mark.parametrize(
    "where",
    [
        DimensionFilter("channel", "in", ("ads", "organic")),
        DimensionFilter("channel", "!=", ("ads",)),
        DimensionFilter("region", "=", ("north",)),
    ],
    ids=["in", "not-equal", "equal"],
)
def test_a_filter_on_a_customer_dimension_sums_segment_counts(service, paid, where):
    q = MetricQuery(
        ("buyers",), grain="quarter", start=START, end=END, dimensions=("region",), filters=(where,)
    )
    table = "rollup.s__buyers__quarter"
    assert service.plan("buyers", q).sources == f"buyers ← segment counts ({table})"
    values = paid[where.dimension]
    keep = {
        "in": values.isin(where.values),
        "!=": values.ne(where.values[0]),  # "not ads" keeps customers without a channel
        "=": values.eq(where.values[0]),
    }[where.op]
    frame = service.query(q).frame
    frame = frame[frame["buyers"] != 0][["period", "region", "buyers"]]
    want = by_hand(paid[keep], "Q", ["region"])
    same(frame.rename(columns={"buyers": "value"}), want, ["period", "region"])


def test_two_dimensions_read_the_entity_day_rows(service, paid, medium_data):
    dims = ("channel", "platform")
    q = MetricQuery(("buyers",), grain="quarter", start=START, end=END, dimensions=dims)
    route = service.plan("buyers", q)
    assert route.sources == "buyers ← entity-day rows (rollup.buyers__entity_days)"
    assert route.source == "rollups"
    same(got(service, "buyers", "quarter", dims), by_hand(paid, "Q", list(dims)), ["period", *dims])


def test_grain_all_reads_the_entity_day_rows_for_any_range(service, paid):
    lo, hi = date(2025, 3, 17), date(2025, 8, 2)  # no period boundary: no result could be kept
    q = MetricQuery(("buyers",), grain="all", start=lo, end=hi)
    assert service.plan("buyers", q).sources.startswith("buyers ← entity-day rows")
    inside = paid[(paid["day"] >= pd.Timestamp(lo)) & (paid["day"] <= pd.Timestamp(hi))]
    assert got(service, "buyers", "all", start=lo, end=hi)["value"].tolist() == [
        inside["customer_id"].nunique()
    ]


@pytest.mark.parametrize("grain", ["quarter", "year"])
def test_wau_per_quarter_and_year_is_the_last_day_so_far(service, medium_data, grain):
    """A period's WAU is the distinct visitors of the 7 days ending on its last day (today for
    the current one), from the kept results."""
    q = MetricQuery(("wau",), grain=grain, start=START, end=END)
    assert (
        service.plan("wau", q).sources
        == f"wau ← materialized result (rollup.m__wau__{grain}__total)"
    )
    s = medium_data.sessions
    s = s[s["customer_id"].notna()].assign(day=local_day(s["started_at"]))
    freq = {"quarter": "Q", "year": "Y"}[grain]
    want = []
    for period in pd.period_range(START, END, freq=freq):
        last = min(period.end_time.normalize(), pd.Timestamp(TODAY))
        days = s[(s["day"] > last - timedelta(days=7)) & (s["day"] <= last)]
        want.append((period.start_time.date(), days["customer_id"].nunique()))
    frame = got(service, "wau", grain)
    assert list(zip(frame["period"], frame["value"], strict=True)) == want


def test_a_customer_listed_twice_with_two_channels_keeps_segment_counts_out(
    medium_data, small_spec
):
    """A duplicated customer key puts one buyer in two channels: summed segment counts would count
    them twice in a region's total. The build drops those tables and the plan says why; the
    numbers come from the entity-day rows, as the raw path gives them (the join duplicates rows)."""
    c = medium_data.customers
    buyer = medium_data.orders.loc[medium_data.orders["status"] == "paid", "customer_id"].iloc[0]
    twin = c[c["customer_id"] == buyer].assign(channel="twin-channel")
    data = replace(medium_data, customers=pd.concat([c, twin], ignore_index=True))
    service = make_service(build_rollup_warehouse(data, small_spec), small_spec, use_rollups=True)
    q = MetricQuery(("buyers",), grain="quarter", start=START, end=END, dimensions=("region",))
    q = replace(q, filters=(DimensionFilter("channel", "!=", ("email",)),))
    route = service.plan("buyers", q)
    assert route.sources == "buyers ← entity-day rows (rollup.buyers__entity_days)"
    planner = service.rollup_planner
    w = service.query_plan(q).window
    why = planner.segments_for("buyers", w, ["region"], list(q.filters), None)
    assert why == Declined(f"{AMBIGUOUS} (channel, region)")
    o = data.orders[data.orders["status"] == "paid"].merge(
        data.customers[["customer_id", "channel", "region"]], on="customer_id", how="left"
    )
    o = o[o["channel"].ne("email")].assign(day=local_day(o["ordered_at"]))
    frame = service.query(q).frame
    frame = frame[frame["buyers"] != 0][["period", "region", "buyers"]]
    want = by_hand(o, "Q", ["region"])
    same(frame.rename(columns={"buyers": "value"}), want, ["period", "region"])
