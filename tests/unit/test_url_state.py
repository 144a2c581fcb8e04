"""The URL schema (dashboard.url_state): what a page can show round-trips through its link
exactly; what it cannot is an error, never a silent default."""

from __future__ import annotations

from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.ranges import DayRange
from dashboard.url_state import (
    UrlStateError,
    catalog_view,
    drivers_from_href,
    drivers_view,
    explorer_from_href,
    explorer_view,
    grain_view,
    query_params,
    review_view,
)
from dashboard.views import (
    CHARTS,
    COMPARES,
    DRIVER_COMPARES,
    DRIVER_MAX_DAYS,
    GRAINS,
    RANGES,
    DriversView,
    ExplorerView,
    GrainView,
    ReviewView,
    equality_filter,
)
from metric_layer.bounds import EARLIEST, LATEST
from metric_layer.query import DimensionFilter

DIMS = ("platform", "channel", "size", "customers.channel")


def parse(href: str) -> ExplorerView:
    return explorer_from_href(href, dimensions_of=lambda _m: DIMS)


def explorer(search: str, metric: str = "orders") -> ExplorerView:
    return explorer_view(metric, query_params(search), dimensions=DIMS)


days = st.dates(min_value=EARLIEST, max_value=LATEST)
values = st.text(min_size=1, max_size=12)


@st.composite
def filters(draw) -> DimensionFilter:  # type: ignore[no-untyped-def]
    dim = draw(st.sampled_from(DIMS))
    if draw(st.booleans()):
        op = draw(st.sampled_from((">", ">=", "<", "<=")))
        return DimensionFilter(dim, op, (draw(values),))
    picked = draw(st.lists(values, min_size=1, max_size=4, unique=True))
    return equality_filter(dim, draw(st.booleans()), tuple(picked))


@st.composite
def explorer_views(draw) -> ExplorerView:  # type: ignore[no-untyped-def]
    range_ = draw(st.sampled_from(list(RANGES)))
    start = end = None
    if range_ == "custom":
        start, end = sorted((draw(days), draw(days)))
    return ExplorerView(
        metric=draw(st.sampled_from(("orders", "revenue", "d1_retention"))),
        grain=draw(st.sampled_from(GRAINS)),
        range=range_,
        start=start,
        end=end,
        compare=draw(st.sampled_from(list(COMPARES))),
        by=draw(st.none() | st.sampled_from(DIMS)),
        chart=draw(st.sampled_from(CHARTS)),
        top=draw(st.integers(1, 20)),
        filters=tuple(draw(st.lists(filters(), max_size=4))),
        as_of=draw(st.none() | days),
    )


@settings(max_examples=300, deadline=None)
@given(explorer_views())
def test_every_explorer_view_round_trips_through_its_link(view: ExplorerView) -> None:
    assert parse(view.href()) == view


@settings(max_examples=100, deadline=None)
@given(
    st.none() | st.sampled_from(GRAINS),
    st.none() | days,
    st.text(max_size=30),
    st.integers(3, 600),
)
def test_other_pages_round_trip(grain, as_of, text, interval) -> None:  # type: ignore[no-untyped-def]
    for path in ("/", "/tree"):
        view = GrainView(path, grain, as_of)
        assert grain_view(path, query_params(urlsplit(view.href()).query)) == view
    review = ReviewView(text, interval, grain, as_of)
    assert review_view(query_params(urlsplit(review.href()).query)) == review
    catalog = catalog_view({"q": text, "as_of": as_of.isoformat() if as_of else None})
    assert catalog.q == text and catalog.as_of == as_of
    assert catalog_view(query_params(urlsplit(catalog.href()).query)) == catalog


METRICS = ("orders", "revenue", "buyers")


@st.composite
def day_ranges(draw) -> DayRange:  # type: ignore[no-untyped-def]
    start = draw(st.dates(min_value=EARLIEST, max_value=LATEST - timedelta(days=DRIVER_MAX_DAYS)))
    return DayRange(start, start + timedelta(days=draw(st.integers(0, DRIVER_MAX_DAYS - 1))))


@st.composite
def drivers_views(draw) -> DriversView:  # type: ignore[no-untyped-def]
    compare = draw(st.sampled_from(list(DRIVER_COMPARES)))
    return DriversView(
        metric=draw(st.none() | st.sampled_from(METRICS)),
        current=draw(st.none() | day_ranges()),
        compare=compare,
        vs=draw(day_ranges()) if compare == "custom" else None,
        as_of=draw(st.none() | days),
        filters=tuple(draw(st.lists(filters(), max_size=3))),
    )


@settings(max_examples=300, deadline=None)
@given(drivers_views())
def test_every_drivers_view_round_trips_through_its_link(view: DriversView) -> None:
    assert drivers_from_href(view.href(), metrics=METRICS, dimensions_of=lambda _m: DIMS) == view
    assert drivers_view(query_params(urlsplit(view.href()).query)) == view


def test_drivers_filters_are_checked_against_the_metric_explained() -> None:
    """The Explorer's "Why" link keeps its filters; one the metric cannot take is named."""
    dims = {"orders": ("platform", "size"), "buyers": ("platform",)}
    view = drivers_view(
        query_params("?metric=orders&filters=platform%3Dweb%3Bsize!%3Dlarge"),
        metrics=METRICS,
        dimensions_of=dims.__getitem__,
    )
    assert view.filters == (
        DimensionFilter("platform", "=", ("web",)),
        DimensionFilter("size", "!=", ("large",)),
    )
    for search, default in (
        ("?metric=buyers&filters=size%3Dlarge", None),
        ("?filters=size%3Dx", "buyers"),
    ):
        with pytest.raises(UrlStateError, match="'size' is not a dimension of this metric"):
            drivers_view(
                query_params(search),
                metrics=METRICS,
                dimensions_of=dims.__getitem__,
                default_metric=default,
            )


def test_drivers_link_reads_as_written() -> None:
    search = "?metric=buyers&from=2026-03-09&to=2026-03-15&compare=custom"
    search += "&vs_from=2026-03-02&vs_to=2026-03-08&as_of=2026-03-18&utm_source=mail"
    view = drivers_view(query_params(search), metrics=METRICS)
    week, before = (
        DayRange(date(2026, 3, 9), date(2026, 3, 15)),
        DayRange(date(2026, 3, 2), date(2026, 3, 8)),
    )
    assert view == DriversView("buyers", week, "custom", before, date(2026, 3, 18))
    assert view.baseline == before
    assert drivers_view({}) == DriversView()  # the page fills in its defaults
    previous = drivers_view(query_params("?from=2026-03-09&to=2026-03-15"))
    assert previous.baseline == before


@pytest.mark.parametrize(
    ("search", "says"),
    [
        ("?compare=sideways&compare=previous", "`compare` is given 2 times"),
        ("?metric=a&metric=b", "`metric` is given 2 times"),
        ("?compare=sideways", "`compare` must be one of previous, last_year, custom"),
        ("?metric=nope", "there is no metric called 'nope'"),
        ("?from=x&to=2026-01-01", "`from`: write days as YYYY-MM-DD"),
        ("?from=2026-02-30&to=2026-03-01", "not a day of the calendar"),
        ("?from=0001-01-01&to=0001-01-07", "outside 1900-01-01..2999-12-31"),
        ("?from=2026-03-09", "a range needs both from and to"),
        ("?from=2026-03-09&to=2026-03-01", "from 2026-03-09 is after to 2026-03-01"),
        ("?from=2020-01-01&to=2026-01-01", "pick at most 1098"),
        ("?compare=custom", "compare=custom needs vs_from and vs_to"),
        ("?compare=previous&vs_from=2026-01-01&vs_to=2026-01-07", "only to compare=custom"),
        ("?compare=custom&vs_from=2026-01-01", "needs both vs_from and vs_to"),
        ("?as_of=yesterday", "`as_of`: write days as YYYY-MM-DD"),
    ],
)
def test_what_the_drivers_page_cannot_show_is_an_error(search: str, says: str) -> None:
    with pytest.raises(UrlStateError) as err:
        drivers_view(query_params(search), metrics=METRICS)
    assert says in str(err.value)


def test_a_drivers_store_that_is_not_a_drivers_link_is_an_error() -> None:
    for junk in (None, 3, {"metric": "orders"}, ["/drivers"], "drivers", "/tree?metric=orders"):
        with pytest.raises(UrlStateError):
            drivers_from_href(junk, metrics=METRICS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the links: each kept exactly as written
        ("platform!=ios", DimensionFilter("platform", "!=", ("ios",))),
        ("platform>ios", DimensionFilter("platform", ">", ("ios",))),
        ("channel!=ads,email", DimensionFilter("channel", "not in", ("ads", "email"))),
        ("platform=IOS", DimensionFilter("platform", "=", ("IOS",))),
        ("channel=ads,email", DimensionFilter("channel", "in", ("ads", "email"))),
        ("size<=large", DimensionFilter("size", "<=", ("large",))),
    ],
)
def test_filters_in_a_link_keep_their_meaning(text: str, expected: DimensionFilter) -> None:
    view = explorer("?" + "filters=" + text.replace("=", "%3D").replace("!", "%21"))
    assert view.filters == (expected,)
    assert explorer(urlsplit(view.href()).query) == view


def test_several_filters_keep_their_order() -> None:
    view = explorer("?filters=channel%21%3Dads%2Cemail%3Bplatform%3Dios")
    assert view.filters == (
        DimensionFilter("channel", "not in", ("ads", "email")),
        DimensionFilter("platform", "=", ("ios",)),
    )


@pytest.mark.parametrize(
    ("search", "says"),
    [
        ("?interval=1&interval=2", "`interval` is given 2 times"),
        ("?grain=day&grain=week", "`grain` is given 2 times"),
        ("?filters=a%3Db&filters=c%3Dd", "`filters` is given 2 times"),
        ("?top=-", "`top` must be a whole number from 1 to 20"),
        ("?top=٣", "`top` must be a whole number"),
        ("?top=21", "from 1 to 20"),
        ("?grain=fortnight", "`grain` must be one of"),
        ("?range=custom&start=0001-01-01&end=2026-01-01", "outside 1900-01-01..2999-12-31"),
        ("?range=custom&start=2026-02-30&end=2026-03-01", "not a day of the calendar"),
        ("?range=custom&start=20260101&end=2026-03-01", "write days as YYYY-MM-DD"),
        ("?range=custom&start=2026-03-01&end=2026-01-01", "is after end"),
        ("?range=custom", "needs both start and end"),
        ("?range=4w&start=2026-01-01&end=2026-02-01", "apply only to range=custom"),
        ("?filters=platform%3D%3Dios", "filter 'platform==ios': `==` is not an operator"),
        ("?filters=platform%3D", "platform="),
        ("?filters=colour%3Dred", "is not a dimension of this metric"),
        ("?filters=platform%3Dios%3B", "filter ''"),
        ("?by=colour", "cannot break down by 'colour'"),
        ("?as_of=yesterday", "`as_of`: write days as YYYY-MM-DD"),
        ("?as_of=1000-01-01", "outside"),
    ],
)
def test_what_a_page_cannot_show_is_an_error(search: str, says: str) -> None:
    key = search.split("=")[0].lstrip("?")
    with pytest.raises(UrlStateError) as err:
        if key == "interval":
            review_view(query_params(search))
        else:
            explorer(search)
    assert says in str(err.value)


def test_every_problem_is_listed_and_huge_values_are_not_echoed() -> None:
    with pytest.raises(UrlStateError) as err:
        explorer("?grain=x&compare=y&top=0&chart=" + "z" * 10_000)
    assert len(err.value.problems) == 4
    assert len(str(err.value)) < 600


def test_empty_values_mean_not_given_and_unknown_keys_are_ignored() -> None:
    view = explorer("?grain=&filters=&utm_source=mail")
    assert view == ExplorerView("orders")
    assert explorer("?start=2026-01-01&end=2026-01-31").range == "custom"


def test_as_of_goes_into_the_query() -> None:
    view = explorer("?as_of=2025-06-30&range=4w")
    query = view.to_query(date(2025, 6, 30))
    assert query.as_of == date(2025, 6, 30)
    assert query.end == date(2025, 6, 30) and query.start == date(2025, 6, 9)
    assert "as_of=2025-06-30" in view.href()


def test_a_store_that_is_not_a_link_is_an_error() -> None:
    for junk in (None, 3, {"metric": "orders"}, ["/metric/orders"], "metric/orders", "/tree?x=1"):
        with pytest.raises(UrlStateError):
            parse(junk)  # type: ignore[arg-type]
    assert parse("/metric/orders?grain=day&range=4w&compare=none").grain == "day"
    assert parse(ExplorerView("orders", as_of=date(2026, 1, 1) + timedelta(days=1)).href()).as_of
