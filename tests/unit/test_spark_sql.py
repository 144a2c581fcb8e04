"""Spark SQL text without Spark: what spark_sql.py rewrites, and what it refuses.

The numbers are tested on Spark itself in tests/sql/test_spark_portability.py (marker `spark`,
needs pyspark and Java); these run everywhere and say which rewrite went missing.
"""

from __future__ import annotations

import pytest
from sqlglot import exp

from metric_layer.compiler import Compiler
from metric_layer.dialects import render
from metric_layer.errors import QueryError
from metric_layer.query import MetricQuery
from metric_layer.relation import timezone_call
from tests.sql.test_postgres_portability import METRICS, spec_with_extra
from tests.unit.test_snapshot_metrics import subscription_days, with_subscriptions


@pytest.fixture(scope="module")
def compile_for_spark(small_data):
    warehouse = with_subscriptions(small_data, subscription_days(small_data.customers))
    types = warehouse.table_columns()
    warehouse.close()
    compiler = Compiler(spec_with_extra(types), types)

    def compile_(metric: str, grain: str = "month"):
        query = MetricQuery((metric,), grain=grain, start=small_data.start, end=small_data.end)
        return compiler.compile(metric, query, small_data.today)

    return compile_


def test_every_metric_of_the_portability_spec_is_written_for_spark(compile_for_spark):
    for metric in METRICS:
        sql = compile_for_spark(metric, "week").sql(dialect="spark")
        assert " TIMEZONE(" not in sql and "(TIMEZONE(" not in sql and "RANGE(" not in sql, metric
        assert "PERCENTILE_CONT" not in sql and "_u(" not in sql, metric


def test_naive_timestamps_are_timestamp_ntz_and_instants_timestamp(compile_for_spark):
    sql = compile_for_spark("orders", "day").sql(dialect="spark")  # orders: naive UTC
    assert "AS TIMESTAMP_NTZ)" in sql and "AS TIMESTAMP)" not in sql
    instant = timezone_call("Asia/Shanghai", exp.column("ts"), "timestamp")
    assert render(exp.select(instant), "spark") == (
        "SELECT CAST(CONVERT_TIMEZONE('Asia/Shanghai', 'UTC', `ts`) AS TIMESTAMP)"
    )
    wall = timezone_call("Asia/Shanghai", exp.column("ts"), "timestamptz")
    assert render(exp.select(wall), "spark") == "SELECT CONVERT_TIMEZONE('Asia/Shanghai', `ts`)"


def test_a_timezone_call_that_does_not_say_what_it_converts_is_refused():
    bare = exp.func("timezone", exp.Literal.string("UTC"), exp.column("ts"))
    with pytest.raises(QueryError, match="instant or a wall time"):
        render(exp.select(bare), "spark")


def test_cumulative_days_are_a_sequence_ending_the_day_before_the_exclusive_end(
    compile_for_spark,
):
    sql = compile_for_spark("orders_l28", "week").sql(dialect="spark")
    assert "EXPLODE(" in sql  # through 2026-01-08: the series ends before 2026-01-09
    assert (
        "SEQUENCE(CAST('2025-12-15' AS DATE), CAST(CAST('2026-01-09' AS DATE) - INTERVAL 1 DAY AS DATE)"
        in sql
    )


def test_avg_is_of_doubles_and_arg_min_skips_null_values():
    tree = exp.select(
        exp.Avg(this=exp.column("mrr")),
        exp.ArgMin(this=exp.column("platform"), expression=exp.column("at")),
    )
    sql = render(tree, "spark")
    assert "AVG(CAST(`mrr` AS DOUBLE))" in sql
    assert "MIN_BY(`platform`, IF(`platform` IS NULL, NULL, `at`))" in sql
    distinct = exp.select(exp.Avg(this=exp.Distinct(expressions=[exp.column("seats")])))
    assert render(distinct, "spark") == "SELECT AVG(DISTINCT CAST(`seats` AS DOUBLE))"


def test_ctes_stay_inside_their_subqueries(compile_for_spark):
    """stickiness = dau / mau: two active-user subqueries, each with a CTE named `spine`."""
    sql = compile_for_spark("stickiness").sql(dialect="spark")
    assert sql.count("`spine` AS (") == 2
    assert not sql.startswith("WITH")


def test_approximate_percentiles_are_refused_naming_the_metric(compile_for_spark):
    with pytest.raises(QueryError, match=r"`p90_approx` is an approximate percentile"):
        compile_for_spark("p90_approx").sql(dialect="spark")
