"""What a user types for a query is read strictly: filters, names and breakdowns that would
quietly match nothing or come back as a stray column are refused, with the syntax or the
closest name. The rules live in the metric layer, so the CLI and the app's URLs share them."""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
import pytest
from test_cli import cli_env, run

from metric_layer.errors import QueryError
from metric_layer.query import FILTER_SYNTAX, DimensionFilter, FilterSyntaxError, MetricQuery

START, END = date(2025, 12, 15), date(2026, 1, 8)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("country=BR", DimensionFilter("country", "=", ("BR",))),
        (" country = BR ", DimensionFilter("country", "=", ("BR",))),
        ("country=BR,AR", DimensionFilter("country", "in", ("BR", "AR"))),
        ("country!=BR", DimensionFilter("country", "!=", ("BR",))),
        ("country!=BR, AR", DimensionFilter("country", "not in", ("BR", "AR"))),
        ("amount>10", DimensionFilter("amount", ">", ("10",))),
        ("amount>=10", DimensionFilter("amount", ">=", ("10",))),
        ("amount<10", DimensionFilter("amount", "<", ("10",))),
        ("amount<=10", DimensionFilter("amount", "<=", ("10",))),
        ("note=a=b", DimensionFilter("note", "=", ("a=b",))),  # only the first operator counts
    ],
)
def test_filter_syntax_that_reads(text, expected):
    assert DimensionFilter.parse(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("country==BR", "`==` is not an operator"),
        ("country=>BR", "`=>` is not an operator"),
        ("amount=<5", "`=<` is not an operator"),
        ("country!==BR", "`!==` is not an operator"),
        ("country=", "empty value"),
        ("country= ", "empty value"),
        ("country!=", "empty value"),
        ("amount>=", "empty value"),
        ("country=BR,", "empty value"),
        ("country=BR,,AR", "empty value"),
        ("=BR", "no dimension name before the operator"),
        (" !=BR", "no dimension name before the operator"),
        ("country", "no operator"),
        ("", "no operator"),
        ("country!BR", "no operator"),
        ("amount>1,2", "`>` compares with one value"),
    ],
)
def test_filter_syntax_that_does_not_read_is_refused_with_the_syntax(text, problem):
    with pytest.raises(FilterSyntaxError) as raised:
        DimensionFilter.parse(text)
    assert str(raised.value) == f"filter {text!r}: {problem}; write {FILTER_SYNTAX}"
    assert isinstance(raised.value, QueryError) and isinstance(raised.value, ValueError)


def test_repeated_breakdown_or_metric_is_refused():
    with pytest.raises(QueryError, match="breakdown `channel` is asked for twice"):
        MetricQuery(("orders",), dimensions=("channel", "platform", "channel"))
    with pytest.raises(QueryError, match="metric `orders` is asked for twice"):
        MetricQuery(("orders", "revenue", "orders"))


def test_unknown_metric_suggests_the_closest(small_service):
    with pytest.raises(QueryError) as raised:
        small_service.query(MetricQuery(("orderz",), start=START, end=END))
    assert str(raised.value) == (
        "unknown metric `orderz`; did you mean `orders`? run `northstar metrics` to list them"
    )
    with pytest.raises(QueryError) as raised:
        small_service.query(MetricQuery(("zzzz",), start=START, end=END))
    assert "did you mean" not in str(raised.value)


def test_dimension_suggestion_follows_the_name_style(small_service):
    """A plain name gets a plain suggestion (`customer_id` is not `customers.region`)."""
    query = MetricQuery(("revenue",), start=START, end=END, dimensions=("customers.chanel",))
    with pytest.raises(QueryError) as raised:
        small_service.query(query)
    assert "did you mean `customers.channel`?" in str(raised.value)
    query = MetricQuery(("revenue",), start=START, end=END, dimensions=("customer",))
    with pytest.raises(QueryError) as raised:
        small_service.query(query)
    assert "did you mean `customers." not in str(raised.value)


@pytest.mark.parametrize("where", ["breakdown", "filter"])
def test_unknown_dimension_suggests_the_closest(small_service, where):
    if where == "breakdown":
        query = MetricQuery(("revenue",), start=START, end=END, dimensions=("chanel",))
    else:
        query = MetricQuery(
            ("revenue",),
            start=START,
            end=END,
            filters=(DimensionFilter("platfrom", "=", ("ios",)),),
        )
    with pytest.raises(QueryError) as raised:
        small_service.query(query)
    name, close = ("chanel", "channel") if where == "breakdown" else ("platfrom", "platform")
    assert str(raised.value).startswith(
        f"metric `revenue` cannot be broken down or filtered by `{name}`; did you mean `{close}`? "
        "its dimensions: "
    )


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    return cli_env(tmp_path_factory.mktemp("query-input"))


@pytest.mark.parametrize("where", ["platform==ios", "platform=", "platform=ios,", "=ios"])
def test_cli_refuses_filters_that_would_match_nothing(env, where):
    result = run(["query", "orders", "--where", where], env)
    assert result.exit_code == 2
    assert result.stderr.strip().startswith(f"filter {where!r}: ")
    assert f"; write {FILTER_SYNTAX}, or a condition over dimensions" in result.stderr
    assert result.stdout == ""


def test_cli_unknown_metric_suggests_the_closest(env):
    result = run(["query", "orderz"], env)
    assert result.exit_code == 2
    assert "unknown metric `orderz`; did you mean `orders`?" in result.stderr


def test_cli_repeated_breakdown_is_refused_not_a_channel_1_column(env):
    args = ["query", "revenue", "--by", "channel", "--by", "channel", "--format", "csv"]
    result = run([*args, "--from", "2026-01-01", "--to", "2026-01-31", "--grain", "month"], env)
    assert result.exit_code == 2
    assert result.stderr.strip() == "breakdown `channel` is asked for twice; list each once"
    assert "channel_1" not in result.output


def test_cli_valid_filter_still_filters(env):
    args = ["query", "orders", "--where", "platform!=web", "--format", "csv", "--grain", "month"]
    result = run(
        [*args, "--from", "2026-01-01", "--to", "2026-01-31", "--as-of", "2026-02-01"], env
    )
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(io.StringIO(result.stdout))
    # By hand: January's paid orders not on web are orders 1 and 3 (both ios).
    assert frame["orders"].tolist() == [2]
