"""The state of each view as it appears in the URL, and the metric queries it stands for.

Pages read a view from the URL's query parameters (tolerantly: a bad value falls back to the
default) and controls write a new URL; nothing else holds state, so reload, back and shared links
all give the same view.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta
from urllib.parse import urlencode

from metric_layer.periods import period_start, shift
from metric_layer.query import DimensionFilter, MetricQuery

GRAINS = ("day", "week", "month", "quarter", "year")
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
# How many periods the Overview and review slides show per grain.
LOOKBACK = {"day": 30, "week": 13, "month": 13, "quarter": 8, "year": 5}


def _pick(value: object, allowed: tuple[str, ...] | dict[str, str], default: str) -> str:
    return value if isinstance(value, str) and value in allowed else default


def _date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


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


def parse_filters(text: object) -> tuple[DimensionFilter, ...]:
    """`platform=ios,web;channel!=ads` → filters; unreadable parts are dropped."""
    out = []
    for part in str(text or "").split(";"):
        try:
            out.append(DimensionFilter.parse(part)) if part.strip() else None
        except ValueError:
            continue
    return tuple(out)


def format_filters(filters: tuple[DimensionFilter, ...]) -> str:
    parts = []
    for f in filters:
        op = "!=" if f.op in ("!=", "not in") else "=" if f.op in ("=", "in") else f.op
        parts.append(f"{f.dimension}{op}{','.join(str(v) for v in f.values)}")
    return ";".join(parts)


@dataclass(frozen=True)
class ExplorerView:
    metric: str
    grain: str = "week"
    range: str = "13w"
    start: date | None = None
    end: date | None = None
    compare: str = "previous"
    by: str | None = None
    chart: str = "lines"
    top: int = 5
    filters: tuple[DimensionFilter, ...] = ()

    @classmethod
    def from_params(
        cls, metric: str, params: dict[str, object], grain: str = "week"
    ) -> ExplorerView:
        try:
            top = max(1, min(20, int(str(params.get("top", 5)))))
        except ValueError:
            top = 5
        return cls(
            metric=metric,
            grain=_pick(params.get("grain"), GRAINS, grain),
            range=_pick(params.get("range"), RANGES, "13w"),
            start=_date(params.get("start")),
            end=_date(params.get("end")),
            compare=_pick(params.get("compare"), COMPARES, "previous"),
            by=str(params["by"]) if params.get("by") else None,
            chart=_pick(params.get("chart"), CHARTS, "lines"),
            top=top,
            filters=parse_filters(params.get("filters")),
        )

    def href(self) -> str:
        params: dict[str, object] = {"grain": self.grain, "range": self.range}
        if self.range == "custom" and self.start and self.end:
            params.update(start=self.start.isoformat(), end=self.end.isoformat())
        params["compare"] = self.compare
        if self.by:
            params.update(by=self.by, chart=self.chart, top=self.top)
        if self.filters:
            params["filters"] = format_filters(self.filters)
        return f"/metric/{self.metric}?{urlencode(params)}"

    def to_query(self, today: date, week_start: str = "monday") -> MetricQuery:
        start, end = range_dates(self.range, today, self.start, self.end, week_start)
        return MetricQuery(
            (self.metric,),
            grain=self.grain,
            start=start,
            end=end,
            dimensions=(self.by,) if self.by else (),
            filters=self.filters,
            compare=None if self.compare == "none" else self.compare,  # type: ignore[arg-type]
        )

    def to_store(self) -> dict[str, object]:
        data = asdict(self)
        data["start"] = self.start.isoformat() if self.start else None
        data["end"] = self.end.isoformat() if self.end else None
        data["filters"] = format_filters(self.filters)
        return data

    @classmethod
    def from_store(cls, data: dict[str, object]) -> ExplorerView:
        view = cls.from_params(str(data["metric"]), data, str(data.get("grain", "week")))
        return replace(view, by=data.get("by") or None)  # type: ignore[arg-type]
