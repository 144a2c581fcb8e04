"""Derived metrics with shifted inputs (previous, last_year, offset) in their daily rollup table's
one statement (rollup_shifted.py): one statement with the query's other metrics of that table, values
equal to pandas by hand and to the raw path (each metric's own SQL), and the shifts that do not map
periods one to one keep their own statement."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from metric_layer.loader import load_spec, parse_spec
from metric_layer.query import DimensionFilter, MetricQuery
from metric_layer.service import MetricService
from tests.conftest import NOW, SPEC_PATH, build_rollup_warehouse, property_settings
from tests.unit.test_metric_values import local_day

EXTRA = """\
  - {name: revenue_change, type: derived, formula: "revenue - previous(revenue)"}
  - {name: orders_vs_week_ago, type: derived, formula: "orders - offset(orders, 7 days)"}
  - {name: paid_mix_shift, type: derived, formula: "orders / previous(orders) - revenue / previous(revenue)"}
  - {name: revenue_change_hundreds, type: derived, formula: "(revenue - previous(revenue)) / 100"}
  - {name: orders_swing, type: derived, formula: "-(orders - offset(orders, 7 days)) * 2 / offset(orders, 7 days) + 1.5"}
"""
SHIFTED = [
    "revenue_growth",
    "revenue_change",
    "orders_vs_week_ago",
    "paid_mix_shift",
    "revenue_yoy",
    "revenue_change_hundreds",
    "orders_swing",
]


@pytest.fixture(scope="module")
def spec(tmp_path_factory, medium_warehouse):
    text = SPEC_PATH.read_text(encoding="utf-8").replace("north_star:", EXTRA + "north_star:", 1)
    path = Path(tmp_path_factory.mktemp("spec")) / "metrics.yml"
    path.write_text(text, encoding="utf-8")
    return load_spec(path, medium_warehouse.table_columns())


@pytest.fixture(scope="module")
def rolled(medium_rollup_warehouse, spec) -> MetricService:
    svc = MetricService(medium_rollup_warehouse, spec, clock=lambda: NOW)
    assert svc.rollup_planner is not None
    return svc


@pytest.fixture(scope="module")
def raw(medium_warehouse, spec) -> MetricService:
    return MetricService(medium_warehouse, spec, clock=lambda: NOW, use_rollups=False)


def paid_by(data, grain: str, dims: list[str]) -> pd.DataFrame:
    """orders and revenue of paid orders per (period, dims), by the spec's local day; a group
    has revenue only where some amount is known (SUM over no value is no value)."""
    o = data.orders[data.orders["status"] == "paid"].copy()
    day = local_day(o["ordered_at"])
    o["period"] = (day.dt.to_period("W-SUN").dt.start_time if grain == "week" else day).dt.date
    for d in dims:
        o[d] = o[d].fillna("<NULL>")
    o["amount"] = o["amount"].astype(float)
    g = o.groupby(["period", *dims])
    return pd.DataFrame({"orders": g["order_id"].count(), "revenue": g["amount"].sum(min_count=1)})


def shifted_values(paid: pd.DataFrame, step: timedelta, dims, periods) -> pd.DataFrame:
    """Each (period, dims) of the periods with the period `step` back; rows where either has
    paid orders, every input 0 where its period has none."""
    back = paid.reset_index()
    back["period"] = back["period"] + step
    both = paid.reset_index().merge(back, on=["period", *dims], how="outer", suffixes=("", "_prev"))
    both = both[both["period"].isin(periods)]
    return both.fillna({"orders": 0, "orders_prev": 0}).set_index(["period", *dims])


def _grid(frame: pd.DataFrame, dims) -> pd.DataFrame:
    frame = frame.copy()
    for d in dims:
        frame[d] = frame[d].fillna("<NULL>")
    return frame.set_index(["period", *dims])


def test_growth_shares_its_inputs_scan_and_equals_pandas(rolled, medium_data):
    query = MetricQuery(
        ("orders", "revenue", "revenue_growth", "revenue_change", "paid_mix_shift"),
        grain="week",
        start=date(2025, 9, 29),
        end=date(2025, 12, 28),
        dimensions=("platform",),
    )
    got = rolled.query(query)
    assert len(set(got.sql.values())) == 1  # one statement for all five
    sql = got.sql["revenue_growth"]
    # one table: its rows of the range and of the range a week back, stacked (one read each)
    assert sql.count('FROM "rollup".') == 2 and '"raw"' not in sql
    lines = rolled.query_plan(query).describe()
    assert len(lines) == 1 and lines[0].startswith(
        "orders, revenue, revenue_growth, revenue_change, paid_mix_shift: one scan of daily rollup"
    )

    want = weekly_shifts_by_platform(medium_data)
    assert_shifted(got.frame, want[["revenue_growth", "revenue_change", "paid_mix_shift"]])
    rest = _grid(got.frame, ["platform"]).drop(index=want.index)
    assert (rest["revenue"] == 0).all()


def test_growth_alone_reads_its_table_once_and_equals_pandas(rolled, medium_data):
    """Formulas that divide (growth, mix shift) are computed from their inputs' columns after
    one grouped read of the table over both weeks' days (frame_shifted.py), not stacked."""
    query = MetricQuery(
        ("orders", "revenue_growth", "paid_mix_shift", "revenue_change_hundreds"),
        grain="week",
        start=date(2025, 9, 29),
        end=date(2025, 12, 28),
        dimensions=("platform",),
    )
    got = rolled.query(query)
    sql = got.sql["revenue_growth"]
    assert len(set(got.sql.values())) == 1 and sql.count('FROM "rollup".') == 1
    assert "ns__leaf" in sql and "ns__part" not in sql

    want = weekly_shifts_by_platform(medium_data)
    assert_shifted(got.frame, want[["revenue_growth", "paid_mix_shift", "revenue_change_hundreds"]])


def weekly_shifts_by_platform(data) -> pd.DataFrame:
    """The shifted formulas by week × platform, 29 Sep – 28 Dec 2025, by hand: each on every
    key where one of its inputs had a row (its period's or the week before's)."""
    periods = [date(2025, 9, 29) + timedelta(weeks=i) for i in range(13)]
    v = shifted_values(
        paid_by(data, "week", ["platform"]), timedelta(weeks=1), ["platform"], periods
    )
    rev, prev = v["revenue"].fillna(0), v["revenue_prev"].fillna(0)
    has_revenue = v["revenue"].notna() | v["revenue_prev"].notna()
    want = pd.DataFrame(index=v.index)
    want["revenue_growth"] = ((rev - prev) / prev.where(prev != 0)).where(has_revenue)
    want["revenue_change"] = (rev - prev).where(has_revenue)
    want["revenue_change_hundreds"] = ((rev - prev) / 100).where(has_revenue)
    o, o_prev = v["orders"], v["orders_prev"]
    mix = o / o_prev.where(o_prev != 0) - rev / prev.where(prev != 0)
    want["paid_mix_shift"] = mix.where(has_revenue | (o > 0) | (o_prev > 0))
    return want


def assert_shifted(got: pd.DataFrame, want: pd.DataFrame) -> None:
    """`want`'s values on its keys; elsewhere no value for them and 0 orders."""
    frame = _grid(got, ["platform"])
    assert set(want.index) <= set(frame.index)  # every key the shifted inputs give has a row
    rest = frame.drop(index=want.index)
    assert rest[list(want.columns)].isna().all().all() and (rest["orders"] == 0).all()
    pd.testing.assert_frame_equal(
        frame.loc[want.index, want.columns].astype(float), want, check_names=False, rtol=1e-12
    )


def test_a_segment_with_sales_only_the_period_before_falls_100_percent(rolled, medium_data):
    """By day and platform: a platform with paid orders on the day before the range and none
    on its first day gets a row there, revenue 0 and growth −100 % (as its own statement)."""
    paid = paid_by(medium_data, "day", ["platform"]).reset_index()
    seen = paid.groupby("period")["platform"].apply(set)
    days = sorted(seen.index)
    pick = next(
        (d, (seen[d] - seen.get(d + timedelta(days=1), set())))
        for d in days
        if seen[d] - seen.get(d + timedelta(days=1), set())
    )
    day, gone = pick[0] + timedelta(days=1), sorted(pick[1])[0]
    query = MetricQuery(
        ("revenue", "revenue_growth"), grain="day", start=day, end=day, dimensions=("platform",)
    )
    frame = _grid(rolled.query(query).frame, ["platform"])
    row = frame.loc[(day, gone)]
    assert row["revenue"] == 0 and row["revenue_growth"] == -1


def test_offset_by_days_at_day_grain_equals_pandas(rolled, medium_data):
    start, end = date(2025, 11, 1), date(2025, 12, 31)
    query = MetricQuery(("orders", "orders_vs_week_ago"), grain="day", start=start, end=end)
    got = rolled.query(query)
    assert got.sql["orders"] == got.sql["orders_vs_week_ago"]
    periods = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    counts = paid_by(medium_data, "day", [])["orders"]
    counts.index = counts.index.get_level_values("period")
    now = counts.reindex(periods)
    before = counts.reindex([p - timedelta(days=7) for p in periods]).to_numpy()
    want = (now.fillna(0) - np.nan_to_num(before)).where(now.notna() | ~np.isnan(before))
    frame = got.frame.set_index("period")
    pd.testing.assert_series_equal(
        frame["orders_vs_week_ago"].astype(float), want.astype(float), check_names=False
    )


def test_a_day_a_year_back_keeps_its_own_statement(rolled):
    """29 February and 1 March 2024 both move to 1 March 2025 a year on: not one to one."""
    # (planned statements: a query without breakdown then runs them side by side as one)
    day = MetricQuery(("revenue", "revenue_yoy"), grain="day", start=date(2025, 12, 1))
    assert [s.metrics for s in rolled.query_plan(day).statements] == [
        ("revenue",),
        ("revenue_yoy",),
    ]
    month = MetricQuery(("revenue", "revenue_yoy"), grain="month", start=date(2025, 6, 1))
    assert [s.metrics for s in rolled.query_plan(month).statements] == [("revenue", "revenue_yoy")]


@given(
    metrics=st.lists(
        st.sampled_from(["orders", "revenue", "aov", "avg_amount", "ios_share", *SHIFTED]),
        min_size=1,
        max_size=4,
        unique=True,
    ),
    grain=st.sampled_from(["day", "week", "month", "quarter", "year"]),
    dims=st.sampled_from([(), ("platform",), ("channel", "platform")]),
    filtered=st.booleans(),
    start=st.dates(date(2024, 10, 1), date(2026, 2, 1)),
    days=st.integers(0, 200),
)
@property_settings(30)
def test_shifted_metrics_on_rollups_equal_the_raw_path(
    rolled, raw, metrics, grain, dims, filtered, start, days
):
    """Any range (before the first order, across it, after the last), breakdown and filter."""
    if grain not in ("day", "week"):  # an offset of 7 days: refused
        week_ago = ("orders_vs_week_ago", "orders_swing")
        metrics = [m for m in metrics if m not in week_ago] or ["orders"]
    filters = (DimensionFilter("region", "in", ("north",)),) if filtered else ()
    query = MetricQuery(
        tuple(metrics),
        grain=grain,
        start=start,
        end=start + timedelta(days=days),
        dimensions=dims,
        filters=filters,
    )
    keys = ["period", *dims]
    got, want = (
        _grid(svc.query(query).frame, dims).sort_index()[list(metrics)] for svc in (rolled, raw)
    )
    pd.testing.assert_frame_equal(got.astype(float), want.astype(float), rtol=1e-12)
    assert keys == list(got.index.names)


def test_growth_of_two_models_in_one_trend(medium_data):
    """Revenue growth (orders' table) and session growth (sessions' table), no breakdown: each
    is computed from its own table's rows, the week before the range included (joined into one
    statement, one part's rows of that week would be cut before the other is computed, and both
    parts' leaf columns would share a name)."""
    text = SPEC_PATH.read_text(encoding="utf-8").replace(
        "north_star:",
        "  - {name: sessions_started, type: simple, model: sessions, agg: count}\n"
        '  - {name: session_growth, type: derived, formula: "sessions_started / '
        'previous(sessions_started) - 1"}\nnorth_star:',
        1,
    )
    both = parse_spec(text)
    wh = build_rollup_warehouse(medium_data, both)
    try:
        svc = MetricService(wh, both, clock=lambda: NOW)
        start = date(2025, 9, 29)
        query = MetricQuery(
            ("revenue_growth", "session_growth"), grain="week", start=start, end=date(2025, 12, 28)
        )
        got = svc.query(query).frame.set_index("period")
        periods = [start + timedelta(weeks=i) for i in range(-1, 13)]

        def weekly(frame: pd.DataFrame, column: str) -> pd.Series:
            week = local_day(frame[column]).dt.to_period("W-SUN").dt.start_time.dt.date
            return frame.groupby(week).size().reindex(periods, fill_value=0)

        s = weekly(medium_data.sessions, "started_at").astype(float)
        o = medium_data.orders[medium_data.orders["status"] == "paid"]
        r = o.groupby(local_day(o["ordered_at"]).dt.to_period("W-SUN").dt.start_time.dt.date)[
            "amount"
        ].sum(min_count=1)
        r = r.astype(float).reindex(periods).fillna(0)
        want_sessions = (s / s.shift(1).where(s.shift(1) != 0) - 1).iloc[1:]
        want_revenue = ((r - r.shift(1)) / r.shift(1).where(r.shift(1) != 0)).iloc[1:]
        np.testing.assert_allclose(got["session_growth"].astype(float), want_sessions, rtol=1e-12)
        np.testing.assert_allclose(got["revenue_growth"].astype(float), want_revenue, rtol=1e-12)
    finally:
        wh.close()
