"""Grain `all` (one row over exactly [start, end]) and offsets (`offset(m, 7 days)`, compare by
any step) against pandas written out here, on the raw and the rollup path.

The reference only reads the Reference's prepared frames (local days in Shanghai, joined customer
attributes); every metric is computed by hand from docs/metrics-yml.md.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from metric_layer.errors import QueryError
from metric_layer.loader import parse_spec
from metric_layer.query import DimensionFilter, MetricQuery
from tests.conftest import SPEC_PATH, make_service
from tests.unit.test_metric_values import Reference

# Not aligned to any grain, across a month and a year boundary.
START, END = date(2025, 11, 19), date(2026, 1, 3)
DIMS = [(), ("channel",), ("platform",)]


@pytest.fixture(scope="module")
def ref(medium_data) -> Reference:
    return Reference(medium_data.customers, medium_data.orders, medium_data.sessions)


def days(frame: pd.DataFrame, lo: date, hi: date) -> pd.DataFrame:
    """Rows whose local day is in [lo, hi] (inclusive days)."""
    return frame[(frame["day"] >= pd.Timestamp(lo)) & (frame["day"] <= pd.Timestamp(hi))]


def by(frame: pd.DataFrame, dims: tuple[str, ...], column: str, how: str) -> pd.Series:
    if not dims:
        return pd.Series({(): getattr(frame[column], how)()})
    return frame.groupby(list(dims), dropna=False)[column].agg(how)


def expected(ref: Reference, name: str, lo: date, hi: date, dims: tuple[str, ...]) -> pd.Series:
    """The metric over the days lo..hi as one period, per segment (index: dims, or ())."""
    o = days(ref.orders, lo, hi)
    paid = o[o["status"] == "paid"]
    s = days(ref.sessions, lo, hi)
    if name == "orders":
        return by(paid, dims, "order_id", "count")
    if name == "revenue":
        return by(paid, dims, "amount", "sum")
    if name == "buyers":
        return by(paid, dims, "customer_id", "nunique")
    if name == "visitors":
        return by(s, dims, "customer_id", "nunique")
    if name == "avg_amount":
        return by(o, dims, "amount", "mean")
    if name == "max_amount":
        return by(o, dims, "amount", "max")
    if name == "aov":
        return by(paid, dims, "amount", "sum") / by(paid, dims, "order_id", "count")
    if name == "conversion":
        buyers = by(paid, dims, "customer_id", "nunique")
        visitors = by(s, dims, "customer_id", "nunique")
        return (buyers.reindex(visitors.index).fillna(0) / visitors).astype(float)
    if name == "revenue_per_buyer":
        return by(paid, dims, "amount", "sum") / by(paid, dims, "customer_id", "nunique")
    raise AssertionError(name)


def got(svc, name, lo, hi, dims, **kw) -> pd.DataFrame:
    frame = svc.query(
        MetricQuery((name,), grain="all", start=lo, end=hi, dimensions=dims, **kw)
    ).frame
    assert (frame["period"] == lo).all(), "grain all: one period, starting on the range's day"
    return frame


def as_series(frame: pd.DataFrame, name: str, dims: tuple[str, ...]) -> pd.Series:
    frame = frame.dropna(subset=[name])
    if not dims:
        return pd.Series({(): frame[name].iloc[0]}) if len(frame) else pd.Series(dtype=float)
    return frame.set_index(list(dims))[name]


def assert_same(actual: pd.Series, want: pd.Series) -> None:
    want = want[want.notna() & (want != 0)] if len(want) else want
    actual = actual[actual.notna() & (actual != 0)] if len(actual) else actual
    assert sorted(map(str, actual.index)) == sorted(map(str, want.index))
    a = actual.astype(float).sort_index()
    w = want.astype(float).sort_index()
    np.testing.assert_allclose(a.to_numpy(), w.reindex(a.index).to_numpy(), rtol=1e-9)


NAMES = [
    "orders",
    "revenue",
    "buyers",
    "visitors",
    "avg_amount",
    "max_amount",
    "aov",
    "conversion",
    "revenue_per_buyer",
]


@pytest.mark.parametrize("dims", DIMS, ids=lambda d: "×".join(d) or "total")
@pytest.mark.parametrize("name", NAMES)
def test_total_over_the_range_matches_pandas(medium_service, ref, name, dims):
    frame = got(medium_service, name, START, END, dims)
    assert_same(as_series(frame, name, dims), expected(ref, name, START, END, dims))


def test_distinct_buyers_over_the_range_are_not_a_sum_of_months(medium_service, ref):
    """The point of a total: a buyer of November and December counts once."""
    total = got(medium_service, "buyers", START, END, ())["buyers"].iloc[0]
    paid = days(ref.orders, START, END)
    paid = paid[paid["status"] == "paid"]
    assert total == paid["customer_id"].nunique()
    monthly = medium_service.query(
        MetricQuery(("buyers",), grain="month", start=START, end=END)
    ).frame["buyers"]
    assert total < monthly.sum()


def test_filtered_total_matches_pandas(medium_service, ref):
    filters = (DimensionFilter("channel", "in", ("ads", "email")),)
    frame = got(medium_service, "revenue", START, END, ("platform",), filters=filters)
    o = days(ref.orders, START, END)
    o = o[(o["status"] == "paid") & o["channel"].isin(["ads", "email"])]
    assert_same(as_series(frame, "revenue", ("platform",)), by(o, ("platform",), "amount", "sum"))


def test_active_and_retention_totals_match_pandas(medium_service, ref, medium_data):
    today = medium_data.today
    end = date(2025, 12, 31)
    s = ref.sessions[ref.sessions["customer_id"].notna()]
    # wau over the range: the 7 days ending on the range's last day
    week = days(s, end - timedelta(days=6), end)
    frame = got(medium_service, "wau", START, end, ())
    assert frame["wau"].iloc[0] == week["customer_id"].nunique()
    # dau (period_value: average): the mean of each day's distinct visitors over the range
    span = pd.date_range(START, end, freq="D")
    daily = days(s, START, end).groupby("day")["customer_id"].nunique().reindex(span, fill_value=0)
    frame = got(medium_service, "dau", START, end, ())
    assert frame["dau"].iloc[0] == pytest.approx(daily.mean(), rel=1e-12)
    # d1 retention: customers who signed up in the range (and are mature) back the next day
    cust = ref.customers
    cohort = days(cust, START, end)
    cohort = cohort[cohort["day"] + pd.Timedelta(days=1) < pd.Timestamp(today)]
    seen = set(zip(s["customer_id"], s["day"], strict=True))
    hits = sum(
        (c, d + pd.Timedelta(days=1)) in seen
        for c, d in zip(cohort["customer_id"], cohort["day"], strict=True)
    )
    frame = got(medium_service, "d1_retention", START, end, ())
    assert frame["d1_retention"].iloc[0] == pytest.approx(hits / len(cohort), rel=1e-12)
    assert not frame["is_partial"].iloc[0]


@pytest.mark.parametrize(
    "compare, shift",
    [
        ("previous", lambda d: d - timedelta(days=(END - START).days + 1)),
        ("last_year", lambda d: d.replace(year=d.year - 1)),
        ("7 days", lambda d: d - timedelta(days=7)),
        ("1 month", lambda d: (pd.Timestamp(d) - pd.DateOffset(months=1)).date()),
    ],
)
def test_total_compared_with_an_earlier_range(medium_service, ref, compare, shift):
    frame = got(medium_service, "buyers", START, END, ("channel",), compare=compare)
    now = expected(ref, "buyers", START, END, ("channel",))
    before = expected(ref, "buyers", shift(START), shift(END), ("channel",))
    assert_same(as_series(frame, "buyers", ("channel",)), now)
    assert_same(as_series(frame, "buyers__compare", ("channel",)), before)


def test_a_partial_total_reaches_today(medium_service, medium_data):
    frame = got(medium_service, "orders", START, medium_data.today, ())
    assert frame["is_partial"].tolist() == [True]


# -- offsets ------------------------------------------------------------------------------------
OFFSET_METRICS = """
  - {name: revenue_wow_daily, type: derived, formula: "revenue / offset(revenue, 7 days) - 1"}
  - {name: orders_vs_month, type: derived, formula: "orders - offset(orders, '1 month')"}
"""


@pytest.fixture(scope="module")
def offset_service(medium_warehouse):
    text = SPEC_PATH.read_text(encoding="utf-8").replace(
        "\nnorth_star:", OFFSET_METRICS + "north_star:", 1
    )
    spec = parse_spec(text, "offsets.yml", medium_warehouse.table_columns())
    return make_service(medium_warehouse, spec)


def daily(ref: Reference, column: str, how: str) -> pd.Series:
    paid = ref.orders[ref.orders["status"] == "paid"]
    return paid.groupby("day")[column].agg(how)


def test_offset_in_a_formula_at_day_grain_is_vs_7_days_earlier(offset_service, ref):
    lo, hi = date(2025, 12, 1), date(2025, 12, 31)
    frame = offset_service.query(
        MetricQuery(("revenue_wow_daily",), grain="day", start=lo, end=hi)
    ).frame.set_index("period")["revenue_wow_daily"]
    rev = daily(ref, "amount", "sum")
    span = pd.date_range(lo - timedelta(days=7), hi, freq="D")
    rev = rev.reindex(span, fill_value=0.0)
    want = rev / rev.shift(7).where(rev.shift(7) != 0) - 1
    want = want[want.index >= pd.Timestamp(lo)]
    want.index = want.index.date
    np.testing.assert_allclose(
        frame.astype(float).to_numpy(), want.reindex(frame.index).to_numpy(), rtol=1e-9
    )


def test_offset_in_a_formula_at_month_grain(offset_service, ref):
    frame = offset_service.query(
        MetricQuery(
            ("orders_vs_month",), grain="month", start=date(2025, 4, 1), end=date(2025, 12, 31)
        )
    ).frame.set_index("period")["orders_vs_month"]
    paid = ref.orders[ref.orders["status"] == "paid"]
    monthly = paid.groupby(paid["day"].dt.to_period("M"))["order_id"].count()
    months = pd.period_range("2025-03", "2025-12", freq="M")
    monthly = monthly.reindex(months, fill_value=0)
    want = (monthly - monthly.shift(1)).iloc[1:]
    assert frame.astype(float).tolist() == want.astype(float).tolist()


def test_compare_by_an_offset_at_day_grain(medium_service, ref):
    lo, hi = date(2025, 12, 1), date(2025, 12, 20)
    frame = medium_service.query(
        MetricQuery(("orders",), grain="day", start=lo, end=hi, compare="1 week")
    ).frame.set_index("period")
    counts = daily(ref, "order_id", "count")
    span = pd.date_range(lo - timedelta(days=7), hi, freq="D")
    counts = counts.reindex(span, fill_value=0)
    want = counts.shift(7)[counts.index >= pd.Timestamp(lo)]
    assert frame["orders__compare"].astype(int).tolist() == want.astype(int).tolist()
    assert frame["orders"].astype(int).tolist() == counts[counts.index >= pd.Timestamp(lo)].tolist()


def test_compare_by_a_quarter_at_quarter_grain_is_vs_the_quarter_before(medium_service, ref):
    lo, hi = date(2025, 4, 1), date(2025, 12, 31)
    frame = medium_service.query(
        MetricQuery(("orders",), grain="quarter", start=lo, end=hi, compare="1 quarter")
    ).frame.set_index("period")
    paid = ref.orders[ref.orders["status"] == "paid"]
    quarters = pd.period_range("2025Q1", "2025Q4", freq="Q")
    counts = paid.groupby(paid["day"].dt.to_period("Q"))["order_id"].count()
    counts = counts.reindex(quarters, fill_value=0)
    assert frame.index.tolist() == [date(2025, 4, 1), date(2025, 7, 1), date(2025, 10, 1)]
    assert frame["orders"].astype(int).tolist() == counts.iloc[1:].tolist()
    assert frame["orders__compare"].astype(int).tolist() == counts.iloc[:-1].tolist()


@pytest.mark.parametrize(
    "grain, compare, words",
    [
        ("week", "1 month", "does not move whole week periods"),
        ("day", "1 month", "use days or weeks"),
        ("month", "10 days", "months, quarters or years"),
        ("week", "fortnight", "not a step back in time"),
        ("week", "0 days", "not a step back in time"),
        ("quarter", "1 month", "does not move whole quarter periods"),
        ("quarter", "4 months", "use quarters or years"),
        ("year", "2 quarters", "at year grain use years"),
    ],
)
def test_offsets_that_do_not_fit_the_grain_are_refused(medium_service, grain, compare, words):
    with pytest.raises(QueryError, match=words):
        medium_service.query(
            MetricQuery(("orders",), grain=grain, start=START, end=END, compare=compare)
        )


def test_unknown_grain_is_refused():
    with pytest.raises(
        QueryError, match="grain must be one of day, week, month, quarter, year, all"
    ):
        MetricQuery(("orders",), grain="fortnight")


def test_growth_over_a_total_is_vs_the_same_number_of_days_before(medium_service, ref):
    """previous() at grain `all` reads the range of the same length just before it."""
    length = (END - START).days + 1
    before = (START - timedelta(days=length), START - timedelta(days=1))
    now = expected(ref, "revenue", START, END, ())[()]
    then = expected(ref, "revenue", *before, ())[()]
    frame = got(medium_service, "revenue_growth", START, END, ())
    assert frame["revenue_growth"].iloc[0] == pytest.approx((now - then) / then, rel=1e-9)


def test_totals_read_rollups_where_they_are_exact(request, medium_data, small_spec):
    from metric_layer.service import MetricService

    svc = MetricService(
        request.getfixturevalue("medium_rollup_warehouse"),
        small_spec,
        clock=lambda: pd.Timestamp(medium_data.today).to_pydatetime(),
    )
    for name in ("orders", "revenue", "buyers", "aov", "wau"):
        route = svc.plan(name, MetricQuery((name,), grain="all", start=START, end=END))
        assert route.source == "rollups", (name, route.describe())


def test_active_total_compared_with_the_range_before(medium_service, ref):
    """An active metric's SQL has its own WITH: both ranges must still combine."""
    lo, hi = date(2025, 12, 1), date(2025, 12, 14)
    frame = got(medium_service, "wau", lo, hi, (), compare="previous")
    s = ref.sessions[ref.sessions["customer_id"].notna()]
    now = days(s, hi - timedelta(days=6), hi)["customer_id"].nunique()
    then = days(s, lo - timedelta(days=7), lo - timedelta(days=1))["customer_id"].nunique()
    assert (frame["wau"].iloc[0], frame["wau__compare"].iloc[0]) == (now, then)
