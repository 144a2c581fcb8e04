"""A linked key result's value and its course through the quarter, read from the metric layer.

`frame_of` is how numbers are asked for: `MetricService.query` (the CLI, the worker) or the web
side's cached, scoped `serving().frame`; a scoped service reads the user's rows, and a metric the
scope hides comes back as a note rather than a number.

How each `read` is measured, over the quarter up to the last complete day (today, or the as-of day,
is never counted: it is not over):
- latest   the value of the latest complete period of `grain` ending within the quarter (a week
           that starts in the previous quarter and ends in this one counts, whole);
- to_date  one value over the quarter's days so far (the metric layer's grain `all`: distinct
           counts are distinct over those days, ratios are ratios of the sums);
- average  the mean of the complete periods' values so far.
The course (the sparkline) is each complete period's value for `latest`, the running mean for
`average`, and the quarter-to-date value at the end of each week (and on the last complete day)
for `to_date`: a running sum of days for counts and sums, one read per point otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

from metric_layer.errors import QueryError
from metric_layer.periods import next_period
from metric_layer.query import MetricFrame, MetricQuery
from metric_layer.spec import SimpleMetric
from okrs.model import KeyResult
from okrs.quarters import Quarter

FrameOf = Callable[[MetricQuery], MetricFrame]
Point = tuple[date, float]  # (last day covered, value)


@dataclass(frozen=True)
class Reading:
    value: float | None
    value_day: date | None  # the last day the value covers
    series: tuple[Point, ...] = ()
    note: str = ""  # why there is no value (or what to know about it)


def not_started(quarter: Quarter, today: date) -> str:
    if today <= quarter.start:
        return f"{quarter} starts on {quarter.start}"
    return f"no complete day of {quarter} yet"


def read_key_result(kr: KeyResult, quarter: Quarter, today: date, frame_of: FrameOf) -> Reading:
    """The value of linked key result `kr` as of `today` (the first day that is not complete)."""
    if kr.metric is None:
        raise ValueError("a manual key result is read from its check-ins, not a metric")
    last = quarter.last_complete_day(today)
    if last is None:
        return Reading(None, None, (), not_started(quarter, today))
    try:
        if kr.read == "to_date":
            return _to_date(kr, quarter, last, today, frame_of)
        return _periods(kr, quarter, last, today, frame_of)
    except QueryError as exc:  # a scope hiding the metric, a filter value gone from the data…
        return Reading(None, None, (), str(exc))


def _query(kr: KeyResult, grain: str, start: date, end: date, today: date) -> MetricQuery:
    return MetricQuery(
        (kr.metric,), grain=grain, start=start, end=end, filters=kr.filters, as_of=today
    )  # type: ignore[arg-type]


def _values(frame: MetricFrame, metric: str) -> pd.Series:
    return pd.to_numeric(frame.frame[metric], errors="coerce").astype(float)


def _periods(
    kr: KeyResult, quarter: Quarter, last: date, today: date, frame_of: FrameOf
) -> Reading:
    frame = frame_of(_query(kr, kr.grain, quarter.start, last, today))
    values = _values(frame, kr.metric)  # type: ignore[arg-type]
    ends_by = min(today, quarter.end)
    points: list[Point] = []
    for period, value, partial in zip(
        frame.frame["period"], values, frame.frame["is_partial"], strict=True
    ):
        end = next_period(period, kr.grain)
        if partial or end > ends_by or value != value:
            continue
        points.append((end - timedelta(days=1), float(value)))
    if not points:
        return Reading(None, None, (), f"no complete {kr.grain} of {quarter} yet")
    if kr.read == "average":
        running, total = [], 0.0
        for i, (day, value) in enumerate(points, start=1):
            total += value
            running.append((day, total / i))
        points = running
    day, value = points[-1]
    return Reading(value, day, tuple(points))


def _to_date(
    kr: KeyResult, quarter: Quarter, last: date, today: date, frame_of: FrameOf
) -> Reading:
    frame = frame_of(_query(kr, "all", quarter.start, last, today))
    values = _values(frame, kr.metric)  # type: ignore[arg-type]
    value = float(values.iloc[0]) if len(values) else float("nan")
    if value != value:
        return Reading(None, None, (), f"no data for `{kr.metric}` in {quarter} so far")
    checkpoints = _week_ends(quarter.start, last)
    definition = frame.metrics[kr.metric]  # type: ignore[index]
    if isinstance(definition, SimpleMetric) and definition.agg in ("count", "sum"):
        days = frame_of(_query(kr, "day", quarter.start, last, today))
        running = _values(days, kr.metric).fillna(0.0).cumsum()  # type: ignore[arg-type]
        by_day = dict(zip(days.frame["period"], running, strict=True))
        points = [(d, float(by_day[d])) for d in checkpoints if d in by_day]
    else:  # distinct counts, ratios, formulas: not a sum of days; read each point whole
        points = []
        for d in checkpoints[:-1]:
            v = _values(frame_of(_query(kr, "all", quarter.start, d, today)), kr.metric).iloc[0]  # type: ignore[arg-type]
            if v == v:
                points.append((d, float(v)))
        points.append((last, value))
    return Reading(value, last, tuple(points))


def _week_ends(start: date, last: date) -> list[date]:
    """Every 7th day from `start` (day 7, 14, …) up to `last`, and `last` itself."""
    days = []
    day = start + timedelta(days=6)
    while day < last:
        days.append(day)
        day += timedelta(days=7)
    return [*days, last]
