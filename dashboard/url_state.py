"""The one schema for what pages keep in their address: types, bounds and repeated keys.

Every page's layout and every callback that reads a page's store parse through here, so the rules
are the same everywhere: an empty value means "not given"; a key given twice, a value of the wrong
type or out of bounds, or a filter the page cannot show exactly is a `UrlStateError` listing every
problem (pages show it in place); keys no page uses are ignored (tracking parameters). What parses
round-trips: `parse(view.href()) == view` for every view a page can show. Reading typed values
out of the parameters is url_params.py's; each page's view is built here.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from urllib.parse import unquote

from dashboard.url_params import (  # noqa: F401  (pages and tests import some from here)
    Params,
    Reader,
    UrlStateError,
    page_location,
    query_params,
    quoted,
    split_href,
)
from dashboard.views import (
    CHARTS,
    COMPARES,
    DRIVER_COMPARES,
    EXPLORER_GRAINS,
    GRAINS,
    RANGES,
    TOP_DEFAULT,
    TOP_MAX,
    TOP_MIN,
    AlertsView,
    CatalogView,
    DriversView,
    ExplorerView,
    GrainView,
    OkrsView,
    ReviewView,
)
from okrs.quarters import Quarter, QuarterError
from reviews.errors import ReviewError
from reviews.weeks import IsoWeek


def explorer_view(
    metric: str,
    params: Params,
    *,
    default_grain: str = "week",
    dimensions: Collection[str] | None = None,
    columns: Collection[str] | None = None,
) -> ExplorerView:
    """The Explorer's view of `metric` from its query parameters; dimensions (the metric's) when
    given are checked for `by` and filters, whose names may also be `columns` (of the rows the
    metric counts) when given."""
    r = Reader(params)
    grain = r.choice("grain", EXPLORER_GRAINS, default_grain) or default_grain
    range_ = r.choice("range", RANGES, None)
    start, end = r.day("start"), r.day("end")
    if range_ is None:
        range_ = "custom" if start or end else "13w"
    if range_ == "custom" and not r.problems:
        if not (start and end):
            r.problems.append("a custom range needs both start and end (YYYY-MM-DD)")
        elif start > end:
            r.problems.append(f"start {start} is after end {end}")
    elif range_ != "custom" and (start or end):
        r.problems.append(f"start and end apply only to range=custom, not range={range_}")
        start = end = None
    by = r.text("by", 100)
    if by and dimensions is not None and by not in dimensions:
        known = ", ".join(sorted(d for d in dimensions if "." not in d)) or "none"
        r.problems.append(f"cannot break down by {quoted(by)}; dimensions: {known}")
    view = ExplorerView(
        metric=metric,
        grain=grain,
        range=range_,
        start=start,
        end=end,
        compare=r.choice("compare", COMPARES, "previous") or "previous",
        by=by,
        chart=r.choice("chart", CHARTS, "lines") or "lines",
        top=r.whole("top", TOP_MIN, TOP_MAX, TOP_DEFAULT),
        filters=r.filters("filters", dimensions, columns, conditions=True),
        as_of=r.day("as_of"),
    )
    r.done()
    return view


def explorer_from_href(
    href: object, *, default_grain: str = "week", dimensions_of=None, columns_of=None
) -> ExplorerView:  # type: ignore[no-untyped-def]
    """The Explorer's store (an href) → its view; dimensions_of(metric) lists a metric's
    dimensions, columns_of(metric) the columns its filters may also name."""
    path, params = split_href(href)
    prefix = "/metric/"
    if not path.startswith(prefix) or "/" in path[len(prefix) :]:
        raise UrlStateError(["the page's state is not an Explorer link; reload the page"])
    metric = path[len(prefix) :]
    dims = dimensions_of(metric) if dimensions_of else None
    columns = columns_of(metric) if columns_of else None
    return explorer_view(
        metric, params, default_grain=default_grain, dimensions=dims, columns=columns
    )


def grain_view(path: str, params: Params) -> GrainView:
    """Overview and Tree: `?grain=` (default: the North Star's) and `?as_of=`."""
    r = Reader(params)
    view = GrainView(path, r.choice("grain", GRAINS, None), r.day("as_of"))
    r.done()
    return view


def grain_from_href(href: object) -> GrainView:
    path, params = split_href(href)
    return grain_view(path, params)


def review_view(params: Params) -> ReviewView:
    r = Reader(params)
    view = ReviewView(
        slides=r.text("slides", 500) or "",
        interval=r.whole("interval", 3, 600, 20),
        grain=r.choice("grain", GRAINS, None),
        as_of=r.day("as_of"),
    )
    r.done()
    return view


def review_from_href(href: object) -> ReviewView:
    path, params = split_href(href)
    if path != "/review":
        raise UrlStateError(["the page's state is not a review link; reload the page"])
    return review_view(params)


def okrs_view(params: Params) -> OkrsView:
    """OKRs: `?quarter=2026-Q4` (default: the page's) and `?as_of=`."""
    r = Reader(params)
    text = r.text("quarter", 20)
    quarter = None
    if text is not None:
        try:
            quarter = Quarter.parse(text)
        except QuarterError as exc:
            r.problems.append(f"`quarter`: {exc}")
    view = OkrsView(quarter, r.day("as_of"))
    r.done()
    return view


def okrs_from_href(href: object) -> OkrsView:
    path, params = split_href(href)
    if path != "/okrs":
        raise UrlStateError(["the page's state is not an OKRs link; reload the page"])
    return okrs_view(params)


def catalog_view(params: Params) -> CatalogView:
    r = Reader(params)
    view = CatalogView(q=r.text("q", 200) or "", as_of=r.day("as_of"))
    r.done()
    return view


def alerts_view(params: Params) -> AlertsView:
    """Alerts: `?rule=` narrows the history to one rule (whether it exists is the page's
    question: the history keeps rules removed from metrics.yml)."""
    r = Reader(params)
    view = AlertsView(rule=r.text("rule", 200))
    r.done()
    return view


def alerts_from_href(href: object) -> AlertsView:
    path, params = split_href(href)
    if path != "/alerts":
        raise UrlStateError(["the page's state is not an Alerts link; reload the page"])
    return alerts_view(params)


def drivers_view(
    params: Params,
    *,
    metrics: Collection[str] | None = None,
    dimensions_of: Callable[[str], Collection[str]] | None = None,
    default_metric: str | None = None,
    columns_of: Callable[[str], Collection[str]] | None = None,
) -> DriversView:
    """Drivers: `metric` (one of `metrics` when given), `from`/`to`, `compare`, `vs_from`/`vs_to`
    only with compare=custom, and `filters` as the Explorer writes them, conditions included
    (names checked against dimensions_of(metric, else default_metric) and, when given,
    columns_of the same metric).
    Absent metric or range stay None (the page's defaults)."""
    r = Reader(params)
    metric = r.text("metric", 200)
    known_metric = bool(metric) and (metrics is None or metric in metrics)
    if metric and not known_metric:
        r.problems.append(f"there is no metric called {quoted(metric)}")
    current = r.day_range("from", "to")
    compare = r.choice("compare", DRIVER_COMPARES, "previous") or "previous"
    known = len(r.problems)
    vs = r.day_range("vs_from", "vs_to")
    if compare == "custom" and vs is None and len(r.problems) == known:
        r.problems.append("compare=custom needs vs_from and vs_to (YYYY-MM-DD)")
    elif compare != "custom" and vs is not None:
        r.problems.append(f"vs_from and vs_to apply only to compare=custom, not compare={compare}")
    # Filters are checked against the metric explained: the one named, else the page's default.
    explained = metric if known_metric else None if metric else default_metric
    dims = dimensions_of(explained) if dimensions_of and explained else None
    columns = columns_of(explained) if columns_of and explained else None
    filters = r.filters("filters", dims, columns, conditions=True)
    view = DriversView(metric, current, compare, vs, r.day("as_of"), filters)
    r.done()
    return view


def drivers_from_href(
    href: object,
    *,
    metrics: Collection[str] | None = None,
    dimensions_of: Callable[[str], Collection[str]] | None = None,
    default_metric: str | None = None,
    columns_of: Callable[[str], Collection[str]] | None = None,
) -> DriversView:
    path, params = split_href(href)
    if path != "/drivers":
        raise UrlStateError(["the page's state is not a Drivers link; reload the page"])
    return drivers_view(
        params,
        metrics=metrics,
        dimensions_of=dimensions_of,
        default_metric=default_metric,
        columns_of=columns_of,
    )


def record_week(path: str | None, params: Params, prefix: str = "/reviews") -> str | None:
    """The ISO week a review page shows: `/reviews/<week>` or `?week=` (not both), checked and
    written canonically (`2026-W08`); None when the address names none (the list, or the TV's
    default week)."""
    r = Reader(params)
    asked = r.text("week", 20)
    in_path = None
    if path is not None and path.startswith(prefix + "/"):
        in_path = unquote(path[len(prefix) + 1 :])
        if asked is not None and asked != in_path:
            r.problems.append(f"the week is given twice ({quoted(in_path)} and ?week=); keep one")
    text = in_path if in_path is not None else asked
    week = None
    if text is not None and not r.problems:
        try:
            week = str(IsoWeek.parse(text))
        except ReviewError as exc:
            r.problems.append(str(exc))
    r.done()
    return week
