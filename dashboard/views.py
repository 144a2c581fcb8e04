"""The state of each view as it appears in the URL, and the metric queries it stands for.

A view is a frozen value; `href()` writes it into a link and `dashboard.url_state` reads a link back
(one schema, strict: what a page cannot show exactly is an error, never a silent default). Nothing
else holds state, so reload, back and shared links all give the same view.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import quote, urlencode

from analysis.ranges import DayRange, baseline_range
from dashboard.conditions import Condition, Filter, condition_text, escape, query_parts
from metric_layer.periods import period_start, shift
from metric_layer.query import DimensionFilter, MetricQuery
from okrs.quarters import Quarter

GRAINS = ("day", "week", "month", "quarter", "year")
# The Explorer also shows one row over its whole range (the metric layer's grain `all`).
EXPLORER_GRAINS = (*GRAINS, "all")
RANGES = {
    "4w": "Last 4 weeks",
    "13w": "Last 13 weeks",
    "52w": "Last 52 weeks",
    "quarter": "This quarter",
    "ytd": "Year to date",
    "custom": "Custom",
}
COMPARES = {"previous": "Previous period", "last_year": "Same period last year", "none": "None"}
CHARTS = ("lines", "stacked")
TOP_DEFAULT, TOP_MIN, TOP_MAX = 5, 1, 20
# Drivers: what a range is compared with, and the longest range that is a "why did it move" question.
DRIVER_COMPARES = {"previous": "Previous", "last_year": "Last year", "custom": "Custom"}
DRIVER_MAX_DAYS = 366 * 3
# How many periods the Overview and review slides show per grain.
LOOKBACK = {"day": 30, "week": 13, "month": 13, "quarter": 8, "year": 5}


def range_dates(
    preset: str,
    today: date,
    start: date | None = None,
    end: date | None = None,
    week_start: str = "monday",
) -> tuple[date, date]:
    """The inclusive [start, end] days of a range preset as of `today`."""
    if preset in ("4w", "13w", "52w"):
        weeks = int(preset[:-1])
        return period_start(today, "week", week_start) - timedelta(weeks=weeks - 1), today
    if preset == "quarter":
        return period_start(today, "quarter"), today
    if preset == "ytd":
        return date(today.year, 1, 1), today
    if start and end:
        return min(start, end), max(start, end)
    return range_dates("13w", today, week_start=week_start)


def lookback_start(today: date, grain: str, week_start: str = "monday") -> date:
    """First day of the last LOOKBACK[grain] periods, the current one included."""
    first = period_start(today, grain, week_start)
    return shift(first, grain, "previous", LOOKBACK[grain] - 1)


def equality_filter(dimension: str, negate: bool, values: tuple[str, ...]) -> DimensionFilter:
    """The filter `dimension =/!= values` in the one form parsing gives back (`=` for one value,
    `in` for several), so a filter built by the controls equals the same filter read from a link."""
    if len(values) == 1:
        return DimensionFilter(dimension, "!=" if negate else "=", values)
    return DimensionFilter(dimension, "not in" if negate else "in", values)


def is_equality(f: Filter) -> bool:
    """Filters the picker can edit (is / is not one of); comparisons are shown read-only."""
    return f.op in ("=", "in", "!=", "not in")


def is_negated(f: Filter) -> bool:
    return f.op in ("!=", "not in")


def filter_text(f: Filter) -> str:
    """`platform!=ios`, `channel=ads,email`, `amount>100`, `amount:between=10,20`, `coupon:null`:
    one filter as it appears in a link."""
    if isinstance(f, Condition):
        return condition_text(f)
    op = "!=" if is_negated(f) else "=" if f.op in ("=", "in") else f.op
    return f"{f.dimension}{op}{','.join(escape(v) for v in f.values)}"


def format_filters(filters: tuple[Filter, ...]) -> str:
    return ";".join(filter_text(f) for f in filters)


@dataclass(frozen=True)
class ExplorerView:
    metric: str
    grain: str = "week"
    range: str = "13w"
    start: date | None = None  # only with range="custom"
    end: date | None = None
    compare: str = "previous"
    by: str | None = None
    chart: str = "lines"
    top: int = TOP_DEFAULT
    filters: tuple[Filter, ...] = ()  # ANDed, in the order the link lists them
    as_of: date | None = None  # "treat this day as today" (None: the server's as-of or clock)

    def href(self) -> str:
        params: dict[str, object] = {"grain": self.grain, "range": self.range}
        if self.range == "custom" and self.start and self.end:
            params.update(start=self.start.isoformat(), end=self.end.isoformat())
        params["compare"] = self.compare
        if self.by:
            params["by"] = self.by
        if self.chart != "lines":
            params["chart"] = self.chart
        if self.top != TOP_DEFAULT:
            params["top"] = self.top
        if self.filters:
            params["filters"] = format_filters(self.filters)
        return f"/metric/{quote(self.metric, safe='')}?{urlencode(with_as_of(params, self.as_of))}"

    def to_query(self, today: date, week_start: str = "monday") -> MetricQuery:
        """The query this view stands for; `today` is the as-of day (service.today(view.as_of))."""
        start, end = range_dates(self.range, today, self.start, self.end, week_start)
        filters, where = query_parts(self.filters)
        return MetricQuery(
            (self.metric,),
            grain=self.grain,
            start=start,
            end=end,
            dimensions=(self.by,) if self.by else (),
            filters=filters,
            where=where,
            compare=None if self.compare == "none" else self.compare,  # type: ignore[arg-type]
            as_of=self.as_of,
        )

    def to_store(self) -> str:
        """What the page's store keeps: the href, read back by the same schema as the address."""
        return self.href()


@dataclass(frozen=True)
class GrainView:
    """Overview `/` and Tree `/tree`: a grain (None: the North Star's) and an as-of day."""

    path: str
    grain: str | None = None
    as_of: date | None = None

    def href(self) -> str:
        params = with_as_of({"grain": self.grain} if self.grain else {}, self.as_of)
        return f"{self.path}?{urlencode(params)}" if params else self.path


@dataclass(frozen=True)
class ReviewView:
    slides: str = ""
    interval: int = 20  # seconds per slide
    grain: str | None = None
    as_of: date | None = None

    def href(self) -> str:
        params: dict[str, object] = {}
        if self.slides:
            params["slides"] = self.slides
        params["interval"] = self.interval
        if self.grain:
            params["grain"] = self.grain
        return f"/review?{urlencode(with_as_of(params, self.as_of))}"


@dataclass(frozen=True)
class CatalogView:
    q: str = ""
    as_of: date | None = None

    def href(self) -> str:
        params = with_as_of({"q": self.q} if self.q else {}, self.as_of)
        return f"/catalog?{urlencode(params)}" if params else "/catalog"


@dataclass(frozen=True)
class AlertsView:
    """Alerts `/alerts`: the history narrowed to one rule (None: every rule)."""

    rule: str | None = None

    def href(self) -> str:
        return f"/alerts?{urlencode({'rule': self.rule})}" if self.rule else "/alerts"


@dataclass(frozen=True)
class DriversView:
    """Drivers `/drivers`: a metric (None: the North Star's) over `current` (None: the last complete
    week) compared with the range just before, a year earlier, or `vs` (only with compare=custom);
    `filters` narrow both ranges: every filter the Explorer can make, on a dimension or a column of
    the rows counted, conditions too (its "Why did it move?" link keeps them all)."""

    metric: str | None = None
    current: DayRange | None = None
    compare: str = "previous"
    vs: DayRange | None = None
    as_of: date | None = None
    filters: tuple[Filter, ...] = ()

    @property
    def baseline(self) -> DayRange:
        """The range `current` is compared with (the view must have a current range)."""
        if self.current is None:
            raise ValueError("the Drivers view has no range yet")
        if self.compare == "custom" and self.vs is not None:
            return self.vs
        return baseline_range(self.current, self.compare)  # type: ignore[arg-type]

    def href(self) -> str:
        params: dict[str, object] = {"metric": self.metric} if self.metric else {}
        if self.current:
            params.update(
                {"from": self.current.start.isoformat(), "to": self.current.end.isoformat()}
            )
        params["compare"] = self.compare
        if self.compare == "custom" and self.vs is not None:
            params.update(vs_from=self.vs.start.isoformat(), vs_to=self.vs.end.isoformat())
        if self.filters:
            params["filters"] = format_filters(self.filters)
        return f"/drivers?{urlencode(with_as_of(params, self.as_of))}"


@dataclass(frozen=True)
class OkrsView:
    """OKRs `/okrs`: a quarter (None: this quarter, else the newest with objectives) and an as-of
    day."""

    quarter: Quarter | None = None
    as_of: date | None = None

    def href(self) -> str:
        params = with_as_of({"quarter": str(self.quarter)} if self.quarter else {}, self.as_of)
        return f"/okrs?{urlencode(params)}" if params else "/okrs"


def with_as_of(params: dict[str, object], as_of: date | None) -> dict[str, object]:
    return {**params, "as_of": as_of.isoformat()} if as_of else params


def link(path: str, as_of: date | None) -> str:
    """A link to another page that keeps the as-of day (catalogue and lineage links)."""
    if not as_of:
        return path
    return f"{path}{'&' if '?' in path else '?'}as_of={as_of.isoformat()}"
