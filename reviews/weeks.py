"""ISO weeks as reviews name them: `2026-W48`, Monday to Sunday (ISO 8601).

A review is for one week; `IsoWeek.parse` reads what a person typed (CLI, address bar) and says
exactly how to write it when it cannot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from reviews.errors import ReviewError

_WEEK = re.compile(r"([0-9]{4})-?[Ww]([0-9]{1,2})")
FIRST_YEAR, LAST_YEAR = 1900, 2999  # the days the metric layer's calendars handle
LONGEST = 40  # characters of a typed week echoed back in a message


def _shown(text: str) -> str:
    return repr(text if len(text) <= LONGEST else text[:LONGEST] + "…")


@dataclass(frozen=True, order=True)
class IsoWeek:
    year: int
    week: int

    @classmethod
    def parse(cls, text: object) -> IsoWeek:
        """`2026-W48` (also `2026W48`, `2026-w48`, `2026-W8`); ReviewError otherwise."""
        if not isinstance(text, str):
            raise ReviewError("a week is text such as 2026-W48")
        match = _WEEK.fullmatch(text.strip())
        if match is None:
            raise ReviewError(f"write a week as YYYY-Www, e.g. 2026-W48, not {_shown(text)}")
        year, week = int(match[1]), int(match[2])
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise ReviewError(f"{text.strip()}: pick a year from {FIRST_YEAR} to {LAST_YEAR}")
        try:
            date.fromisocalendar(year, week, 1)
        except ValueError:
            last = date(year, 12, 28).isocalendar().week  # 28 December is always in the last week
            raise ReviewError(
                f"{text.strip()}: {year} has ISO weeks 1 to {last}, not week {week}"
            ) from None
        return cls(year, week)

    @classmethod
    def of(cls, day: date) -> IsoWeek:
        """The ISO week holding `day`."""
        iso = day.isocalendar()
        return cls(iso.year, iso.week)

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    def previous(self) -> IsoWeek:
        return IsoWeek.of(self.monday - timedelta(days=7))

    def following(self) -> IsoWeek:
        return IsoWeek.of(self.monday + timedelta(days=7))

    def __str__(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    def days_text(self) -> str:
        """'23–29 Nov 2026', as a heading names the week."""
        start, end = self.monday, self.sunday
        if start.month == end.month:
            return f"{start.day}–{end.day} {end:%b %Y}"
        if start.year == end.year:
            return f"{start.day} {start:%b} – {end.day} {end:%b %Y}"
        return f"{start.day} {start:%b %Y} – {end.day} {end:%b %Y}"


def last_complete_week(today: date) -> IsoWeek:
    """The newest week wholly before `today` (today's data is not complete)."""
    return IsoWeek.of(today).previous()
