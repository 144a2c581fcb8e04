"""The one schema for what pages keep in their address: types, bounds and repeated keys.

Every page's layout and every callback that reads a page's store parse through here, so the rules
are the same everywhere: an empty value means "not given"; a key given twice, a value of the wrong
type or out of bounds, or a filter the page cannot show exactly is a `UrlStateError` listing every
problem (pages show it in place); keys no page uses are ignored (tracking parameters). What parses
round-trips: `parse(view.href()) == view` for every view a page can show.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from datetime import date
from urllib.parse import parse_qs, unquote, urlsplit

import dash
from dash.exceptions import MissingCallbackContextException

from analysis.ranges import DayRange
from dashboard.conditions import Condition, Filter, parse_condition
from dashboard.views import (
    CHARTS,
    COMPARES,
    DRIVER_COMPARES,
    DRIVER_MAX_DAYS,
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
from metric_layer.bounds import EARLIEST, LATEST
from metric_layer.query import DimensionFilter
from okrs.quarters import Quarter, QuarterError
from reviews.errors import ReviewError
from reviews.weeks import IsoWeek

Params = Mapping[str, object]  # key → str, or list[str] when repeated (as Dash's router gives)
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_WHOLE = re.compile(r"[0-9]{1,9}")
_COMPARISONS = (">", ">=", "<", "<=")
FILTERS_LONGEST = 2000  # characters of `filters=`; a longer one is refused, never cut
_LOCATION = "_pages_location"  # Dash pages' location component


class UrlStateError(ValueError):
    """The address (or a store holding one) has something the page cannot show exactly."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def _shown(value: object) -> str:
    text = str(value)
    return repr(text if len(text) <= 40 else text[:40] + "…")  # never echo a huge value back


class _Reader:
    """Reads typed values from query parameters, collecting every problem before raising."""

    def __init__(self, params: object) -> None:
        self.params: Mapping = params if isinstance(params, Mapping) else {}
        self.problems: list[str] = [] if isinstance(params, Mapping) else ["no address to read"]

    def text(self, key: str, longest: int = 200) -> str | None:
        value = self.params.get(key)
        if isinstance(value, list | tuple):
            self.problems.append(f"`{key}` is given {len(value)} times; keep one")
            return None
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            self.problems.append(f"`{key}` must be text")
            return None
        if len(value) > longest:
            self.problems.append(f"`{key}` is longer than {longest} characters")
            return None
        return value

    def choice(self, key: str, allowed: Collection[str], default: str | None) -> str | None:
        value = self.text(key)
        if value is None:
            return default
        if value not in allowed:
            self.problems.append(
                f"`{key}` must be one of {', '.join(allowed)}, not {_shown(value)}"
            )
            return default
        return value

    def whole(self, key: str, lo: int, hi: int, default: int) -> int:
        value = self.text(key)
        if value is None:
            return default
        if not _WHOLE.fullmatch(value) or not lo <= int(value) <= hi:
            self.problems.append(
                f"`{key}` must be a whole number from {lo} to {hi}, not {_shown(value)}"
            )
            return default
        return int(value)

    def day(self, key: str) -> date | None:
        value = self.text(key)
        if value is None:
            return None
        day = parse_day(value)
        if isinstance(day, str):
            self.problems.append(f"`{key}`: {day}")
            return None
        return day

    def day_range(self, first: str, last: str) -> DayRange | None:
        """Days `first`..`last` (both or neither given), at most DRIVER_MAX_DAYS long."""
        known = len(self.problems)
        start, end = self.day(first), self.day(last)
        if len(self.problems) > known or (start is None and end is None):
            return None
        if start is None or end is None:
            self.problems.append(f"a range needs both {first} and {last} (YYYY-MM-DD)")
        elif start > end:
            self.problems.append(f"{first} {start} is after {last} {end}")
        elif (end - start).days + 1 > DRIVER_MAX_DAYS:
            self.problems.append(
                f"{first}..{last} spans {(end - start).days + 1} days; pick at most {DRIVER_MAX_DAYS}"
            )
        else:
            return DayRange(start, end)
        return None

    def filters(
        self,
        key: str,
        dimensions: Collection[str] | None,
        columns: Collection[str] | None = None,
        conditions: bool = False,
    ) -> tuple[Filter, ...]:
        """`key`'s filters, `;`-separated; names are dimensions (or, given, columns of the rows
        counted); with `conditions`, also between and null tests (dashboard.conditions)."""
        value = self.text(key, FILTERS_LONGEST)
        if value is None:
            return ()
        out: list[Filter] = []
        for part in value.split(";"):
            found: Filter | str | None = parse_condition(part) if conditions else None
            if isinstance(found, Condition):
                found = _known(found, dimensions, columns)
            elif found is None:
                found = parse_filter(part, dimensions, columns)
            if isinstance(found, str):
                # DimensionFilter.parse names the filter itself; the schema's own checks do not
                named = found.startswith("filter ")
                self.problems.append(found if named else f"filter {_shown(part)}: {found}")
            else:
                out.append(found)
        return tuple(out)

    def done(self) -> None:
        if self.problems:
            raise UrlStateError(self.problems)


def parse_day(text: str) -> date | str:
    """A day written YYYY-MM-DD within the days the calendars handle, or what is wrong with it."""
    if not _DAY.fullmatch(text):
        return f"write days as YYYY-MM-DD, not {_shown(text)}"
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return f"{text} is not a day of the calendar"
    if not EARLIEST <= day <= LATEST:
        return f"{text} is outside {EARLIEST}..{LATEST}; pick a day in that range"
    return day


def _known(
    f: Filter, dimensions: Collection[str] | None, columns: Collection[str] | None
) -> Filter | str:
    """`f`, or what is wrong with its name (not a dimension, nor one of `columns` when given)."""
    if dimensions is None or f.dimension in dimensions or f.dimension in (columns or ()):
        return f
    known = ", ".join(sorted(d for d in dimensions if "." not in d)) or "none"
    if columns is None:
        return f"{_shown(f.dimension)} is not a dimension of this metric (dimensions: {known})"
    others = ", ".join(sorted(set(columns) - set(dimensions))) or "none"
    return (
        f"{_shown(f.dimension)} is neither a dimension of this metric (dimensions: {known}) "
        f"nor a column of the rows it counts (columns: {others})"
    )


def parse_filter(
    text: str, dimensions: Collection[str] | None, columns: Collection[str] | None = None
) -> DimensionFilter | str:
    """One filter as written by `views.filter_text`, or what is wrong with it."""
    try:
        raw = DimensionFilter.parse(text)
    except ValueError as exc:
        return str(exc)
    if not raw.dimension:
        return "name a dimension before the operator, like platform!=ios"
    known = _known(raw, dimensions, columns)
    if isinstance(known, str):
        return known
    # Values in links escape the operator characters; an unescaped one means a mistyped operator.
    if any(not v or any(c in v for c in "=!<>") for v in raw.values):
        return "write dimension=value, dimension!=a,b or dimension>value (one operator, no empty value)"
    if raw.op in _COMPARISONS and len(raw.values) != 1:
        return f"{raw.op} takes exactly one value"
    return DimensionFilter(raw.dimension, raw.op, tuple(unquote(v) for v in raw.values))


def query_params(search: object) -> dict[str, str | list[str]]:
    """`?a=1&a=2&b=` → {"a": ["1", "2"], "b": ""}: a repeated key stays visible as a list."""
    if not isinstance(search, str):
        raise UrlStateError(["the address's query must be text"])
    parsed = parse_qs(search.lstrip("?"), keep_blank_values=True)
    return {k: v[0] if len(v) == 1 else v for k, v in parsed.items()}


def page_location(kwargs: Params) -> tuple[str | None, Params]:
    """(path, query parameters) of the page being rendered. Dash's router merges path variables and
    query parameters into one dict, so `?name=revenue` would replace `/metric/<name>`'s metric: read
    the router's own inputs instead. Outside a callback (unit tests) the kwargs are the query."""
    try:
        inputs = dash.ctx.inputs
    except MissingCallbackContextException:
        return None, kwargs
    path, search = inputs.get(f"{_LOCATION}.pathname"), inputs.get(f"{_LOCATION}.search")
    if not isinstance(path, str):
        return None, kwargs
    return path, query_params(search or "")


def split_href(href: object) -> tuple[str, dict[str, str | list[str]]]:
    """A stored href → (path, query parameters)."""
    if not isinstance(href, str) or not href.startswith("/"):
        raise UrlStateError(["the page's state is not a link; reload the page"])
    parts = urlsplit(href)
    return unquote(parts.path), query_params(parts.query)


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
    r = _Reader(params)
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
        r.problems.append(f"cannot break down by {_shown(by)}; dimensions: {known}")
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
    r = _Reader(params)
    view = GrainView(path, r.choice("grain", GRAINS, None), r.day("as_of"))
    r.done()
    return view


def grain_from_href(href: object) -> GrainView:
    path, params = split_href(href)
    return grain_view(path, params)


def review_view(params: Params) -> ReviewView:
    r = _Reader(params)
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
    r = _Reader(params)
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
    r = _Reader(params)
    view = CatalogView(q=r.text("q", 200) or "", as_of=r.day("as_of"))
    r.done()
    return view


def alerts_view(params: Params) -> AlertsView:
    """Alerts: `?rule=` narrows the history to one rule (whether it exists is the page's
    question: the history keeps rules removed from metrics.yml)."""
    r = _Reader(params)
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
    r = _Reader(params)
    metric = r.text("metric", 200)
    known_metric = bool(metric) and (metrics is None or metric in metrics)
    if metric and not known_metric:
        r.problems.append(f"there is no metric called {_shown(metric)}")
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
    r = _Reader(params)
    asked = r.text("week", 20)
    in_path = None
    if path is not None and path.startswith(prefix + "/"):
        in_path = unquote(path[len(prefix) + 1 :])
        if asked is not None and asked != in_path:
            r.problems.append(f"the week is given twice ({_shown(in_path)} and ?week=); keep one")
    text = in_path if in_path is not None else asked
    week = None
    if text is not None and not r.problems:
        try:
            week = str(IsoWeek.parse(text))
        except ReviewError as exc:
            r.problems.append(str(exc))
    r.done()
    return week
