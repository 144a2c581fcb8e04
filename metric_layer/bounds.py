"""How much work one query may cause: the days the calendars handle, periods and rows per answer.

One place for these limits so that the CLI, the pages and the API refuse the same requests with
the same message, before any SQL runs (a 2,000-year day-grain request once took a worker to 829 MB).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from metric_layer.errors import QueryError

if TYPE_CHECKING:  # only for the annotation: query.py needs no bounds, bounds no query
    from metric_layer.query import MetricQuery

EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)
MAX_PERIODS = 10_000  # 27 years of days, 190 years of weeks
MAX_ROWS = 200_000  # periods × series in one answer

_MONTHS = {"month": 1, "quarter": 3, "year": 12}


def check_day(day: date, what: str) -> None:
    if not EARLIEST <= day <= LATEST:
        raise QueryError(f"{what} {day} is outside {EARLIEST}..{LATEST}; pick a day in that range")


def period_count(lo: date, hi: date, grain: str) -> int:
    """Periods of `grain` in [lo, hi) with lo aligned, by arithmetic (never by listing them)."""
    if grain == "day":
        return (hi - lo).days
    if grain == "week":
        return -(-(hi - lo).days // 7)
    if grain == "all":
        return 1
    months = (hi.year - lo.year) * 12 + hi.month - lo.month + (1 if hi.day > lo.day else 0)
    return -(-months // _MONTHS[grain])


def check_periods(lo: date, hi: date, grain: str) -> None:
    count = period_count(lo, hi, grain)
    if count > MAX_PERIODS:
        raise QueryError(
            f"{lo}..{hi} holds {count:,} {grain} periods; at most {MAX_PERIODS:,} fit in one answer: "
            "choose a coarser grain or a shorter range"
        )


def check_rows(rows: int) -> None:
    if rows > MAX_ROWS:
        raise QueryError(
            f"the answer has more than {MAX_ROWS:,} rows (periods × breakdown values): "
            "choose a coarser grain, a shorter range, a filter or fewer breakdowns"
        )


DEFAULT_DAYS = 90  # a query without --from covers the 90 days before today (as-of)


def default_range(query: MetricQuery, today: date) -> tuple[date, date]:
    """The query's [start, end] days: the last DEFAULT_DAYS days up to today unless given."""
    check_day(today, "the as-of day")
    if query.start is not None:
        check_day(query.start, "the range start")
    if query.end is not None:
        check_day(query.end, "the range end")
    end = query.end or today
    start = query.start or min(end, today) - timedelta(days=DEFAULT_DAYS)
    if end < start:
        raise QueryError(f"the range ends ({end}) before it starts ({start})")
    return start, end
