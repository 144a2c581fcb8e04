"""Cumulative metrics (running totals, trailing windows, grain-to-date) against pandas written here.

The reference reads only the Reference's prepared orders (local days in Shanghai, joined customer
attributes) and pandas Periods; each value is the input summed over the days docs/metrics-yml.md
says, on the day it says (the period's last day, or today for the current period). Both query
paths — daily rollups and raw tables — must give these numbers.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from metric_layer.loader import parse_spec
from metric_layer.query import DimensionFilter, MetricQuery
from tests.conftest import SPEC_PATH, TODAY, build_rollup_warehouse, build_warehouse, make_service
from tests.unit.test_metric_values import Reference, back, period_freq

CUMULATIVE = """
  - {name: revenue_exact, type: simple, model: orders, agg: sum, expr: "CAST(amount AS DECIMAL(12, 2))", filter: "status = 'paid'"}
  - {name: revenue_to_date, type: cumulative, input_metric: revenue_exact}
  - {name: orders_l28, type: cumulative, input_metric: orders, window: 28}
  - {name: orders_l7_first, type: cumulative, input_metric: orders, window: 1 week, period_value: first}
  - {name: revenue_mtd, type: cumulative, input_metric: revenue, grain_to_date: month}
  - {name: orders_ytd, type: cumulative, input_metric: orders, grain_to_date: year}
  - {name: orders_wtd_avg, type: cumulative, input_metric: orders, grain_to_date: week, period_value: average}
  - {name: revenue_l7_avg, type: cumulative, input_metric: revenue, window: 7, period_value: average}
  - {name: ios_orders_to_date, type: cumulative, input_metric: {metric: orders, filter: "platform = 'ios'"}}
  - {name: orders_l28_growth, type: derived, formula: "orders_l28 / previous(orders_l28) - 1"}
"""
# name → (input, how it accumulates, period value, input filter)
DEFINITIONS = {
    "revenue_to_date": ("revenue_exact", ("all",), "last", None),
    "orders_l28": ("orders", ("window", 28), "last", None),
    "orders_l7_first": ("orders", ("window", 7), "first", None),
    "revenue_mtd": ("revenue", ("to_date", "month"), "last", None),
    "orders_ytd": ("orders", ("to_date", "year"), "last", None),
    "orders_wtd_avg": ("orders", ("to_date", "week"), "average", None),
    "revenue_l7_avg": ("revenue", ("window", 7), "average", None),
    "ios_orders_to_date": ("orders", ("all",), "last", "ios"),
}
# Not aligned to any grain, across a month and a year boundary; and one reaching past today.
START, END = date(2025, 11, 19), date(2026, 1, 3)
LATE_START, LATE_END = date(2025, 12, 10), date(2026, 1, 20)
GRAINS = ["day", "week", "month", "quarter", "year", "all"]


@pytest.fixture(scope="module")
def spec(medium_warehouse):
    text = SPEC_PATH.read_text(encoding="utf-8").replace(
        "\nnorth_star:", CUMULATIVE + "north_star:"
    )
    return parse_spec(text, "cumulative.yml", medium_warehouse.table_columns())


@pytest.fixture(scope="module")
def services(medium_data, spec):
    raw_wh = build_warehouse(medium_data)
    fast_wh = build_rollup_warehouse(medium_data, spec)
    yield {
        "raw": make_service(raw_wh, spec),
        "rollups": make_service(fast_wh, spec, use_rollups=True),
    }
    raw_wh.close()
    fast_wh.close()


@pytest.fixture(scope="module")
def ref(medium_data) -> Reference:
    return Reference(medium_data.customers, medium_data.orders, medium_data.sessions)


# -- the reference -------------------------------------------------------------------------------
def input_rows(ref: Reference, name: str, only_ios: bool, channels, big: bool) -> pd.DataFrame:
    """The input metric's rows: (day, channel, platform, value) with value = what it adds up."""
    o = ref.orders[ref.orders["status"] == "paid"]
    if only_ios:
        o = o[o["platform"] == "ios"]
    if channels:
        o = o[o["channel"].isin(channels)]
    if big:
        o = o[o["amount"] > 100]
    if name == "orders":
        value = pd.Series(1, index=o.index)
    elif name == "revenue":
        value = o["amount"]
    else:  # DECIMAL(12, 2): sum the exact cents
        value = o["amount"].map(lambda a: Decimal(str(round(a, 2))))
    return o[["day", "channel", "platform"]].assign(value=value)


def periods(start: date, end: date, grain: str) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """(first day, last day) of each period covering [start, end]; `all` = exactly the range."""
    if grain == "all":
        return [(pd.Timestamp(start), pd.Timestamp(end))]
    span = pd.period_range(pd.Timestamp(start), pd.Timestamp(end), freq=period_freq(grain))
    return [(p.start_time, p.end_time.normalize()) for p in span]


def compared_with(expected, source, metric, grain, start, end, dims, compare) -> pd.DataFrame:
    """(period, *dims, value): `expected`'s value one comparison step back (previous period, or a
    year — 52 weeks at week grain), keyed by the period it is compared with. At grain `all` the
    step is the range's own length (previous) or a year."""
    if grain == "all":
        if compare == "previous":
            lo, hi = start - (end - start) - timedelta(days=1), start - timedelta(days=1)
        else:
            lo, hi = (pd.Timestamp(d) - pd.DateOffset(years=1) for d in (start, end))
            lo, hi = lo.date(), hi.date()
        return expected(source, metric, grain, lo, hi, dims).assign(period=start)
    step = back(grain, compare)
    now = {first.date() for first, _ in periods(start, end, grain)}
    lo, hi = ((pd.Timestamp(d) - step).date() for d in (min(now), max(now)))
    earlier = expected(source, metric, grain, lo, hi, dims)
    earlier = earlier.assign(period=[(pd.Timestamp(p) + step).date() for p in earlier["period"]])
    return earlier[earlier["period"].isin(now)]


def daily_values(
    rows: pd.DataFrame, how: tuple, dims, last: pd.Timestamp, first: pd.Timestamp | None = None
) -> pd.DataFrame:
    """Days × segments: the value on each day from the first input day (or `first` if earlier)
    to `last`, from the input's daily sums with pandas' own cumsum / rolling (a day without rows
    adds 0)."""
    keys = list(dims) or [rows.assign(total="total")["total"]]
    sums = (
        rows.groupby(["day", *keys], dropna=False)["value"]
        .sum()
        .unstack(list(range(1, len(keys) + 1)))
    )
    days = pd.date_range(min(sums.index.min(), last, first or last), last)
    sums = sums.reindex(days).fillna(0)
    if how[0] == "all":
        return sums.cumsum()
    if how[0] == "window":
        return sums.astype(float).rolling(how[1], min_periods=1).sum()
    return sums.groupby(days.to_period(period_freq(how[1])).start_time).cumsum()


def expected(ref, metric, grain, start, end, dims, channels=None, big=False) -> pd.DataFrame:
    """(period, *dims, value) for every period up to today and every segment with rows."""
    source, how, period_value, only = DEFINITIONS[metric]
    rows = input_rows(ref, source, only == "ios", channels, big)
    today = pd.Timestamp(TODAY)
    wanted = periods(start, end, grain)
    by_day = daily_values(rows, how, dims, today, wanted[0][0])
    out = []
    for first, last in wanted:
        last = min(last, today)
        if last < first:
            continue  # a period after today has no value
        if period_value == "average":
            values = by_day.loc[first:last].astype(float).mean()
        else:
            values = by_day.loc[last if period_value == "last" else first]
        for key, value in values.items():
            key = () if not dims else key if isinstance(key, tuple) else (key,)
            out.append((first.date(), *key, value))
    return pd.DataFrame(out, columns=["period", *dims, "value"])


def as_compared(frame: pd.DataFrame, value: str, dims) -> pd.Series:
    """Non-zero values keyed by period and segment (segments with only zeros may be absent)."""
    frame = frame[frame[value].notna()]
    frame = frame[frame[value].astype(float) != 0]
    keys = [frame["period"].astype(str), *(frame[d].astype(str) for d in dims)]
    return pd.Series(list(frame[value]), index=pd.MultiIndex.from_arrays(keys)).sort_index()


def assert_same(got: pd.DataFrame, want: pd.DataFrame, metric: str, dims) -> None:
    a, w = as_compared(got, metric, dims), as_compared(want, "value", dims)
    assert list(a.index) == list(w.index), (a, w)
    if a.map(lambda v: isinstance(v, Decimal)).all():
        assert list(a) == list(w)  # exact
    else:
        np.testing.assert_allclose(a.astype(float), w.astype(float), rtol=1e-9)


def query(svc, metric, grain, start, end, dims=(), **kw) -> pd.DataFrame:
    return svc.query(
        MetricQuery((metric,), grain=grain, start=start, end=end, dimensions=dims, **kw)
    ).frame


# -- values ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["raw", "rollups"])
@pytest.mark.parametrize("grain", GRAINS)
@pytest.mark.parametrize("metric", sorted(DEFINITIONS))
def test_each_kind_at_every_grain_matches_pandas(services, ref, metric, grain, path):
    end = min(END, date(2025, 12, 9)) if grain == "day" else END
    for dims in ((), ("channel",)):
        frame = query(services[path], metric, grain, START, end, dims)
        want = expected(ref, metric, grain, START, end, dims)
        assert_same(frame, want, metric, dims)


@pytest.mark.parametrize("path", ["raw", "rollups"])
@pytest.mark.parametrize("grain", ["day", "week", "month", "all"])
def test_the_current_period_reads_today_and_later_ones_have_no_value(services, ref, grain, path):
    for metric in ("orders_l28", "revenue_mtd", "orders_wtd_avg", "revenue_to_date"):
        frame = query(services[path], metric, grain, LATE_START, LATE_END)
        assert_same(frame, expected(ref, metric, grain, LATE_START, LATE_END, ()), metric, ())
        after = frame[pd.to_datetime(frame["period"]) > pd.Timestamp(TODAY)]
        assert after[metric].isna().all()
        assert len(after) > 0 or grain in ("month", "all")  # no period of these is after today
        before = frame[pd.to_datetime(frame["period"]) <= pd.Timestamp(TODAY)]
        assert before[metric].notna().all()


@pytest.mark.parametrize("path", ["raw", "rollups"])
def test_filters_by_dimension_and_by_column(services, ref, path):
    svc = services[path]
    filters = (DimensionFilter("channel", "in", ("ads", "email")),)
    for metric in ("orders_l28", "revenue_mtd", "revenue_to_date"):
        for grain in ("week", "month", "all"):
            frame = query(svc, metric, grain, START, END, ("platform",), filters=filters)
            want = expected(ref, metric, grain, START, END, ("platform",), ["ads", "email"])
            assert_same(frame, want, metric, ("platform",))
            frame = query(svc, metric, grain, START, END, ("channel",), where=("amount > 100",))
            want = expected(ref, metric, grain, START, END, ("channel",), big=True)
            assert_same(frame, want, metric, ("channel",))


COMPARISONS = [
    ("week", "previous"),
    ("month", "previous"),
    ("month", "last_year"),
    ("quarter", "previous"),
    ("all", "previous"),
    ("all", "last_year"),
]


@pytest.mark.parametrize("path", ["raw", "rollups"])
@pytest.mark.parametrize(("grain", "compare"), COMPARISONS)
def test_comparisons_match_pandas(services, ref, grain, compare, path):
    """`<metric>__compare`: the pandas value of the period one step back (with its own carried-in
    running total, trailing days and period-to-date start), segment by segment."""
    for metric in ("revenue_to_date", "orders_l28", "revenue_mtd", "orders_wtd_avg"):
        for dims in ((), ("channel",)):
            frame = query(services[path], metric, grain, START, END, dims, compare=compare)
            assert_same(frame, expected(ref, metric, grain, START, END, dims), metric, dims)
            want = compared_with(expected, ref, metric, grain, START, END, dims, compare)
            assert (want["value"].astype(float) != 0).any(), "nothing compared"
            assert_same(frame, want, f"{metric}__compare", dims)


def test_rollups_and_raw_give_equal_frames(services):
    """Whole frames, zeros and segments included, over a range past today."""
    for metric in sorted(DEFINITIONS):
        for grain in ("month", "all"):
            for dims in ((), ("platform",)):
                q = MetricQuery((metric,), grain=grain, start=START, end=LATE_END, dimensions=dims)
                pd.testing.assert_frame_equal(
                    services["rollups"].query(q).frame, services["raw"].query(q).frame, rtol=1e-9
                )


def test_a_trailing_window_by_hand(services, ref):
    """orders_l28 on 2025-12-31: paid orders of Dec 4..31, counted here without the helpers."""
    o = ref.orders[ref.orders["status"] == "paid"]
    inside = o[(o["day"] >= pd.Timestamp("2025-12-04")) & (o["day"] <= pd.Timestamp("2025-12-31"))]
    frame = query(services["raw"], "orders_l28", "day", date(2025, 12, 31), date(2025, 12, 31))
    assert frame["orders_l28"].tolist() == [len(inside)]
    monthly = query(services["rollups"], "orders_l28", "month", date(2025, 12, 1), END)
    assert monthly["orders_l28"].tolist()[0] == len(inside)  # December's value: its last day


# -- types, routes, derived ----------------------------------------------------------------------
def test_value_types_counts_are_integers_decimals_exact_averages_doubles(services):
    for path, svc in services.items():
        frame = svc.query(
            MetricQuery(
                ("orders_l28", "revenue_to_date", "revenue_l7_avg"),
                grain="month",
                start=START,
                end=END,
            )
        ).frame
        assert str(frame["orders_l28"].dtype) == "Int64", path
        assert all(isinstance(v, Decimal) for v in frame["revenue_to_date"]), path
        assert frame["revenue_l7_avg"].dtype == "float64", path


def test_rollup_route_and_why_a_column_filter_reads_raw(services):
    svc = services["rollups"]
    route = svc.plan(
        "orders_l28", MetricQuery(("orders_l28",), grain="month", dimensions=("channel",))
    )
    assert route.source == "rollups", route
    route = svc.plan(
        "orders_l28", MetricQuery(("orders_l28",), grain="month", where=("amount > 100",))
    )
    assert route.source == "raw" and any("orders:" in r for r in route.reasons), route


def test_a_derived_formula_over_a_cumulative_metric(services, ref):
    frame = query(services["raw"], "orders_l28_growth", "month", date(2025, 11, 1), END)
    months = expected(ref, "orders_l28", "month", date(2025, 10, 1), END, ())
    values = months.set_index("period")["value"].astype(float)
    for period, growth in zip(frame["period"], frame["orders_l28_growth"], strict=True):
        before = values[(pd.Timestamp(period) - pd.DateOffset(months=1)).date()]
        assert growth == pytest.approx(values[period] / before - 1, rel=1e-12)


def test_catalogue_words_and_breakdown_folding(spec):
    from dashboard.breakdown import is_additive
    from dashboard.lineage import formula_text

    words = {name: formula_text(spec.metric(name)) for name in DEFINITIONS}
    assert words["orders_l28"] == "orders over the trailing 28 days"
    assert words["revenue_mtd"] == "revenue month-to-date"
    assert words["revenue_to_date"] == "running total of revenue_exact"
    assert words["orders_wtd_avg"] == "orders week-to-date (average per period)"
    assert words["ios_orders_to_date"] == "running total of orders [platform = 'ios']"
    # running totals of counts and sums add up across segments: "Other" folds them
    assert all(is_additive(spec.metric(name)) for name in DEFINITIONS)


def test_an_input_filter_on_an_unknown_dimension_names_its_key(medium_warehouse):
    from metric_layer.errors import SpecError

    bad = CUMULATIVE.replace("filter: \"platform = 'ios'\"", "filter: \"platfrom = 'ios'\"")
    text = SPEC_PATH.read_text(encoding="utf-8").replace("\nnorth_star:", bad + "north_star:")
    with pytest.raises(SpecError) as err:
        parse_spec(text, "cumulative.yml", medium_warehouse.table_columns())
    (issue,) = err.value.issues
    # ios_orders_to_date is the 28th metric: 19 of small_spec.yml, then the 9th above
    assert issue.path == "metrics[27].input_metric.filter"
    assert issue.message == "unknown dimension `platfrom` in metric `orders`"
    assert issue.hint == "did you mean `platform`?"


@pytest.mark.parametrize(
    "definition, key, message, hint",
    [
        (
            "{name: c, type: cumulative, input_metric: orders, window: 7, grain_to_date: month}",
            "grain_to_date",
            "`window` and `grain_to_date` cannot both be set",
            "keep `window` for a trailing window",
        ),
        (
            "{name: c, type: cumulative, input_metric: aov}",
            "input_metric",
            "a cumulative metric adds up daily values of a count or sum; `aov` is a ratio metric",
            "accumulate its parts in cumulative metrics",
        ),
    ],
)
def test_a_cumulative_metric_that_cannot_add_up_says_why(
    medium_warehouse, definition, key, message, hint
):
    from metric_layer.errors import SpecError

    extra = f"  - {definition}\n"
    text = SPEC_PATH.read_text(encoding="utf-8").replace(
        "\nnorth_star:", "\n" + extra + "north_star:"
    )
    with pytest.raises(SpecError) as err:
        parse_spec(text, "cumulative.yml", medium_warehouse.table_columns())
    (issue,) = err.value.issues
    assert issue.path == f"metrics[19].{key}"
    assert issue.message.startswith(message), issue.message
    assert issue.hint.startswith(hint), issue.hint
