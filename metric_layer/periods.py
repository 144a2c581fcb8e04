"""Calendar arithmetic for grains in Python: aligning ranges, shifting, partial periods.

The SQL side (period_start expressions) lives in sql_time.py; both follow the same rules:
ISO weeks start on Monday unless the spec says `week_start: sunday`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

_MONTHS = {"month": 1, "quarter": 3, "year": 12}


def period_start(day: date, grain: str, week_start: str = "monday") -> date:
    if grain == "day":
        return day
    if grain == "week":
        offset = day.weekday() if week_start == "monday" else (day.weekday() + 1) % 7
        return day - timedelta(days=offset)
    if grain == "month":
        return day.replace(day=1)
    if grain == "quarter":
        return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    if grain == "year":
        return date(day.year, 1, 1)
    raise ValueError(f"unknown grain {grain!r}")


def next_period(start: date, grain: str) -> date:
    """Start of the period after the one starting at `start` (exclusive end)."""
    if grain == "day":
        return start + timedelta(days=1)
    if grain == "week":
        return start + timedelta(days=7)
    return start + relativedelta(months=_MONTHS[grain])


def shift(start: date, grain: str, compare: str, periods: int = 1) -> date:
    """The period `periods` back: previous period, or the same period a year ago.

    A year ago at week grain is 52 weeks back, so a Monday stays a Monday (ISO weeks align).
    """
    if compare == "previous":
        if grain == "day":
            return start - timedelta(days=periods)
        if grain == "week":
            return start - timedelta(days=7 * periods)
        return start - relativedelta(months=_MONTHS[grain] * periods)
    if compare == "last_year":
        if grain == "week":
            return start - timedelta(weeks=52 * periods)
        return start - relativedelta(years=periods)
    raise ValueError(f"unknown comparison {compare!r}; use previous or last_year")


def align_range(
    start: date, end: date, grain: str, week_start: str = "monday"
) -> tuple[date, date]:
    """Whole periods covering [start, end]: (first period start, exclusive end)."""
    return period_start(start, grain, week_start), next_period(
        period_start(end, grain, week_start), grain
    )


def periods_between(lo: date, hi: date, grain: str) -> list[date]:
    """Period starts in [lo, hi) with lo aligned."""
    out, cur = [], lo
    while cur < hi:
        out.append(cur)
        cur = next_period(cur, grain)
    return out


def is_partial(period: date, grain: str, today: date, extra_days: int = 0) -> bool:
    """A period is partial while it (plus any maturity days, e.g. retention's N) is not over."""
    return next_period(period, grain) + timedelta(days=extra_days) > today


@dataclass(frozen=True)
class Window:
    """Whole periods [lo, hi) of one grain, and today (the first day with incomplete data)."""

    grain: str
    lo: date
    hi: date
    today: date
    week_start: str = "monday"
