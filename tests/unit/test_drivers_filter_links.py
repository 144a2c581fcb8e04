"""The Drivers page's link (dashboard.url_state.drivers_view) takes every filter the Explorer can
make: dimensions, columns of the rows counted and conditions, values of any text. Each round-trips
exactly; one the page cannot show is an error naming it, never dropped. The Explorer's "Why did it
move?" link (explanations.drivers_view_for) carries the Explorer's filters unchanged."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import quote, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.ranges import DayRange
from dashboard.conditions import Condition
from dashboard.explanations import drivers_view_for
from dashboard.url_state import UrlStateError, drivers_from_href, drivers_view, query_params
from dashboard.views import DRIVER_COMPARES, DRIVER_MAX_DAYS, DriversView, filter_text
from metric_layer.bounds import EARLIEST, LATEST
from metric_layer.query import DimensionFilter
from tests.unit.test_explorer_filter_links import COLUMNS, DIMS, HOSTILE, a_filter, explorer

METRICS = ("orders", "revenue", "buyers")
WEEK = DayRange(date(2026, 3, 9), date(2026, 3, 15))
BEFORE = DayRange(date(2026, 3, 2), date(2026, 3, 8))


def parse(href: str) -> DriversView:
    return drivers_from_href(
        href, metrics=METRICS, dimensions_of=lambda _m: DIMS, columns_of=lambda _m: COLUMNS
    )


def drivers(search: str) -> DriversView:
    return drivers_view(
        query_params(search),
        metrics=METRICS,
        dimensions_of=lambda _m: DIMS,
        columns_of=lambda _m: COLUMNS,
        default_metric="orders",
    )


@st.composite
def views(draw) -> DriversView:  # type: ignore[no-untyped-def]
    last = LATEST - timedelta(days=DRIVER_MAX_DAYS)
    start = draw(st.dates(min_value=EARLIEST, max_value=last))
    current = DayRange(start, start + timedelta(days=draw(st.integers(0, 400))))
    compare = draw(st.sampled_from(list(DRIVER_COMPARES)))
    return DriversView(
        metric=draw(st.none() | st.sampled_from(METRICS)),
        current=current,
        compare=compare,
        vs=DayRange(start, start) if compare == "custom" else None,
        as_of=draw(st.none() | st.just(date(2026, 3, 18))),
        filters=tuple(draw(st.lists(a_filter(), max_size=5))),
    )


@settings(max_examples=400, deadline=None)
@given(views())
def test_every_drivers_view_with_column_filters_and_conditions_round_trips(view) -> None:  # type: ignore[no-untyped-def]
    assert parse(view.href()) == view
    assert parse(parse(view.href()).href()) == view


@settings(max_examples=200, deadline=None)
@given(st.lists(a_filter(), min_size=1, max_size=5))
def test_the_explorer_why_link_carries_the_explorer_filters_exactly(filters) -> None:  # type: ignore[no-untyped-def]
    """The Explorer's filters (as its own link reads them) reach the Drivers view unchanged."""
    shown = explorer("?filters=" + quote(";".join(_texts(filters)), safe=""))
    link = drivers_view_for("orders", WEEK, BEFORE, shown.filters).href()
    assert parse(link).filters == shown.filters == tuple(filters)


def _texts(filters) -> list[str]:  # type: ignore[no-untyped-def]
    return [filter_text(f) for f in filters]


def test_hostile_values_stay_values() -> None:
    nasty = ("'; DROP TABLE raw.orders; --", "a;b", "x,y", "100%", " edge ", "1) OR (1=1")
    view = DriversView(
        "revenue",
        WEEK,
        filters=(
            DimensionFilter("status", "in", nasty),
            DimensionFilter("amount", ">", ("100",)),
            Condition("amount", "between", ("10", "20")),
            Condition("status", "is not null"),
            Condition("platform", "is null"),
        ),
    )
    assert parse(view.href()) == view
    query = urlsplit(view.href()).query
    assert "DROP" in query and ";" not in query.replace("%3B", "")  # separators escaped


@pytest.mark.parametrize(("search", "says"), [h for h in HOSTILE if "filters=" in h[0]])
def test_a_drivers_filter_the_page_cannot_show_is_an_error(search, says) -> None:  # type: ignore[no-untyped-def]
    """The Explorer's hostile filter links, on the Drivers page: the same message."""
    with pytest.raises(UrlStateError) as err:
        drivers("?metric=orders&" + search.lstrip("?"))
    assert says in str(err.value)
    assert len(str(err.value)) < 800  # a huge value is never echoed back


def test_column_filters_are_checked_against_the_metric_explained() -> None:
    """`amount` is a column of orders' rows, not of visitors' (sessions): named, never dropped."""
    columns = {"orders": ("amount", "status"), "visitors": ("started_at",)}
    dims = {"orders": ("platform", "size"), "visitors": ("platform",)}
    read = {"metrics": ("orders", "visitors"), "dimensions_of": dims.get, "columns_of": columns.get}
    view = drivers_view(
        query_params("?metric=orders&filters=" + quote("amount>100;amount:between=10,20")), **read
    )
    assert view.filters == (
        DimensionFilter("amount", ">", ("100",)),
        Condition("amount", "between", ("10", "20")),
    )
    for search in ("?metric=visitors&filters=amount%3E100", "?filters=amount%3Anotnull"):
        with pytest.raises(UrlStateError, match="'amount' is neither a dimension"):
            drivers_view(query_params(search), **read, default_metric="visitors")
