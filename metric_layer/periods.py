"""Calendar arithmetic for grains in Python: aligning ranges, shifting, partial periods.

The SQL side (period_start expressions) lives in sql_time.py; both follow the same rules:
ISO weeks start on Monday unless the spec says `week_start: sunday`.

Grain `all` is one period over the query's exact days [start, end]: its period starts on the
range's first day, and "previous" means the range of the same length just before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from metric_layer.errors import QueryError

_MONTHS = {"month": 1, "quarter": 3, "year": 12}
QUERY_GRAINS: tuple[str, ...] = ("day", "week", "month", "quarter", "year", "all")
OFFSET_UNITS = ("day", "week", "month", "quarter", "year")
_OFFSET_TEXT = re.compile(r"^\s*(\d{1,4})\s*(day|week|month|quarter|year)s?\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Offset:
    """A fixed step back in time: `7 days`, `1 week`, `1 month`, `2 quarters`, `1 year`."""

    n: int
    unit: str

    @classmethod
    def parse(cls, text: str) -> Offset:
        match = _OFFSET_TEXT.match(str(text))
        if not match or int(match.group(1)) == 0:
            raise QueryError(
                f"offset {text!r} is not a step back in time; write a count and a unit, e.g. "
                "`7 days`, `1 week`, `1 month`, `1 quarter` or `1 year`"
            )
        return cls(int(match.group(1)), match.group(2).lower())

    @property
    def text(self) -> str:
        return f"{self.n} {self.unit}{'s' if self.n != 1 else ''}"

    @property
    def months(self) -> int | None:
        """Length in months for month-based units, else None."""
        return self.n * _MONTHS[self.unit] if self.unit in _MONTHS else None

    @property
    def days(self) -> int | None:
        """Length in days for day-based units, else None."""
        return self.n * (7 if self.unit == "week" else 1) if self.unit in ("day", "week") else None

    def back(self, day: date) -> date:
        if self.days is not None:
            return day - timedelta(days=self.days)
        return day - relativedelta(months=self.months)

    def check_grain(self, grain: str) -> None:
        """An offset moves whole periods of the grain, or the comparison would mix periods."""
        fits = {
            "all": True,
            "day": self.days is not None,
            "week": self.days is not None and self.days % 7 == 0,
            "month": self.months is not None,
            "quarter": self.months is not None and self.months % 3 == 0,
            "year": self.months is not None and self.months % 12 == 0,
        }[grain]
        if not fits:
            raise QueryError(
                f"an offset of {self.text} does not move whole {grain} periods; at {grain} grain "
                f"use {_FITTING[grain]}"
            )


_FITTING = {
    "day": "days or weeks (e.g. `7 days`)",
    "week": "weeks (e.g. `1 week`, `52 weeks`)",
    "month": "months, quarters or years",
    "quarter": "quarters or years",
    "year": "years",
}


def comparison(compare: str) -> str | Offset:
    """`previous`, `last_year`, or an Offset from text such as `7 days` (QueryError if neither)."""
    if compare in ("previous", "last_year"):
        return compare
    return Offset.parse(compare)


def period_start(day: date, grain: str, week_start: str = "monday") -> date:
    if grain == "all":
        raise ValueError("grain `all` has one period: the query's own range")
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


def shift(start: date, grain: str, compare: str | Offset, periods: int = 1) -> date:
    """The period `periods` back: previous period, the same period a year ago, or an offset.

    A year ago at week grain is 52 weeks back, so a Monday stays a Monday (ISO weeks align).
    Grain `all` has no fixed length: shift its range with shift_range.
    """
    if isinstance(compare, Offset):
        for _ in range(periods):
            start = compare.back(start)
        return start
    if grain == "all":
        raise ValueError("shift a grain `all` range with shift_range")
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


def shift_range(lo: date, hi: date, grain: str, compare: str | Offset) -> tuple[date, date]:
    """[lo, hi) moved back by one comparison step; at grain `all`, previous = the same number of
    days just before, last_year = the same days a year earlier."""
    if grain == "all" and compare == "previous":
        return lo - (hi - lo), lo
    if grain == "all" and compare == "last_year":
        return lo - relativedelta(years=1), hi - relativedelta(years=1)
    return shift(lo, grain, compare), shift(hi, grain, compare)


def align_range(
    start: date, end: date, grain: str, week_start: str = "monday"
) -> tuple[date, date]:
    """Whole periods covering [start, end]: (first period start, exclusive end)."""
    if grain == "all":
        return start, end + timedelta(days=1)
    return period_start(start, grain, week_start), next_period(
        period_start(end, grain, week_start), grain
    )


def periods_between(lo: date, hi: date, grain: str) -> list[date]:
    """Period starts in [lo, hi) with lo aligned."""
    if grain == "all":
        return [lo]
    out, cur = [], lo
    while cur < hi:
        out.append(cur)
        cur = next_period(cur, grain)
    return out


def is_partial(
    period: date, grain: str, today: date, extra_days: int = 0, end: date | None = None
) -> bool:
    """A period is partial while it (plus any maturity days, e.g. retention's N) is not over.
    Grain `all` ends where its range ends (`end`, exclusive)."""
    over = end if grain == "all" and end is not None else next_period(period, grain)
    return over + timedelta(days=extra_days) > today


@dataclass(frozen=True)
class Window:
    """Whole periods [lo, hi) of one grain, and today (the first day with incomplete data)."""

    grain: str
    lo: date
    hi: date
    today: date
    week_start: str = "monday"
