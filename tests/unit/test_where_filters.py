"""SQL filters in queries (`where`): every metric type against the independent reference, filters
on columns against pandas, the allow-list, and values that stay values."""

from __future__ import annotations

from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pytest
from sqlglot import exp

from metric_layer.errors import QueryError
from metric_layer.query import DimensionFilter, FilterSyntaxError, MetricQuery
from metric_layer.where import null_condition, read_filter
from tests.unit.test_metric_values import (
    METRICS,
    Case,
    Reference,
    check,
    normalise,
)

START, END = date(2025, 6, 1), date(2025, 12, 31)


@pytest.fixture(scope="module")
def ref(medium_data) -> Reference:
    return Reference(medium_data.customers, medium_data.orders, medium_data.sessions)


def run(svc, name, grain, dims=(), where=(), filters=()) -> pd.DataFrame:
    query = MetricQuery(
        (name,), grain=grain, start=START, end=END, dimensions=dims, where=where, filters=filters
    )
    return normalise(svc.query(query).frame, name, dims)


@pytest.mark.parametrize("name", METRICS)
def test_a_sql_filter_over_dimensions_equals_the_reference(medium_service, medium_data, ref, name):
    """Every metric type, raw and rollup path: `region IN ('north')` as SQL means what the
    reference computes for that filter (retention by first activity included)."""
    dims = ("channel",) if name != "d1_retention" else ()
    c = Case("month", dims, {"region": ["north"]}, START, END, medium_data.today)
    got = run(medium_service, name, "month", dims, where=("region IN ('north')",))
    check(got, ref.metric(name, c))


def paid(ref: Reference) -> pd.DataFrame:
    o = ref.orders
    o = o[(o["status"] == "paid") & (o["day"] >= pd.Timestamp(START))]
    return o[o["day"] <= pd.Timestamp(END)].assign(
        period=lambda f: f["day"].dt.to_period("M").dt.start_time.dt.date
    )


def test_a_filter_on_columns_matches_pandas(medium_service, ref):
    where = ("amount > 100 AND platform IN ('ios', 'android')",)
    o = paid(ref)
    o = o[(o["amount"] > 100) & o["platform"].isin(["ios", "android"])]
    for name, want in (
        ("orders", o.groupby("period")["order_id"].count()),
        ("revenue", o.groupby("period")["amount"].sum()),
        ("buyers", o.groupby("period")["customer_id"].nunique()),
        ("aov", o.groupby("period")["amount"].sum() / o.groupby("period")["order_id"].count()),
    ):
        got = run(medium_service, name, "month", where=where).set_index("period")[name]
        np.testing.assert_allclose(got.to_numpy(), want.reindex(got.index).to_numpy(), rtol=1e-9)


def test_a_column_comparison_typed_as_a_dimension_filter(medium_service, ref):
    """`--where amount>=150`: amount is a column, not a dimension; it filters rows all the same."""
    got = run(
        medium_service, "orders", "month", filters=(DimensionFilter("amount", ">=", ("150",)),)
    )
    o = paid(ref)
    want = o[o["amount"] >= 150].groupby("period")["order_id"].count()
    assert got.set_index("period")["orders"].tolist() == want.astype(float).tolist()


def test_dimension_filters_stay_on_rollups_and_column_filters_say_why_not(request, small_spec):
    from metric_layer.service import MetricService
    from tests.conftest import NOW

    svc = MetricService(
        request.getfixturevalue("medium_rollup_warehouse"), small_spec, clock=lambda: NOW
    )
    dims_only = MetricQuery(("orders",), grain="month", where=("platform IN ('ios')",))
    assert svc.plan("orders", dims_only).source == "rollups"
    on_amount = MetricQuery(("orders",), grain="month", where=("amount > 100",))
    route = svc.plan("orders", on_amount)
    assert route.source == "raw" and "by amount read the raw tables" in route.describe()


@pytest.mark.parametrize(
    "where, words",
    [
        ("amount > 1 OR read_csv('x') IS NULL", "`READ_CSV('x')` is not allowed"),
        ("amount", "is not a condition"),
        ("amount > (SELECT 1)", "must not contain a subquery"),
        ("amount > 1; DROP TABLE raw.orders", "cannot parse"),
        ("amont > 100", "did you mean `amount`"),
        ("platform = ios", "a text value goes in single quotes: 'ios'"),
        ("visitors > 3", "neither a dimension of `orders` nor a column"),
        ("amount > 'abc'", "'abc' is not a number, and `amount` is a DOUBLE column"),
        ("amount IN (1, 'x')", "'x' is not a number"),
    ],
)
def test_filters_that_are_not_allowed_say_why(medium_service, where, words):
    with pytest.raises(QueryError, match=None) as raised:
        medium_service.query(MetricQuery(("orders",), grain="month", where=(where,)))
    assert words in str(raised.value), str(raised.value)


def test_a_filter_on_a_column_another_input_lacks_is_refused(medium_service):
    """conversion = buyers (orders) / visitors (sessions): sessions have no amount."""
    with pytest.raises(QueryError, match="`amount` is neither a dimension of `conversion`"):
        medium_service.query(MetricQuery(("conversion",), grain="month", where=("amount > 1",)))


def test_a_value_with_quotes_stays_a_value(medium_service, medium_warehouse):
    hostile = "platform = 'x'' OR 1=1; DROP TABLE raw.orders; --'"
    got = run(medium_service, "orders", "month", where=(hostile,))
    assert (got["orders"] == 0).all()
    assert "raw.orders" in medium_warehouse.table_columns()


@pytest.mark.parametrize(
    "text, want",
    [
        ("platform=ios", DimensionFilter("platform", "=", ("ios",))),
        ("region=North America", DimensionFilter("region", "=", ("North America",))),
        ("amount > 100 AND platform IN ('ios')", "amount > 100 AND platform IN ('ios')"),
        ("platform='ios'", "platform='ios'"),
    ],
)
def test_typed_filters_read_as_dimension_filters_or_sql(text, want):
    assert read_filter(text) == want


@pytest.mark.parametrize("text", ["country=", "country", "amount > 1 AND", "x IN (1"])
def test_typed_filters_that_read_as_neither_are_refused(text):
    with pytest.raises(FilterSyntaxError):
        read_filter(text)


@pytest.mark.parametrize("name", ["order", "Region", "first name"])
def test_a_null_test_quotes_its_dimension(name):
    """The Explorer's `is null` / `is not null` (dashboard/conditions.py): a dimension named like
    a keyword, with capitals or a space is an identifier, not SQL."""
    column = exp.to_identifier(name, quoted=True).sql(dialect="duckdb")
    sql = f"SELECT x AS {column} FROM (VALUES (NULL), (1)) AS v(x)"
    con = duckdb.connect()
    for negate, want in ((False, 1), (True, 1)):
        where = null_condition(name, negate=negate)
        assert con.execute(f"SELECT count(*) FROM ({sql}) WHERE {where}").fetchone() == (want,)
    assert null_condition(name) == f'"{name}" IS NULL'


def test_two_picks_of_one_dimension_name_it_as_first_spelled():
    from metric_layer.where import read_filters

    with pytest.raises(FilterSyntaxError) as err:
        read_filters(["Channel=ads", "channel = 'email'"])
    assert "each pick values of `Channel`" in str(err.value), str(err.value)


def test_a_comparison_reads_the_earlier_period_under_the_same_filter(medium_service, ref):
    """`--where amount>100 --compare previous`: both sides filtered, the earlier month too."""
    every = ref.orders[ref.orders["status"] == "paid"]
    o = every[every["amount"] > 100]
    want = o.groupby(o["day"].dt.to_period("M"))["order_id"].count()
    unfiltered = every.groupby(every["day"].dt.to_period("M"))["order_id"].count()
    query = MetricQuery(
        ("orders",),
        grain="month",
        start=START,
        end=END,
        where=("amount > 100",),
        compare="previous",
    )
    got = medium_service.query(query).frame
    periods = pd.PeriodIndex(pd.to_datetime(got["period"]), freq="M")
    assert got["orders"].tolist() == want.reindex(periods, fill_value=0).tolist()
    before = want.reindex(periods - 1, fill_value=0).tolist()
    assert got["orders__compare"].tolist() == before
    assert before != unfiltered.reindex(periods - 1, fill_value=0).tolist()  # the filter tells


@pytest.mark.parametrize("op", ["=", "!="])
def test_equals_with_two_values_is_either_of_them(medium_service, ref, op):
    """`platform=ios,android` is IN; `!=` is neither, rows without a platform kept."""
    got = run(
        medium_service,
        "orders",
        "month",
        filters=(DimensionFilter("platform", op, ("ios", "android")),),
    )
    o = paid(ref)
    either = o["platform"].isin(["ios", "android"])
    want = o[either if op == "=" else ~either].groupby("period")["order_id"].count()
    assert got.set_index("period")["orders"].tolist() == want.astype(float).tolist()


def test_a_total_compared_with_the_range_before_keeps_the_filter(medium_service, ref):
    """Grain `all`: the comparison is a second range, read under the same column filter."""
    every = ref.orders[ref.orders["status"] == "paid"]
    o = every[every["amount"] > 100]
    days = (END - START).days + 1
    before_start = pd.Timestamp(START) - pd.Timedelta(days=days)
    query = MetricQuery(
        ("orders",), grain="all", start=START, end=END, where=("amount > 100",), compare="previous"
    )
    got = medium_service.query(query).frame
    within = o["day"].between(pd.Timestamp(START), pd.Timestamp(END))
    earlier = (o["day"] >= before_start) & (o["day"] < pd.Timestamp(START))
    assert got["orders"].tolist() == [int(within.sum())]
    assert got["orders__compare"].tolist() == [int(earlier.sum())]
