"""Report weeks: `2026-W48` as the days it covers in the spec's calendar, and which weeks may be
reported (complete, not before the data).

A label names an ISO week. With `week_start: monday` (the default) that is the ISO week itself;
with `week_start: sunday` it is the spec's Sunday–Saturday week holding that ISO week's Monday, so
every label names exactly one week of the metric layer's calendar and every week has one label.
Days are local days in the spec's time zone, as the metric layer cuts them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from metric_layer.bounds import EARLIEST, LATEST
from metric_layer.periods import period_start

LABEL = re.compile(r"^\s*(\d{4})-?W(\d{1,2})\s*$", re.IGNORECASE | re.ASCII)


class ReportWeekError(ValueError):
    """A week that cannot be reported; the message says which weeks can."""


@dataclass(frozen=True)
class ReportWeek:
    start: date  # first local day (the spec's week_start)
    week_start: str = "monday"

    @property
    def end(self) -> date:
        """The last local day, included."""
        return self.start + timedelta(days=6)

    @property
    def after(self) -> date:
        """The first day after the week: the as-of day that makes it the latest complete week."""
        return self.start + timedelta(days=7)

    @property
    def previous(self) -> ReportWeek:
        return ReportWeek(self.start - timedelta(days=7), self.week_start)

    @property
    def label(self) -> str:
        monday = self.start + timedelta(days=1 if self.week_start == "sunday" else 0)
        year, week, _ = monday.isocalendar()
        return f"{year}-W{week:02d}"

    def utc_bounds(self, time_zone: str) -> tuple[datetime, datetime]:
        """[start, end) of the week's local days as naive UTC, as the app database keeps times."""
        zone, utc = ZoneInfo(time_zone), ZoneInfo("UTC")

        def instant(day: date) -> datetime:
            local = datetime.combine(day, time(0), tzinfo=zone)
            return local.astimezone(utc).replace(tzinfo=None)

        return instant(self.start), instant(self.after)


def parse_week(text: str, week_start: str = "monday") -> ReportWeek:
    """`2026-W48` (also `2026W48`, `2026-w48`) → the week; ReportWeekError for anything else."""
    match = LABEL.match(str(text))
    if not match:
        raise ReportWeekError(
            f"week {text!r} is not an ISO week; write it as YEAR-Wnn, e.g. 2026-W48"
        )
    year, number = int(match.group(1)), int(match.group(2))
    try:
        monday = date.fromisocalendar(year, number, 1)
    except ValueError:
        last = date(year, 12, 28).isocalendar()[1]  # 28 December is always in the last ISO week
        raise ReportWeekError(
            f"week {text!r} does not exist: {year} has ISO weeks W01 to W{last:02d}"
        ) from None
    if not EARLIEST <= monday <= LATEST:
        raise ReportWeekError(f"week {text!r} is outside {EARLIEST.year}..{LATEST.year}")
    return ReportWeek(period_start(monday, "week", week_start), week_start)


def week_of(day: date, week_start: str = "monday") -> ReportWeek:
    """The week holding `day`."""
    return ReportWeek(period_start(day, "week", week_start), week_start)


def last_complete_week(today: date, week_start: str = "monday") -> ReportWeek:
    """The latest week whose every day is before `today` (today's data is not complete)."""
    return week_of(today, week_start).previous


def check_reportable(week: ReportWeek, today: date, first_day: date | None) -> None:
    """ReportWeekError unless `week` is over by `today` and not wholly before the first day of
    data (`first_day`; None: there is no data at all)."""
    latest = last_complete_week(today, week.week_start)
    if week.start > latest.start:
        when = "has not started" if week.start > today else "is not over"
        raise ReportWeekError(
            f"week {week.label} ({week.start}..{week.end}) {when} yet (today is {today}); "
            f"the latest complete week is {latest.label}"
        )
    if first_day is None:
        raise ReportWeekError(
            "there is no data yet: run `northstar demo build` or `northstar ingest` first"
        )
    if week.end < first_day:
        first = week_of(first_day, week.week_start)
        raise ReportWeekError(
            f"week {week.label} ({week.start}..{week.end}) is before the data, which starts on "
            f"{first_day}; the first week with data is {first.label}"
        )
