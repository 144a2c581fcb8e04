"""`explain` with SQL `where` conditions and column filters, against pandas written here.

The condition must hold on the value, on every driver and on every segment (single dimensions and
pairs), on both query paths and both segment paths (batched per source, one query per set);
`amount>100` typed as a filter (a column, no dimension) means the same as the SQL. Repeated
filters picking values of one dimension are refused by `query` and `explain` alike.
"""

from __future__ import annotations

import itertools
import math
from datetime import date

import pytest
from test_cli import cli_env, run

from analysis.explain import explain, find_segments
from analysis.ranges import DayRange
from analysis.segments import NONE_LABEL
from metric_layer.errors import QueryError
from metric_layer.query import DimensionFilter, FilterSyntaxError
from metric_layer.where import read_filters
from tests.unit.test_segment_parts import CUSTOM_A, PREVIOUS, WEEK, _in, _orders

DIMS = ["channel", "platform", "region", "size"]  # as explain orders them (sorted)
BIG = "amount > 50"
# Medium shop: two whole weeks, and two 10-day ranges that are no whole period.
M_WEEKS = ((2025, 11, 3), (2025, 11, 9)), ((2025, 11, 10), (2025, 11, 16))
M_DAYS = ((2025, 11, 3), (2025, 11, 12)), ((2025, 11, 13), (2025, 11, 22))
FIVE_BEFORE = (date(2025, 12, 29), date(2026, 1, 2))  # the 5 days before CUSTOM_A (01-03..07)


def _days(pair) -> tuple:
    return tuple(date(*d) for d in pair)


# -- the reference -------------------------------------------------------------------------------
MEASURES = {
    "orders": lambda g: (float(len(g)),),
    "revenue": lambda g: (float(g["amount"].sum()),),
    "buyers": lambda g: (float(g["customer_id"].nunique()),),
    "aov": lambda g: (float(g["amount"].sum()), float(len(g))),  # numerator, denominator
}


def _kept(data, condition) -> object:
    """Paid orders (every metric here counts them) where the condition holds, by hand."""
    orders = _orders(data)
    paid = orders[orders["status"] == "paid"]
    return condition(paid)


def _by_segment(rows, dims, measure) -> dict:
    """{((dim, value), …): parts} for each segment with rows; NULL is the segment (none)."""
    keyed = rows.assign(
        **{d: rows[d].astype(object).where(rows[d].notna(), NONE_LABEL) for d in dims}
    )
    out = {}
    for key, group in keyed.groupby(list(dims), dropna=False):
        key = key if isinstance(key, tuple) else (key,)
        out[tuple(zip(dims, key, strict=True))] = measure(group)
    return out


def _value(parts: tuple) -> float:
    """A count or sum is its part; a ratio numerator / denominator (no value for 0)."""
    if len(parts) == 1:
        return parts[0]
    return parts[0] / parts[1] if parts[1] else math.nan


def _want_segments(rows_then, rows_now, metric) -> dict:
    """Every single dimension and pair: segment → (before, after), 0 where a side has no rows."""
    measure = MEASURES[metric]
    width = 2 if metric == "aov" else 1
    out = {}
    for dims in [(d,) for d in DIMS] + list(itertools.combinations(DIMS, 2)):
        then, now = _by_segment(rows_then, dims, measure), _by_segment(rows_now, dims, measure)
        for key in set(then) | set(now):
            before = then.get(key, (0.0,) * width)
            after = now.get(key, (0.0,) * width)
            if width == 1:
                out[key] = (before[0], after[0])
                continue
            # A ratio segment without rows in one range takes the other's rate (all mix).
            rate0 = _value(before) if before[1] else _value(after)
            out[key] = (rate0, _value(after) if after[1] else rate0)
    return out


def _got_segments(cause) -> dict:
    return {e.segment: (e.before, e.after) for e in cause.effects}


def _check(result_or_cause, want: dict) -> None:
    got = _got_segments(result_or_cause)
    assert set(got) == set(want)
    for key, values in want.items():
        assert got[key] == pytest.approx(values, nan_ok=True), key


# -- values and segments ------------------------------------------------------------------------
@pytest.mark.parametrize("metric", ["orders", "revenue", "aov"])
@pytest.mark.parametrize("ranges", ["weeks", "days"])
def test_value_and_every_segment_match_pandas(medium_service, medium_data, metric, ranges):
    then, now = (_days(d) for d in (M_WEEKS if ranges == "weeks" else M_DAYS))
    rows = _kept(medium_data, lambda o: o[(o["amount"] > 50) & o["platform"].isin(["ios", "web"])])
    where = (BIG, "platform IN ('ios', 'web')")  # a column and a dimension
    result = explain(medium_service, metric, DayRange(*now), DayRange(*then), where=where)
    before = _value(MEASURES[metric](_in(rows, then)))
    after = _value(MEASURES[metric](_in(rows, now)))
    assert (result.comparison.before, result.comparison.after) == pytest.approx((before, after))
    assert result.segments is not None, result.notes
    _check(result.segments, _want_segments(_in(rows, then), _in(rows, now), metric))
    if metric == "aov":  # the ratio's parts, whole
        t = result.segments.totals
        n0, d0 = MEASURES["aov"](_in(rows, then))
        n1, d1 = MEASURES["aov"](_in(rows, now))
        parts = (t.num_before, t.den_before, t.num_after, t.den_after)
        assert parts == pytest.approx((n0, d0, n1, d1))
    assert not any("segments left out" in n for n in result.notes), result.notes


def test_a_distinct_count_over_whole_weeks(medium_service, medium_data):
    then, now = (_days(d) for d in M_WEEKS)
    rows = _kept(medium_data, lambda o: o[o["amount"] > 50])
    result = explain(medium_service, "buyers", DayRange(*now), DayRange(*then), where=(BIG,))
    assert result.comparison.before == _in(rows, then)["customer_id"].nunique()
    assert result.comparison.after == _in(rows, now)["customer_id"].nunique()
    _check(result.segments, _want_segments(_in(rows, then), _in(rows, now), "buyers"))


@pytest.mark.parametrize("metric", ["revenue", "aov", "buyers"])
def test_batched_and_per_set_segments_agree(medium_service, metric):
    then, now = (_days(d) for d in M_WEEKS)
    fast = find_segments(medium_service, metric, DIMS, now, then, where=(BIG,))
    slow = find_segments(medium_service, metric, DIMS, now, then, where=(BIG,), batched=False)
    assert _got_segments(fast).keys() == _got_segments(slow).keys()
    for key, values in _got_segments(slow).items():
        assert _got_segments(fast)[key] == pytest.approx(values, nan_ok=True), key
    assert [f.label for f in fast.findings] == [f.label for f in slow.findings]


def test_a_column_typed_as_a_filter_means_the_same_sql(small_service, small_data):
    """`amount>50` is no dimension: it is the SQL condition, not a dimension the segments refuse."""
    as_filter = (DimensionFilter("amount", ">", ("50",)),)
    a = explain(small_service, "revenue", DayRange(*WEEK), DayRange(*PREVIOUS), filters=as_filter)
    b = explain(small_service, "revenue", DayRange(*WEEK), DayRange(*PREVIOUS), where=(BIG,))
    # By hand: the week before 80 + 200 + 100 + 60 (over 50 of 515); this week 150 (of 215).
    assert (a.comparison.before, a.comparison.after) == (440.0, 150.0)
    assert _got_segments(a.segments) == _got_segments(b.segments)
    assert a.notes == b.notes and not any("left out" in n for n in a.notes)


def test_custom_days_and_segments_on_the_small_shop(small_service, small_data):
    rows = _kept(small_data, lambda o: o[(o["amount"] > 40) | (o["platform"] == "ios")])
    where = ("amount > 40 OR platform = 'ios'",)
    now, then = DayRange(*CUSTOM_A), DayRange(*FIVE_BEFORE)
    result = explain(small_service, "orders", now, then, where=where)
    assert result.comparison.before == len(_in(rows, FIVE_BEFORE))
    assert result.comparison.after == len(_in(rows, CUSTOM_A))
    _check(result.segments, _want_segments(_in(rows, FIVE_BEFORE), _in(rows, CUSTOM_A), "orders"))


# -- drivers -------------------------------------------------------------------------------------
def test_drivers_along_the_tree_hold_the_condition(small_service, small_data):
    rows = _kept(small_data, lambda o: o[o["amount"] > 50])
    result = explain(
        small_service, "orders", DayRange(*WEEK), DayRange(*PREVIOUS), dimensions=[], where=(BIG,)
    )
    got = {r.metric: (r.before, r.after) for r in result.drivers}
    a, b = _in(rows, PREVIOUS), _in(rows, WEEK)
    assert got["orders"] == (len(a), len(b))
    assert got["buyers"] == (a["customer_id"].nunique(), b["customer_id"].nunique())
    assert got["revenue_per_buyer"] == pytest.approx(
        (
            a["amount"].sum() / a["customer_id"].nunique(),
            b["amount"].sum() / b["customer_id"].nunique(),
        )
    )


# -- what cannot apply ---------------------------------------------------------------------------
def test_a_column_the_metric_s_rows_lack_is_refused_naming_what_works(small_service):
    with pytest.raises(QueryError, match=r"`amount` is neither a dimension of `conversion`"):
        explain(small_service, "conversion", DayRange(*WEEK), DayRange(*PREVIOUS), where=(BIG,))


# -- repeated filters ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "texts",
    [
        ["channel=ads", "channel=email"],
        ["channel=ads,organic", "channel=email"],
        ["channel=ads", "channel = 'email'"],
        ["channel IN ('ads')", "'email' = channel"],
    ],
)
def test_two_filters_picking_values_of_one_dimension_are_refused(texts):
    with pytest.raises(FilterSyntaxError, match=r"each pick values of `channel`.*channel=ads"):
        read_filters(texts)


def test_filters_that_mean_something_together_are_kept():
    filters, where = read_filters(
        [
            "amount>=10",
            "amount<100",
            "platform!=ios",
            "platform!=web",
            "channel=ads",
            "region=north",
        ]
    )
    assert len(filters) == 6 and where == ()
    filters, where = read_filters(["channel=ads", "channel != 'email' OR amount > 5"])
    assert len(filters) == 1 and len(where) == 1


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    return cli_env(tmp_path_factory.mktemp("explain-where"))


@pytest.mark.parametrize("command", ["query", "explain"])
def test_cli_refuses_repeated_equality_filters_and_says_what_to_write(env, command):
    args = [command, "orders", "--where", "platform=ios", "--where", "platform=web"]
    if command == "explain":
        args += ["--from", "2026-01-05", "--to", "2026-01-11"]
    result = run(args, env)
    assert result.exit_code == 2, result.output
    assert "each pick values of `platform`" in result.stderr
    assert "give one filter: `platform=ios,web`" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", ["query", "explain"])
def test_cli_help_says_how_repeated_filters_combine(env, command):
    result = run([command, "--help"], env)
    assert "channel=ads,email" in " ".join(result.output.split())
