"""The query plan (query_plan.py): which source each metric read gets, and why a rollup was declined.

Pure: a RollupPlanner is built from a set of table names (no warehouse, no rollup build), so each
case says exactly which rollups exist. Table names are spelled out, not computed by the code.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from metric_layer.compiler import Compiler
from metric_layer.errors import QueryError
from metric_layer.loader import parse_spec
from metric_layer.periods import Window
from metric_layer.query import DimensionFilter, MetricQuery
from metric_layer.query_plan import plan_query
from metric_layer.rollups import STALE, RollupPlanner
from metric_layer.semantics import Semantics
from tests.conftest import SPEC_PATH, TODAY

START, END = date(2025, 10, 6), date(2026, 1, 4)  # Monday .. Sunday: 13 whole weeks
FIRST_DAY = date(2025, 2, 10)  # first day of the materialized results
ALL_TABLES = {
    "rollup.orders__daily__total",
    "rollup.orders__daily__channel",
    "rollup.orders__daily__platform",
    "rollup.orders__daily__all",
    "rollup.sessions__daily__total",
    "rollup.buyers__entity_days",
    "rollup.visitors__entity_days",
    "rollup.wau__entity_days",
    "rollup.m__buyers__week__total",
    "rollup.m__buyers__week__channel",
    "rollup.m__wau__week__total",
    "rollup.w1_retention__cohorts",
}
P90 = "  - {name: p90_amount, type: simple, model: orders, agg: percentile, expr: amount, "
P90 += "percentile: 0.9}\n"


@pytest.fixture(scope="module")
def spec(small_warehouse):
    text = SPEC_PATH.read_text(encoding="utf-8").replace(
        "\nnorth_star:", "\n" + P90 + "north_star:"
    )
    return parse_spec(text, "plan.yml", small_warehouse.table_columns())


@pytest.fixture(scope="module")
def types(small_warehouse):
    return small_warehouse.table_columns()


def rollups(spec, tables=ALL_TABLES, built_for=TODAY) -> RollupPlanner:
    coverage = (("buyers", FIRST_DAY), ("wau", FIRST_DAY))
    return RollupPlanner(spec, frozenset(tables), built_for=built_for, coverage=coverage)


def plan(spec, types, *metrics, state=None, today=TODAY, **query):
    q = MetricQuery(tuple(metrics), **{"grain": "week", "start": START, "end": END, **query})
    return plan_query(spec, Semantics(spec), types, q, state, today)


def sources(p, metric):
    """[(read metric, kind, table)] of one metric's reads, in compile order."""
    return [(r.metric, s.kind, s.table) for r, s in p.metrics[metric].reads]


def test_without_rollups_everything_is_raw_and_one_model_shares_one_statement(spec, types):
    p = plan(spec, types, "orders", "revenue", "aov", "buyers", "visitors", "wau")
    assert sources(p, "aov") == [
        ("aov", "inputs", None),
        ("revenue", "raw", None),
        ("orders", "raw", None),
    ]
    assert all(not m.reasons for m in p.metrics.values())  # no rollups: nothing was declined
    shapes = [(s.metrics, s.fused, s.model) for s in p.statements]
    assert shapes == [
        (("orders", "revenue", "aov", "buyers"), True, "orders"),
        (("visitors",), False, None),  # alone on its model: a plain statement
        (("wau",), False, None),  # active metrics never fuse
    ]
    assert p.describe() == [
        "orders, revenue, aov, buyers: one scan of model `orders` (raw tables)",
        "visitors: visitors ← raw tables",
        "wau: wau ← raw tables",
    ]


def test_each_kind_of_metric_gets_its_rollup(spec, types):
    p = plan(spec, types, "orders", "aov", "buyers", "visitors", "wau", "w1_retention",
             state=rollups(spec))  # fmt: skip
    assert sources(p, "orders") == [("orders", "daily", "rollup.orders__daily__total")]
    assert sources(p, "aov")[1:] == [
        ("revenue", "daily", "rollup.orders__daily__total"),
        ("orders", "daily", "rollup.orders__daily__total"),
    ]
    assert sources(p, "buyers") == [("buyers", "materialized", "rollup.m__buyers__week__total")]
    assert sources(p, "visitors") == [("visitors", "entity_days", "rollup.visitors__entity_days")]
    assert sources(p, "wau") == [("wau", "materialized", "rollup.m__wau__week__total")]
    assert sources(p, "w1_retention") == [
        ("w1_retention", "cohorts", "rollup.w1_retention__cohorts")
    ]
    shapes = [(s.metrics, s.fused, s.table) for s in p.statements]
    assert shapes == [  # orders and aov read one daily table: one scan of it; the rest alone
        (("orders", "aov"), True, "rollup.orders__daily__total"),
        (("buyers",), False, None),
        (("visitors",), False, None),
        (("wau",), False, None),
        (("w1_retention",), False, None),
    ]
    assert p.describe()[0] == "orders, aov: one scan of daily rollup (rollup.orders__daily__total)"
    assert p.metrics["wau"].describe() == "wau ← materialized result (rollup.m__wau__week__total)"


def test_breakdowns_pick_the_daily_table_that_holds_them(spec, types):
    state = rollups(spec)
    by_channel = plan(spec, types, "revenue", dimensions=("channel",), state=state)
    assert sources(by_channel, "revenue")[0][2] == "rollup.orders__daily__channel"
    two = plan(spec, types, "revenue", dimensions=("channel", "platform"), state=state)
    assert sources(two, "revenue")[0][2] == "rollup.orders__daily__all"
    filtered = plan(spec, types, "revenue", dimensions=("channel",), state=state,
                    filters=(DimensionFilter("platform", "=", ("ios",)),))  # fmt: skip
    assert sources(filtered, "revenue")[0][2] == "rollup.orders__daily__all"


def test_metrics_on_different_daily_tables_do_not_share_a_statement(spec, types):
    # ios_share's numerator filters on platform (the `platform` table), its denominator not
    p = plan(spec, types, "orders", "revenue", "ios_share", state=rollups(spec))
    assert p.metrics["ios_share"].daily_table is None
    shapes = [(s.metrics, s.fused, s.table) for s in p.statements]
    assert shapes == [
        (("orders", "revenue"), True, "rollup.orders__daily__total"),
        (("ios_share",), False, None),
    ]


def test_a_qualified_dimension_reads_raw_and_says_why(spec, types):
    p = plan(
        spec, types, "revenue", "buyers", dimensions=("customers.channel",), state=rollups(spec)
    )
    assert sources(p, "revenue") == [("revenue", "raw", None)]
    assert p.metrics["revenue"].reasons == (
        "revenue: breakdowns and filters by customers.channel read the raw tables",
    )
    assert p.metrics["buyers"].reasons == (
        "buyers: breakdowns and filters by customers.channel read the raw tables",
    )
    # both read orders' raw rows only: one scan
    assert [(s.metrics, s.fused) for s in p.statements] == [(("revenue", "buyers"), True)]


def test_a_column_filter_declines_the_rollups(spec, types):
    p = plan(spec, types, "orders", "buyers", where=("amount > 50",), state=rollups(spec))
    assert sources(p, "orders") == [("orders", "raw", None)]
    assert p.metrics["orders"].reasons == (
        "orders: breakdowns and filters by amount read the raw tables",
    )
    # buyers: the materialized result keeps no filter, and its entity-day rows have no amount
    assert p.metrics["buyers"].reasons == (
        "buyers: breakdowns and filters by amount read the raw tables",
    )


def test_distinct_counts_fall_back_from_results_to_entity_days(spec, types):
    state = rollups(spec)
    quarter = plan(spec, types, "buyers", grain="quarter", state=state)
    # no quarter results: entity-day rows answer exactly, so nothing reads raw and no reason
    assert sources(quarter, "buyers") == [("buyers", "entity_days", "rollup.buyers__entity_days")]
    assert quarter.metrics["buyers"].reasons == ()
    two = plan(spec, types, "buyers", dimensions=("channel", "platform"), state=state)
    assert sources(two, "buyers")[0][1] == "entity_days"
    early = plan(spec, types, "buyers", state=state, start=FIRST_DAY - timedelta(days=7))
    assert sources(early, "buyers")[0][1] == "entity_days"  # before the results' first day


def test_a_window_starting_on_the_results_first_day_reads_them(spec, types):
    # FIRST_DAY is a Monday: the week starting on it is the first one the results hold
    on_first = plan(spec, types, "buyers", state=rollups(spec), start=FIRST_DAY)
    assert sources(on_first, "buyers") == [
        ("buyers", "materialized", "rollup.m__buyers__week__total")
    ]
    assert on_first.metrics["buyers"].reasons == ()


def test_a_comparison_reads_back_one_period_and_that_can_leave_the_results(spec, types):
    state = rollups(spec)
    p = plan(spec, types, "buyers", compare="previous", state=state)
    (read, source), = p.metrics["buyers"].reads  # fmt: skip
    assert (read.lo, read.hi) == (START - timedelta(days=7), END + timedelta(days=1))
    assert source.kind == "materialized"
    at_start = plan(spec, types, "buyers", compare="previous", state=state, start=FIRST_DAY)
    assert sources(at_start, "buyers")[0][1] == "entity_days"  # the week before is not kept
    assert [s.fused for s in at_start.statements] == [False]  # comparisons never fuse


def test_a_derived_formula_reads_its_shifted_input_over_its_own_window(spec, types):
    p = plan(spec, types, "revenue_growth", state=rollups(spec))
    reads = [(r.metric, r.lo) for r, _ in p.metrics["revenue_growth"].reads]
    assert reads == [
        ("revenue_growth", START),
        ("revenue", START),
        ("revenue", START - timedelta(days=7)),
    ]


def test_a_ratio_input_filter_is_part_of_its_read(spec, types):
    p = plan(spec, types, "ios_share", state=rollups(spec))
    (_, _), (num, num_source), (den, den_source) = p.metrics["ios_share"].reads
    assert num.extra == "(platform = 'ios')" and den.extra is None
    assert num_source.table == "rollup.orders__daily__platform"  # the filter needs platform
    assert den_source.table == "rollup.orders__daily__total"


def test_rolling_windows_hold_for_their_build_day_and_periods_ended_before(spec, types):
    state = rollups(spec, built_for=TODAY - timedelta(days=1))
    end = TODAY - timedelta(days=1)  # a week of the range is still open on the build day
    p = plan(spec, types, "wau", state=state, end=end)
    assert sources(p, "wau") == [("wau", "entity_days", "rollup.wau__entity_days")]
    assert p.metrics["wau"].reasons == ()
    # Weeks that ended before both the build day and today are the same whichever is today.
    closed = end - timedelta(days=end.weekday() + 1)  # the Sunday before
    p = plan(spec, types, "wau", state=state, end=closed)
    assert sources(p, "wau") == [("wau", "materialized", "rollup.m__wau__week__total")]
    gone = rollups(spec, tables=ALL_TABLES - {"rollup.wau__entity_days"}, built_for=None)
    p = plan(spec, types, "wau", "buyers", state=gone)
    assert p.metrics["wau"].reasons == (f"wau: {STALE}",)
    assert sources(p, "buyers")[0][1] == "materialized"  # distinct counts keep their results


def test_percentiles_and_missing_cohorts_say_why(spec, types):
    state = rollups(spec, tables=ALL_TABLES - {"rollup.w1_retention__cohorts"})
    p = plan(spec, types, "p90_amount", "w1_retention", state=state)
    assert p.metrics["p90_amount"].reasons == (
        "p90_amount: percentiles do not add up over days: they read the raw tables",
    )
    assert p.metrics["w1_retention"].reasons == (f"w1_retention: {STALE}",)


def test_the_plan_checks_the_query_before_anything_compiles(spec, types):
    with pytest.raises(QueryError, match="unknown metric `revnue`; did you mean `revenue`"):
        plan(spec, types, "orders", "revnue")
    with pytest.raises(QueryError, match="cannot be broken down or filtered by `plan`") as e:
        plan(spec, types, "orders", dimensions=("plan",))
    # no name near `plan`: no hint, one space before the list (one line for a log)
    assert "by `plan`; its dimensions: " in str(e.value)


def test_compilation_reads_only_what_the_plan_holds(spec, types):
    compiler = Compiler(spec, types, rollups(spec))
    p = compiler.plan(MetricQuery(("revenue",), start=START, end=END), TODAY)
    sql = compiler.compile_planned(p, "revenue").sql()
    assert "rollup.orders__daily__total" in sql.replace('"', "")
    other = Window("week", START, END + timedelta(days=7), TODAY, "monday")
    with pytest.raises(RuntimeError, match="no source for"):
        compiler.metric_select("revenue", other, [], [], None)  # a read the plan did not make
