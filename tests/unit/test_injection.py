"""User input never becomes SQL text: filter values are literals, names must be known."""

from __future__ import annotations

from datetime import date

import pytest

from metric_layer.errors import QueryError
from metric_layer.query import DimensionFilter, MetricQuery

START, END = date(2025, 12, 15), date(2026, 1, 8)
EVIL_VALUES = [
    "ios' OR 1=1 --",
    "ios'; DROP TABLE raw.orders; --",
    "') OR ('1'='1",
    "ios\\' OR 1=1 --",
    'ios" OR "1"="1',
    "ios' UNION SELECT * FROM raw.customers --",
]
# one metric per type, each able to filter by platform
METRICS = ["orders", "revenue", "aov", "revenue_growth", "dau", "wau", "w1_retention", "visitors"]


def query(metric: str, *filters: DimensionFilter, dims: tuple[str, ...] = ()) -> MetricQuery:
    return MetricQuery(
        (metric,), grain="week", start=START, end=END, dimensions=dims, filters=filters
    )


def assert_tables_intact(small_service, small_data) -> None:
    rows = small_service.warehouse.rows("SELECT count(*) FROM raw.orders")
    assert rows == [(len(small_data.orders),)]


@pytest.mark.parametrize("value", EVIL_VALUES)
def test_filter_value_matches_nothing(small_service, small_data, value):
    f = DimensionFilter("platform", "=", (value,))
    frame = small_service.query(query("orders", f)).frame
    assert frame["orders"].tolist() == [0.0] * 4  # every week, no order matched
    broken = small_service.query(query("revenue", f, dims=("channel",))).frame
    assert broken.empty
    assert_tables_intact(small_service, small_data)


@pytest.mark.parametrize("metric", METRICS)
def test_filter_value_is_an_escaped_literal(small_service, metric):
    value = "ios' OR 1=1 --"
    sql = small_service.sql(metric, query(metric, DimensionFilter("platform", "=", (value,))))
    assert "'ios'' OR 1=1 --'" in sql
    assert "ios' OR" not in sql.replace("ios'' OR", "")


@pytest.mark.parametrize("op", ["!=", "in", "not in", ">", "<="])
def test_other_operators_bind_values_too(small_service, small_data, op):
    value = "ios' OR 1=1 --"
    f = DimensionFilter("platform", op, (value, "x') OR ('a'='a"))
    sql = small_service.sql("orders", query("orders", f))
    assert "'ios'' OR 1=1 --'" in sql
    small_service.query(query("orders", f))  # runs
    assert_tables_intact(small_service, small_data)


def test_not_equal_evil_value_keeps_real_rows(small_service):
    f = DimensionFilter("platform", "!=", ("ios' OR 1=1 --",))
    frame = small_service.query(query("orders", f)).frame
    # every paid order, o09 without a platform too ("not x" keeps rows with no value)
    assert frame["orders"].tolist() == [0, 1, 6, 3]


def test_parsed_filter_value_is_a_literal(small_service):
    f = DimensionFilter.parse("platform=ios' OR 1=1 --")
    assert f == DimensionFilter("platform", "=", ("ios' OR 1=1 --",))
    frame = small_service.query(query("orders", f)).frame
    assert frame["orders"].sum() == 0


BAD_DIMENSIONS = [
    "platform; DROP TABLE raw.orders",
    "1=1",
    "platform --",
    '"platform"',
    "platform OR 1=1",
    "t0.platform",
    "amount",  # a column, but not a dimension
    "raw.orders.platform",
    "",
]


@pytest.mark.parametrize("name", BAD_DIMENSIONS)
def test_unknown_dimension_is_refused(small_service, small_data, name):
    with pytest.raises(QueryError):
        small_service.query(query("orders", dims=(name,)))
    with pytest.raises(QueryError):
        small_service.query(query("orders", DimensionFilter(name, "=", ("ios",))))
    with pytest.raises(QueryError):
        small_service.sql("aov", query("aov", dims=(name,)))
    assert_tables_intact(small_service, small_data)


def test_dimension_of_another_model_is_refused(small_service):
    # sessions have no `size`; d1_retention's cohorts (customers) have no platform
    with pytest.raises(QueryError):
        small_service.query(query("visitors", dims=("size",)))
    with pytest.raises(QueryError):
        small_service.query(query("d1_retention", DimensionFilter("platform", "=", ("ios",))))


def test_qualified_dimension_is_allowed(small_service):
    frame = small_service.query(query("revenue", dims=("customers.channel",))).frame
    assert "customers.channel" in frame.columns
    assert frame["revenue"].sum() == pytest.approx(120 + 515 + 215)


@pytest.mark.parametrize(
    "name",
    ["nonexistent", "ORDERS", "orders; DROP TABLE raw.orders", "raw.orders", "1=1", "", "orders "],
)
def test_unknown_metric_is_refused(small_service, small_data, name):
    with pytest.raises(QueryError):
        small_service.query(query(name))
    with pytest.raises(QueryError):
        small_service.sql(name, query(name))
    assert_tables_intact(small_service, small_data)


def test_no_metric_is_refused(small_service):
    with pytest.raises(QueryError):
        small_service.query(MetricQuery((), grain="week", start=START, end=END))


@pytest.mark.parametrize(
    ("field", "value"), [("grain", "week'; DROP TABLE raw.orders; --"), ("compare", "1=1")]
)
def test_unknown_grain_or_comparison_is_refused(small_service, small_data, field, value):
    kwargs = {"grain": "week", field: value}
    with pytest.raises(ValueError):
        small_service.query(MetricQuery(("orders",), start=START, end=END, **kwargs))
    assert_tables_intact(small_service, small_data)
