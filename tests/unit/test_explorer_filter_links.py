"""The Explorer's grain `all` and filter builder in its link (dashboard.url_state, .conditions,
.explorer_filters): every view the builder can make round-trips exactly, the `filters=` links
written before it keep their meaning, and hostile links are errors that say what is wrong."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote, urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.conditions import Condition, query_parts
from dashboard.explorer_filters import NUMBER_OPS, TEXT_OPS, FilterName, built_filter
from dashboard.url_state import UrlStateError, explorer_from_href, explorer_view, query_params
from dashboard.views import COMPARES, EXPLORER_GRAINS, RANGES, ExplorerView, equality_filter
from metric_layer.bounds import EARLIEST, LATEST
from metric_layer.query import DimensionFilter
from metric_layer.where import parse_where

DIMS = ("platform", "channel", "size", "customers.channel")
COLUMNS = ("amount", "status", "order_id", "coupon")


def parse(href: str) -> ExplorerView:
    return explorer_from_href(href, dimensions_of=lambda _m: DIMS, columns_of=lambda _m: COLUMNS)


def explorer(search: str) -> ExplorerView:
    return explorer_view("orders", query_params(search), dimensions=DIMS, columns=COLUMNS)


# Any text a value may hold, SQL and the link's own separators included.
values = st.text(min_size=1, max_size=12) | st.sampled_from(
    ["'; DROP TABLE x; --", "a'b", '"q"', "1) OR (1=1", "%3B", "a;b", "x,y", " edge ", "100"]
)
numbers = st.integers(-(10**12), 10**12).map(str) | st.floats(
    allow_nan=False, allow_infinity=False, width=32
).map(repr)


@st.composite
def a_filter(draw):  # type: ignore[no-untyped-def]
    name = draw(st.sampled_from(DIMS + COLUMNS))
    kind = draw(st.sampled_from(("eq", "cmp", "between", "null")))
    if kind == "eq":
        picked = tuple(draw(st.lists(values, min_size=1, max_size=4, unique=True)))
        return equality_filter(name, draw(st.booleans()), picked)
    if kind == "cmp":
        return DimensionFilter(name, draw(st.sampled_from((">", ">=", "<", "<="))), (draw(values),))
    if kind == "between":
        return Condition(name, "between", (draw(numbers | values), draw(numbers | values)))
    return Condition(name, draw(st.sampled_from(("is null", "is not null"))))


@st.composite
def views(draw) -> ExplorerView:  # type: ignore[no-untyped-def]
    range_ = draw(st.sampled_from(list(RANGES)))
    start = end = None
    if range_ == "custom":
        days = st.dates(min_value=EARLIEST, max_value=LATEST)
        start, end = sorted(draw(st.lists(days, min_size=2, max_size=2)))
    return ExplorerView(
        metric="orders",
        grain=draw(st.sampled_from(EXPLORER_GRAINS)),
        range=range_,
        start=start,
        end=end,
        compare=draw(st.sampled_from(list(COMPARES))),
        by=draw(st.none() | st.sampled_from(DIMS)),
        filters=tuple(draw(st.lists(a_filter(), max_size=5))),
    )


@settings(max_examples=400, deadline=None)
@given(views())
def test_every_view_with_grain_all_and_conditions_round_trips_exactly(view) -> None:  # type: ignore[no-untyped-def]
    assert parse(view.href()) == view
    assert parse(parse(view.href()).href()) == view  # and its own link again


def test_grain_all_is_in_the_link_and_in_the_query() -> None:
    view = explorer("?grain=all&range=custom&start=2026-01-01&end=2026-01-31&compare=last_year")
    assert view.grain == "all"
    assert "grain=all" in view.href()
    query = view.to_query(date(2026, 3, 18))
    assert (query.grain, query.start, query.end) == ("all", date(2026, 1, 1), date(2026, 1, 31))


def test_links_written_before_the_builder_read_exactly_as_before() -> None:
    view = explorer(
        "?filters=" + quote("platform!=ios;channel!=ads,email;size>large;platform=a%3Bb")
    )
    assert view.filters == (
        DimensionFilter("platform", "!=", ("ios",)),
        DimensionFilter("channel", "not in", ("ads", "email")),
        DimensionFilter("size", ">", ("large",)),
        DimensionFilter("platform", "=", ("a;b",)),
    )
    assert "filters=platform%21%3Dios%3Bchannel%21%3Dads%2Cemail%3Bsize%3Elarge" in view.href()


def test_conditions_read_as_written() -> None:
    view = explorer("?filters=" + quote("amount:between=10,20.5;coupon:null;status:notnull"))
    assert view.filters == (
        Condition("amount", "between", ("10", "20.5")),
        Condition("coupon", "is null"),
        Condition("status", "is not null"),
    )


def test_conditions_become_typed_filters_and_sqlglot_built_where() -> None:
    filters, where = query_parts(
        (
            DimensionFilter("platform", "=", ("ios",)),
            Condition("amount", "between", ("10", "20")),
            Condition('co"upon', "is not null"),
        )
    )
    assert filters == (
        DimensionFilter("platform", "=", ("ios",)),
        DimensionFilter("amount", ">=", ("10",)),
        DimensionFilter("amount", "<=", ("20",)),
    )
    assert where == ('NOT "co""upon" IS NULL',)  # a name is a quoted identifier, never SQL
    parse_where(where[0])  # and passes the metric layer's allow-list


HOSTILE = [
    ("?filters=a%3Db&filters=c%3Dd", "`filters` is given 2 times"),
    ("?grain=all&grain=week", "`grain` is given 2 times"),
    ("?grain=ALL", "`grain` must be one of"),
    ("?grain=all%00", "`grain` must be one of"),
    ("?filters=" + "x" * 3000, "`filters` is longer than 2000 characters"),
    ("?filters=colour%3Dred", "is neither a dimension of this metric"),
    ("?filters=" + quote("amount:between=1"), "takes two values"),
    ("?filters=" + quote("amount:between=1,2,3"), "takes two values"),
    ("?filters=" + quote("amount:between=,2"), "takes two values"),
    ("?filters=" + quote("amount:null=1"), "takes no value"),
    ("?filters=" + quote("amount:like=%x%"), "is not a condition"),
    ("?filters=" + quote(":null"), "name a column before"),
    ("?filters=" + quote("nope:null"), "'nope' is neither a dimension"),
    ("?filters=" + quote("amount>1,2"), "`>` compares with one value"),
    ("?filters=" + quote("amount=1) OR (1=1"), "one operator"),
    ("?filters=" + quote("platform='ios' OR 1=1"), "one operator"),
    ("?filters=" + quote("amount;"), "no operator"),
]


@pytest.mark.parametrize(("search", "says"), HOSTILE)
def test_a_link_the_page_cannot_show_is_an_error_naming_the_problem(search, says) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UrlStateError) as err:
        explorer(search)
    assert says in str(err.value)
    assert len(str(err.value)) < 800  # a huge value is never echoed back


def test_sql_looking_values_are_values() -> None:
    text = "'; DROP TABLE raw.orders; --"
    view = explorer("?" + urlencode({"filters": f"status={text.replace(';', '%3B')}"}))
    assert view.filters == (DimensionFilter("status", "=", (text,)),)
    assert parse(view.href()) == view
    query = view.to_query(date(2026, 3, 18))
    assert query.filters == (DimensionFilter("status", "=", (text,)),) and query.where == ()


def test_a_metric_without_columns_refuses_column_filters() -> None:
    with pytest.raises(UrlStateError, match="is not a dimension of this metric"):
        explorer_view("orders", {"filters": "amount>1"}, dimensions=DIMS)


AMOUNT = FilterName("amount", "number", False)
PLATFORM = FilterName("platform", "text", True)


def test_the_builder_makes_the_filter_a_link_reads_back() -> None:
    cases = [
        (PLATFORM, "in", ["ios"], None, None, DimensionFilter("platform", "=", ("ios",))),
        (PLATFORM, "not in", ["ios", "web"], None, None, equality_filter("platform", True, ("ios", "web"))),
        (AMOUNT, ">", None, 100, None, DimensionFilter("amount", ">", ("100",))),
        (AMOUNT, "<=", None, 12.5, None, DimensionFilter("amount", "<=", ("12.5",))),
        (AMOUNT, ">=", None, "7", None, DimensionFilter("amount", ">=", ("7",))),
        (AMOUNT, "between", None, 10, 20.0, Condition("amount", "between", ("10", "20"))),
        (AMOUNT, "is null", None, None, None, Condition("amount", "is null")),
        (PLATFORM, "is not null", ["x"], None, None, Condition("platform", "is not null")),
    ]  # fmt: skip
    for name, op, vals, lo, hi, expected in cases:
        built = built_filter(name, op, vals, lo, hi)
        assert built == expected
        view = ExplorerView("orders", grain="all", filters=(built,))
        assert parse(view.href()) == view


@pytest.mark.parametrize(
    ("name", "op", "vals", "lo", "hi", "says"),
    [
        (AMOUNT, "in", None, 1, None, "pick an operator"),  # a text operator on a number
        (PLATFORM, ">", ["a"], None, None, "pick an operator"),
        (PLATFORM, "in", [], None, None, "pick one or more values"),
        (PLATFORM, "in", "ios", None, None, "pick one or more values"),
        (PLATFORM, "in", [""], None, None, "1 to 200 characters"),
        (PLATFORM, "in", ["x" * 201], None, None, "1 to 200 characters"),
        (AMOUNT, ">", None, None, None, "type a number"),
        (AMOUNT, ">", None, "abc", None, "must be a number, not 'abc'"),
        (AMOUNT, ">", None, True, None, "type a number"),
        (AMOUNT, ">", None, float("inf"), None, "finite"),
        (AMOUNT, "between", None, 5, None, "type a number for the upper end"),
        (AMOUNT, "between", None, 20, 10, "put the smaller first"),
        (AMOUNT, ["between"], None, 1, 2, "pick an operator"),
    ],
)
def test_the_builder_says_what_is_missing(name, op, vals, lo, hi, says) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(UrlStateError, match=says):
        built_filter(name, op, vals, lo, hi)


def test_each_kind_offers_only_its_operators() -> None:
    assert set(TEXT_OPS) == {"in", "not in", "is null", "is not null"}
    assert {">", ">=", "<", "<=", "between"} <= set(NUMBER_OPS) and "in" not in NUMBER_OPS


def test_why_at_grain_all_compares_the_range_with_the_days_the_metric_layer_does() -> None:
    from analysis.ranges import DayRange
    from dashboard.explanations import compare_words, range_ranges

    lo, hi = date(2025, 12, 1), date(2026, 3, 1)  # exclusive end, as MetricFrame.end
    assert range_ranges(lo, hi, "previous") == (
        DayRange(date(2025, 12, 1), date(2026, 2, 28)),
        DayRange(date(2025, 9, 2), date(2025, 11, 30)),  # the same 90 days just before
    )
    assert range_ranges(lo, hi, "last_year")[1] == DayRange(date(2024, 12, 1), date(2025, 2, 28))
    assert compare_words("all", "previous") == "vs the days before"
