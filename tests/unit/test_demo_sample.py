"""The shipped metrics.yml on a small sample of the demo business, checked against pandas.

The expected numbers are computed here from the generated Parquet files with pandas written for the
test, never from the metric layer's own output; both the rollup path and the raw path must match.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cli.demo_commands import build_demo
from metric_layer.loader import load_spec
from metric_layer.query import DimensionFilter, MetricQuery
from metric_layer.service import MetricService
from settings import Settings
from tests.conftest import property_settings
from warehouse import Warehouse

ROOT = Path(__file__).resolve().parents[2]
END = date(2026, 6, 30)
TZ = "Asia/Shanghai"
pytestmark = pytest.mark.xdist_group("demo_sample")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    settings = Settings(
        metrics=ROOT / "metrics.yml",
        sources=ROOT / "sources.yml",
        warehouse=folder / "warehouse.duckdb",
        serving_dir=folder / "serving",
    )
    build_demo(settings, orders=20_000, end=END, seed=11)
    wh = Warehouse(settings.warehouse, read_only=True)
    spec = load_spec(settings.metrics, wh.table_columns())
    clock = lambda: datetime(2026, 7, 1, 9)  # noqa: E731
    services = {
        "rollups": MetricService(wh, spec, clock=clock),
        "raw": MetricService(wh, spec, clock=clock, use_rollups=False),
    }
    assert services["rollups"]._planner is not None, "demo build must leave usable rollups"
    source = folder / "source"
    frames = {
        t: pd.read_parquet(source / t)
        for t in ("customers", "sessions", "orders", "refunds", "marketing_spend", "subscriptions")
    }
    yield services, frames
    wh.close()


def local_day(ts: pd.Series) -> pd.Series:
    return (
        pd.to_datetime(ts)
        .dt.tz_localize("UTC")
        .dt.tz_convert(TZ)
        .dt.tz_localize(None)
        .dt.normalize()
    )


def week_start(day: pd.Series) -> pd.Series:
    return day - pd.to_timedelta(day.dt.day_of_week, unit="D")


START, STOP = date(2026, 3, 2), date(2026, 6, 28)  # whole ISO weeks (Mon..Sun)


def weekly(frame: pd.DataFrame, time_col: str) -> pd.DataFrame:
    out = frame.assign(day=local_day(frame[time_col]))
    out = out[(out.day >= pd.Timestamp(START)) & (out.day <= pd.Timestamp(STOP))]
    return out.assign(period=week_start(out.day).dt.date)


def service_series(svc: MetricService, metric: str, dims=(), filters=()) -> pd.Series:
    frame = svc.query(
        MetricQuery(
            (metric,), grain="week", start=START, end=STOP, dimensions=dims, filters=filters
        )
    ).frame
    return frame.set_index(["period", *dims])[metric]


@pytest.mark.parametrize("path", ["rollups", "raw"])
def test_weekly_commerce_metrics_match_pandas(demo, path):
    services, t = demo
    svc = services[path]
    orders = weekly(t["orders"], "ordered_at")
    paid = orders[orders.status == "paid"]
    sessions = weekly(t["sessions"], "started_at")
    expected = {
        "paid_orders": paid.groupby("period").size(),
        "revenue": paid.groupby("period").amount.sum(),
        "active_buyers": paid.groupby("period").customer_id.nunique(),
        "aov": paid.groupby("period").amount.sum() / paid.groupby("period").size(),
        "conversion_rate": paid.groupby("period").customer_id.nunique()
        / sessions.groupby("period").customer_id.nunique(),
        "new_buyers": paid[paid.customer_order_number == 1].groupby("period").customer_id.nunique(),
    }
    for metric, exp in expected.items():
        got = service_series(svc, metric)
        pd.testing.assert_series_equal(
            got.sort_index().astype(float),
            exp.sort_index().astype(float),
            check_names=False,
            check_index_type=False,
            rtol=1e-9,
        )
        counts = ("paid_orders", "active_buyers", "new_buyers")
        assert (str(got.dtype) == "Int64") == (metric in counts), (metric, got.dtype)


@pytest.mark.parametrize("path", ["rollups", "raw"])
def test_breakdown_by_joined_dimension_and_filter(demo, path):
    services, t = demo
    svc = services[path]
    orders = weekly(t["orders"], "ordered_at").merge(
        t["customers"][["customer_id", "channel", "region"]], on="customer_id"
    )
    paid = orders[(orders.status == "paid") & (orders.platform == "ios")]
    exp = paid.groupby(["period", "channel"]).amount.sum()
    got = service_series(
        svc, "revenue", ("channel",), (DimensionFilter("platform", "=", ("ios",)),)
    )
    pd.testing.assert_series_equal(got.sort_index(), exp.sort_index(), check_names=False, rtol=1e-9)
    customers = t["customers"].assign(day=local_day(t["customers"].signed_up_at))
    customers = customers[
        (customers.day >= pd.Timestamp(START)) & (customers.day <= pd.Timestamp(STOP))
    ]
    spend = t["marketing_spend"].assign(day=pd.to_datetime(t["marketing_spend"]["day"]))
    spend = spend[(spend.day >= pd.Timestamp(START)) & (spend.day <= pd.Timestamp(STOP))]
    spend = (
        spend.assign(period=week_start(spend.day).dt.date)
        .groupby(["period", "channel"])
        .spend.sum()
    )
    signups = (
        customers.assign(period=week_start(customers.day).dt.date)
        .groupby(["period", "channel"])
        .size()
    )
    # Organic has no spend rows: no rows is zero spend, so its CAC is 0, not unknown.
    cac = (spend.reindex(signups.index, fill_value=0.0) / signups).dropna()
    got = service_series(svc, "cac", ("channel",)).dropna()
    pd.testing.assert_series_equal(got.sort_index(), cac.sort_index(), check_names=False, rtol=1e-9)


@pytest.mark.parametrize("path", ["rollups", "raw"])
def test_mau_at_day_grain_is_trailing_30_days(demo, path):
    services, t = demo
    svc = services[path]
    days = [date(2026, 5, 1), date(2026, 6, 15), date(2026, 6, 30)]
    sessions = t["sessions"].assign(day=local_day(t["sessions"].started_at))
    frame = svc.query(
        MetricQuery(("mau", "dau"), grain="day", start=days[0], end=days[-1])
    ).frame.set_index("period")
    for day in days:
        window = sessions[
            (sessions.day > pd.Timestamp(day - timedelta(days=30)))
            & (sessions.day <= pd.Timestamp(day))
        ]
        assert frame.loc[day, "mau"] == window.customer_id.nunique()
        assert (
            frame.loc[day, "dau"]
            == sessions[sessions.day == pd.Timestamp(day)].customer_id.nunique()
        )


@pytest.mark.parametrize("path", ["rollups", "raw"])
def test_d7_retention_by_signup_week(demo, path):
    services, t = demo
    svc = services[path]
    customers = t["customers"].assign(cohort=local_day(t["customers"].signed_up_at))
    sessions = (
        t["sessions"]
        .assign(day=local_day(t["sessions"].started_at))[["customer_id", "day"]]
        .drop_duplicates()
    )
    c = customers[
        (customers.cohort >= pd.Timestamp(START)) & (customers.cohort <= pd.Timestamp(STOP))
    ]
    hit = c.merge(sessions, on="customer_id")
    hit = hit[hit.day == hit.cohort + pd.Timedelta(days=7)][["customer_id"]].drop_duplicates()
    c = c.assign(retained=c.customer_id.isin(hit.customer_id), period=week_start(c.cohort).dt.date)
    mature = c[c.cohort + pd.Timedelta(days=7) < pd.Timestamp(date(2026, 7, 1))]
    exp = mature.groupby("period").retained.mean()
    got = service_series(svc, "d7_retention").dropna()
    pd.testing.assert_series_equal(got.sort_index(), exp.sort_index(), check_names=False, rtol=1e-9)


@pytest.mark.parametrize("path", ["rollups", "raw"])
def test_mrr_subscribers_and_running_totals_by_month(demo, path):
    """MRR and subscribers are read on each month's last snapshot day (never summed over days);
    revenue year-to-date and paid orders in the last 28 days on its last day."""
    services, t = demo
    svc = services[path]
    subs = t["subscriptions"].assign(day=pd.to_datetime(t["subscriptions"]["day"]))
    months = pd.period_range("2026-03", "2026-06", freq="M")
    last_days = {
        m.start_time.date(): subs[subs.day.dt.to_period("M") == m].day.max() for m in months
    }
    frame = svc.query(
        MetricQuery(
            ("mrr", "subscribers", "revenue_ytd", "paid_orders_28d"),
            grain="month",
            start=START,
            end=STOP,
            dimensions=(),
        )
    ).frame.set_index("period")
    orders = t["orders"].assign(day=local_day(t["orders"].ordered_at))
    paid = orders[orders.status == "paid"]
    for month, day in last_days.items():
        on_day = subs[subs.day == day]
        assert frame.loc[month, "mrr"] == pytest.approx(on_day.mrr.sum(), rel=1e-12)
        assert frame.loc[month, "subscribers"] == on_day.subscribers.sum()
        ytd = paid[(paid.day >= pd.Timestamp("2026-01-01")) & (paid.day <= day)].amount.sum()
        assert frame.loc[month, "revenue_ytd"] == pytest.approx(ytd, rel=1e-9)
        window = paid[(paid.day > day - pd.Timedelta(days=28)) & (paid.day <= day)]
        assert frame.loc[month, "paid_orders_28d"] == len(window)
    by_plan = service_series(svc, "mrr", ("plan",))  # weeks: each on its last snapshot day
    weeks = subs.assign(period=week_start(subs.day).dt.date)
    weeks = weeks[(weeks.period >= START) & (weeks.period <= STOP)]
    on_last = weeks[weeks.day == weeks.groupby("period").day.transform("max")]
    want = on_last.groupby(["period", "plan"]).mrr.sum()
    pd.testing.assert_series_equal(
        by_plan.sort_index(), want.sort_index(), check_names=False, rtol=1e-12
    )


@st.composite
def demo_queries(draw, spec, sem) -> MetricQuery:
    """Any metric, grain, range (before, across and after the data), breakdown and as-of day."""
    metric = draw(st.sampled_from(spec.metric_names))
    days = st.dates(min_value=date(2025, 6, 1), max_value=END + timedelta(days=60))
    a, b = draw(days), draw(days)
    grain = draw(st.sampled_from(["day", "week", "month", "quarter"]))
    start, end = min(a, b), max(a, b)
    if grain == "day":
        end = min(end, start + timedelta(days=120))  # keep day-grain answers small
    dims = sorted(d for d in sem.dimensions_of_metric(metric) if "." not in d)
    by = (draw(st.sampled_from(dims)),) if dims and draw(st.booleans()) else ()
    as_of = draw(st.sampled_from([None, None, END, END + timedelta(days=9), date(2026, 3, 1)]))
    return MetricQuery((metric,), grain=grain, start=start, end=end, dimensions=by, as_of=as_of)


@property_settings(40)
@given(data=st.data())
def test_every_metric_same_on_rollups_and_raw(demo, data):
    """The shipped metrics.yml: rollups and raw tables give equal frames for any query."""
    services, _ = demo
    raw, fast = services["raw"], services["rollups"]
    query = data.draw(demo_queries(raw.spec, raw.semantics))
    pd.testing.assert_frame_equal(
        fast.query(query).frame, raw.query(query).frame, rtol=1e-9, obj=repr(query)
    )


def test_rollups_stay_exact_when_the_clock_passes_the_build_day(demo):
    """Days after the build: distinct counts still come from rollups, rolling windows fall back."""
    services, _ = demo
    wh, spec = services["raw"].warehouse, services["raw"].spec
    later = lambda: datetime(2026, 7, 9, 9)  # noqa: E731
    fast = MetricService(wh, spec, clock=later)
    raw = MetricService(wh, spec, clock=later, use_rollups=False)
    assert fast._planner is not None and fast._planner.built_for != fast.today()
    for metric in ("active_buyers", "visitors", "conversion_rate", "mau", "dau"):
        for dims in ((), ("channel",)):
            q = MetricQuery(
                (metric,), grain="week", start=START, end=date(2026, 7, 12), dimensions=dims
            )
            pd.testing.assert_frame_equal(fast.query(q).frame, raw.query(q).frame, rtol=1e-9)
    assert "rollup" in fast.sql("active_buyers", MetricQuery(("active_buyers",), grain="week"))
