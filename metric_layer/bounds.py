"""How much work one query may cause: the days the calendars handle, periods and rows per answer.

One place for these limits so that the CLI, the pages and the API refuse the same requests with
the same message, before any SQL runs (a 2,000-year day-grain request once took a worker to 829 MB).
"""

from __future__ import annotations

from datetime import date

from metric_layer.errors import QueryError

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
