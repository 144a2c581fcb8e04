"""Snapshot (semi-additive) metrics against pandas written here, on a daily subscriptions table.

The table holds one row per live subscription and snapshot day (its plan and MRR), with days the
snapshot job missed (no rows at all) and no snapshot after 2026-01-06. The reference takes each
period's snapshot days from the table's rows (unfiltered), picks the day docs/metrics-yml.md says,
aggregates the (filtered) rows of that day per segment and treats a segment without rows as 0.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from metric_layer.loader import parse_spec
from metric_layer.query import DimensionFilter, MetricQuery
from metric_layer.rollup_build import build_rollups
from tests.conftest import SPEC_PATH, TODAY, build_warehouse, make_service
from tests.unit.test_cumulative_metrics import COMPARISONS, compared_with, periods
from tests.unit.test_metric_values import local_day

MODEL = """
  - name: subscriptions
    table: raw.subscription_days
    primary_key: subscription_id
    time: {column: day, time_zone: local}
    dimensions: [plan]
    joins:
      - {model: customers, foreign_key: customer_id}
"""
METRICS = """
  - {name: mrr, type: snapshot, model: subscriptions, agg: sum, expr: mrr}
  - {name: mrr_first, type: snapshot, model: subscriptions, agg: sum, expr: mrr, period_value: first}
  - {name: mrr_low, type: snapshot, model: subscriptions, agg: sum, expr: mrr, period_value: min}
  - {name: mrr_peak, type: snapshot, model: subscriptions, agg: sum, expr: mrr, period_value: max}
  - {name: seats, type: snapshot, model: subscriptions, agg: sum, expr: seats}
  - {name: subscribers, type: snapshot, model: subscriptions, agg: count}
  - {name: paying_customers, type: snapshot, model: subscriptions, agg: count_distinct, expr: customer_id}
  - {name: avg_mrr, type: snapshot, model: subscriptions, agg: avg, expr: mrr}
  - {name: peak_pro_mrr, type: snapshot, model: subscriptions, agg: max, expr: mrr, filter: "plan = 'pro'", period_value: max}
  - {name: arpu, type: ratio, numerator: mrr, denominator: paying_customers}
"""
# name → (pandas aggregation, column, period value, plan filter)
DEFINITIONS = {
    "mrr": ("sum", "mrr", "last", None),
    "mrr_first": ("sum", "mrr", "first", None),
    "mrr_low": ("sum", "mrr", "min", None),
    "mrr_peak": ("sum", "mrr", "max", None),
    "seats": ("sum", "seats", "last", None),
    "subscribers": ("count", "subscription_id", "last", None),
    "paying_customers": ("nunique", "customer_id", "last", None),
    "avg_mrr": ("mean", "mrr", "last", None),
    "peak_pro_mrr": ("max", "mrr", "max", "pro"),
}
MISSED = [date(2025, 11, 30), date(2025, 12, 31), date(2025, 12, 7)]  # the job did not run
LAST_SNAPSHOT = date(2026, 1, 6)
START, END = date(2025, 11, 19), date(2026, 1, 3)
GRAINS = ["day", "week", "month", "quarter", "year", "all"]


def subscription_days(customers: pd.DataFrame) -> pd.DataFrame:
    """Subscriptions of the medium customers, one row per live day, seeded."""
    rng = np.random.default_rng(20260108)
    signup = local_day(customers["signed_up_at"])
    rows = []
    for i, (customer, joined) in enumerate(zip(customers["customer_id"], signup, strict=True)):
        plan = rng.choice(["plus", "pro", "none"], p=[0.35, 0.25, 0.4])
        if plan == "none":
            continue
        start = joined + pd.Timedelta(days=int(rng.integers(0, 10)))
        end = start + pd.Timedelta(days=int(rng.geometric(1 / 120)))  # exclusive
        price = {"plus": Decimal("29.00"), "pro": Decimal("99.00")}[plan]
        if rng.random() < 0.2:
            price -= Decimal("9.90")  # a discount
        seats = int(rng.integers(1, 6))
        for day in pd.date_range(
            start, min(end - pd.Timedelta(days=1), pd.Timestamp(LAST_SNAPSHOT))
        ):
            if day.date() not in MISSED:
                rows.append((f"sub{i:03d}", customer, day.date(), plan, price, seats))
    frame = pd.DataFrame(
        rows, columns=["subscription_id", "customer_id", "day", "plan", "mrr", "seats"]
    )
    return frame


def with_subscriptions(data, table: pd.DataFrame):
    wh = build_warehouse(data)
    wh.replace_table("raw.subscription_days", table)
    # DECIMAL money: pandas hands Decimal objects over as DECIMAL(38, 2) or object; make it exact.
    wh.execute(
        "CREATE OR REPLACE TABLE raw.subscription_days AS SELECT subscription_id, customer_id, "
        "day, plan, CAST(mrr AS DECIMAL(10, 2)) AS mrr, CAST(seats AS INTEGER) AS seats "
        "FROM raw.subscription_days"
    )
    return wh


@pytest.fixture(scope="module")
def table(medium_data) -> pd.DataFrame:
    return subscription_days(medium_data.customers)


@pytest.fixture(scope="module")
def spec_and_services(medium_data, table):
    raw = with_subscriptions(medium_data, table)
    fast = with_subscriptions(medium_data, table)
    text = SPEC_PATH.read_text(encoding="utf-8")
    text = text.replace("\nmetrics:", MODEL + "metrics:", 1)
    text = text.replace("\nnorth_star:", METRICS + "north_star:", 1)
    spec = parse_spec(text, "snapshots.yml", raw.table_columns())
    build_rollups(fast, spec, today=TODAY)
    yield (
        spec,
        {"raw": make_service(raw, spec), "rollups": make_service(fast, spec, use_rollups=True)},
    )
    raw.close()
    fast.close()


@pytest.fixture(scope="module")
def services(spec_and_services):
    return spec_and_services[1]


@pytest.fixture(scope="module")
def rows(table, medium_data) -> pd.DataFrame:
    """The table's rows with the customer's channel (the joined dimension)."""
    attrs = medium_data.customers[["customer_id", "channel"]]
    out = table.merge(attrs, on="customer_id", how="left")
    return out.assign(day=pd.to_datetime(out["day"]))


# -- the reference -------------------------------------------------------------------------------
def expected(rows, metric, grain, start, end, dims, channels=None, big=False) -> pd.DataFrame:
    agg, column, period_value, plan = DEFINITIONS[metric]
    snapshot_days = sorted(set(rows["day"]))  # every row counts: the job ran that day
    kept = rows
    if plan:
        kept = kept[kept["plan"] == plan]
    if channels:
        kept = kept[kept["channel"].isin(channels)]
    if big:
        kept = kept[kept["mrr"] > 50]
    # Snapshot days × segments: the metric's aggregate of each day's rows.
    keys = list(dims) or [kept.assign(total="total")["total"]]
    by_day = kept.groupby(["day", *keys], dropna=False)[column].agg(agg)
    by_day = by_day.unstack(list(range(1, len(keys) + 1))).reindex(snapshot_days)
    if agg in ("sum", "count", "nunique"):
        by_day = by_day.fillna(0)  # no row of a segment on a snapshot day: nothing live
    today = pd.Timestamp(TODAY)
    out = []
    for first, last in periods(start, end, grain):
        days = [d for d in snapshot_days if first <= d <= min(last, today)]
        if not days:
            continue  # no snapshot in the period: no value
        read = {"last": days[-1:], "first": days[:1]}.get(period_value, days)
        values = by_day.loc[read]
        picked = {"min": values.min(), "max": values.max()}.get(period_value, values.iloc[-1])
        for key, value in picked.items():
            key = () if not dims else key if isinstance(key, tuple) else (key,)
            out.append((first.date(), *key, value))
    return pd.DataFrame(out, columns=["period", *dims, "value"])


def compared(frame: pd.DataFrame, value: str, dims) -> pd.Series:
    frame = frame[frame[value].notna()]
    frame = frame[frame[value].astype(float) != 0]
    keys = [frame["period"].astype(str), *(frame[d].astype(str) for d in dims)]
    return pd.Series(list(frame[value]), index=pd.MultiIndex.from_arrays(keys)).sort_index()


def assert_same(got: pd.DataFrame, want: pd.DataFrame, metric: str, dims) -> None:
    a, w = compared(got, metric, dims), compared(want, "value", dims)
    assert list(a.index) == list(w.index), (metric, a, w)
    if len(a) and all(isinstance(v, Decimal) for v in a):
        assert [Decimal(v) for v in a] == [Decimal(v) for v in w], metric  # exact
    else:
        np.testing.assert_allclose(a.astype(float), w.astype(float), rtol=1e-9)


def query(svc, metric, grain, start, end, dims=(), **kw) -> pd.DataFrame:
    return svc.query(
        MetricQuery((metric,), grain=grain, start=start, end=end, dimensions=dims, **kw)
    ).frame


# -- values ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["raw", "rollups"])
@pytest.mark.parametrize("grain", GRAINS)
def test_every_period_value_and_agg_at_every_grain_matches_pandas(services, rows, grain, path):
    end = date(2025, 12, 12) if grain == "day" else END
    for metric in DEFINITIONS:
        for dims in ((), ("plan",)):
            frame = query(services[path], metric, grain, START, end, dims)
            assert_same(frame, expected(rows, metric, grain, START, end, dims), metric, dims)


@pytest.mark.parametrize("path", ["raw", "rollups"])
def test_filters_by_dimension_and_by_column(services, rows, path):
    svc = services[path]
    by_channel = (DimensionFilter("channel", "in", ("ads", "email")),)
    for metric in ("mrr", "mrr_peak", "subscribers"):
        for grain in ("week", "month", "all"):
            frame = query(svc, metric, grain, START, END, ("plan",), filters=by_channel)
            want = expected(rows, metric, grain, START, END, ("plan",), ["ads", "email"])
            assert_same(frame, want, metric, ("plan",))
            frame = query(svc, metric, grain, START, END, ("channel",), where=("mrr > 50",))
            want = expected(rows, metric, grain, START, END, ("channel",), big=True)
            assert_same(frame, want, metric, ("channel",))


@pytest.mark.parametrize("path", ["raw", "rollups"])
@pytest.mark.parametrize(("grain", "compare"), COMPARISONS)
def test_comparisons_match_pandas(services, rows, grain, compare, path):
    """`<metric>__compare`: the pandas value of the period one step back, read on that period's
    own snapshot day(s), segment by segment."""
    for metric in ("mrr", "mrr_first", "mrr_peak", "paying_customers", "avg_mrr"):
        for dims in ((), ("plan",)):
            frame = query(services[path], metric, grain, START, END, dims, compare=compare)
            assert_same(frame, expected(rows, metric, grain, START, END, dims), metric, dims)
            want = compared_with(expected, rows, metric, grain, START, END, dims, compare)
            assert (want["value"].astype(float) != 0).any(), "nothing compared"
            assert_same(frame, want, f"{metric}__compare", dims)


def test_a_missed_snapshot_day_and_the_current_month_by_hand(services, rows):
    """December's MRR is read on the 30th (no snapshot of the 31st); January's on the 6th, the last
    snapshot so far; the week of Dec 1-7 on the 6th (the 7th was missed)."""
    for svc in services.values():
        frame = query(svc, "mrr", "month", date(2025, 12, 1), date(2026, 1, 31))
        december = rows[rows["day"] == pd.Timestamp("2025-12-30")]["mrr"].sum()
        january = rows[rows["day"] == pd.Timestamp("2026-01-06")]["mrr"].sum()
        assert frame["mrr"].tolist() == [december, january]
        week = query(svc, "mrr", "week", date(2025, 12, 1), date(2025, 12, 7))
        assert week["mrr"].tolist() == [
            rows[rows["day"] == pd.Timestamp("2025-12-06")]["mrr"].sum()
        ]


def test_a_breakdown_adds_up_to_the_total(services):
    for svc in services.values():
        total = query(svc, "mrr", "month", START, END).set_index("period")["mrr"]
        by_plan = query(svc, "mrr", "month", START, END, ("plan",)).groupby("period")["mrr"].sum()
        assert total.to_dict() == by_plan.to_dict()


def test_periods_without_a_snapshot_have_no_value(services):
    for svc in services.values():
        frame = query(svc, "mrr", "day", date(2025, 12, 29), date(2026, 1, 10))
        values = dict(zip(frame["period"], frame["mrr"], strict=True))
        assert values[date(2025, 12, 31)] is None  # missed
        assert all(values[date(2026, 1, d)] is None for d in (7, 8, 9, 10))  # none since the 6th
        assert values[date(2026, 1, 6)] > 0


def test_rollups_and_raw_give_equal_frames(services):
    for metric in [*DEFINITIONS, "arpu"]:
        for grain in ("month", "all"):
            for dims in ((), ("plan",)):
                q = MetricQuery(
                    (metric,),
                    grain=grain,
                    start=START,
                    end=date(2026, 1, 20),
                    dimensions=dims,
                )
                pd.testing.assert_frame_equal(
                    services["rollups"].query(q).frame, services["raw"].query(q).frame, rtol=1e-9
                )


# -- types, routes --------------------------------------------------------------------------------
def test_value_types(services):
    for svc in services.values():
        names = ("mrr", "seats", "subscribers", "paying_customers", "avg_mrr", "arpu")
        frame = svc.query(MetricQuery(names, grain="month", start=START, end=END)).frame
        assert all(isinstance(v, Decimal) for v in frame["mrr"])
        for count in ("seats", "subscribers", "paying_customers"):
            assert str(frame[count].dtype) == "Int64", count
        assert frame["avg_mrr"].dtype == "float64" and frame["arpu"].dtype == "float64"


def test_routes_say_what_reads_raw_and_why(services):
    svc = services["rollups"]
    route = svc.plan("mrr", MetricQuery(("mrr",), grain="month", dimensions=("plan",)))
    assert route.source == "rollups", route
    route = svc.plan("paying_customers", MetricQuery(("paying_customers",), grain="month"))
    assert route.source == "rollups and raw", route
    assert route.reasons == (
        "paying_customers: distinct counts on a snapshot day read the raw tables",
    )
    route = svc.plan("mrr", MetricQuery(("mrr",), grain="month", dimensions=("customers.channel",)))
    assert "raw" in route.source and route.reasons, route


def test_a_snapshot_table_with_timestamps_in_another_zone(medium_data, table):
    """Snapshot days are local days: a snapshot taken 23:00 in Shanghai (15:00 UTC) is that day's."""
    stamped = table.assign(day=pd.to_datetime(table["day"]) + pd.Timedelta(hours=15))
    wh = with_subscriptions(medium_data, stamped)
    try:
        text = SPEC_PATH.read_text(encoding="utf-8")
        model = MODEL.replace("time_zone: local", "time_zone: UTC")
        text = text.replace("\nmetrics:", model + "metrics:", 1)
        text = text.replace("\nnorth_star:", METRICS + "north_star:", 1)
        spec = parse_spec(text, "stamped.yml", wh.table_columns())
        assert wh.table_columns()["raw.subscription_days"]["day"] == "TIMESTAMP"
        svc = make_service(wh, spec)
        frame = query(svc, "mrr", "month", date(2025, 12, 1), date(2026, 1, 31))
        on = table.assign(day=pd.to_datetime(table["day"]))
        assert frame["mrr"].tolist() == [
            on[on["day"] == pd.Timestamp(d)]["mrr"].sum() for d in ("2025-12-30", "2026-01-06")
        ]
    finally:
        wh.close()


def test_a_date_column_is_its_day_whatever_zone_the_model_names(medium_data, table):
    """A DATE holds the local day itself: `time_zone: UTC` on it moves no row, even where the
    spec's zone is behind UTC (midnight UTC is the evening before in New York)."""
    wh = with_subscriptions(medium_data, table)
    try:
        text = SPEC_PATH.read_text(encoding="utf-8")
        text = text.replace("time_zone: Asia/Shanghai", "time_zone: America/New_York", 1)
        model = MODEL.replace("time_zone: local", "time_zone: UTC")
        text = text.replace("\nmetrics:", model + "metrics:", 1)
        text = text.replace("\nnorth_star:", METRICS + "north_star:", 1)
        spec = parse_spec(text, "dated.yml", wh.table_columns())
        assert wh.table_columns()["raw.subscription_days"]["day"] == "DATE"
        lo, hi = date(2025, 12, 1), date(2025, 12, 10)
        frame = query(make_service(wh, spec), "subscribers", "day", lo, hi)
        days = pd.to_datetime(table["day"])
        want = days[(days >= pd.Timestamp(lo)) & (days <= pd.Timestamp(hi))].value_counts()
        got = frame.set_index("period")["subscribers"].dropna()
        assert {d: int(v) for d, v in got.items()} == {
            d.date(): int(n) for d, n in want.sort_index().items()
        }
    finally:
        wh.close()


def test_as_of_an_earlier_day_ignores_later_snapshots(services, rows):
    as_of = date(2025, 12, 20)
    for svc in services.values():
        frame = svc.query(
            MetricQuery(
                ("mrr",),
                grain="month",
                start=date(2025, 12, 1),
                end=date(2025, 12, 31),
                as_of=as_of,
            )
        ).frame
        assert frame["mrr"].tolist() == [rows[rows["day"] == pd.Timestamp(as_of)]["mrr"].sum()]
    assert as_of + timedelta(days=1) < LAST_SNAPSHOT


def test_a_segment_that_emptied_mid_month_is_zero_not_its_stale_value(small_data):
    """Plus had one subscriber until Dec 15; December's plus MRR is 0 on the 31st (MetricFlow,
    taking the latest day among the filtered rows, would say 29.00 from the 15th)."""
    rows = [
        ("a", "c1", d, "plus", Decimal("29.00"), 1)
        for d in pd.date_range("2025-12-01", "2025-12-15")
    ]
    rows += [
        ("b", "c2", d, "pro", Decimal("99.00"), 2)
        for d in pd.date_range("2025-12-01", "2025-12-31")
    ]
    frame = pd.DataFrame(
        rows, columns=["subscription_id", "customer_id", "day", "plan", "mrr", "seats"]
    )
    wh = with_subscriptions(small_data, frame.assign(day=frame["day"].dt.date))
    try:
        text = SPEC_PATH.read_text(encoding="utf-8")
        text = text.replace("\nmetrics:", MODEL + "metrics:", 1)
        text = text.replace("\nnorth_star:", METRICS + "north_star:", 1)
        svc = make_service(wh, parse_spec(text, "tiny.yml", wh.table_columns()))
        plus = (DimensionFilter("plan", "=", ("plus",)),)
        month = (date(2025, 12, 1), date(2025, 12, 31))
        assert query(svc, "mrr", "month", *month, filters=plus)["mrr"].tolist() == [Decimal("0.00")]
        assert query(svc, "mrr_peak", "month", *month, filters=plus)["mrr_peak"].tolist() == [
            Decimal("29.00")
        ]
        by_plan = query(svc, "mrr", "month", *month, ("plan",)).set_index("plan")["mrr"]
        assert by_plan.to_dict() == {"pro": Decimal("99.00")}
        assert query(svc, "subscribers", "month", *month)["subscribers"].tolist() == [1]
    finally:
        wh.close()


def test_catalogue_words_and_breakdown_folding(spec_and_services):
    from dashboard.breakdown import is_additive
    from dashboard.lineage import formula_text

    spec = spec_and_services[0]
    assert formula_text(spec.metric("mrr")) == (
        "sum(mrr) over subscriptions on each period's last snapshot day"
    )
    assert formula_text(spec.metric("peak_pro_mrr")) == (
        "max(mrr) over subscriptions, highest daily value in each period where plan = 'pro'"
    )
    # segments read on one day add up to the total; a peak per segment does not
    assert is_additive(spec.metric("mrr")) and is_additive(spec.metric("subscribers"))
    assert not is_additive(spec.metric("mrr_peak"))
    assert not is_additive(spec.metric("paying_customers"))
