"""Quarters as OKRs use them: `2026-Q4` is 1 October to 31 December 2026, in the spec's days.

The pace of a quarter is counted in whole days: on day d (the last complete day a value covers),
`elapsed(d)` is the share of the quarter's days up to and including d, 0 before the quarter and 1
after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_TEXT = re.compile(r"^([0-9]{4})-Q([1-4])$")
QUARTER_HELP = "write a quarter as YYYY-Qn, e.g. 2026-Q4"


class QuarterError(ValueError):
    """Text that is not a quarter; the message shows the form."""


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int  # 1..4

    @classmethod
    def parse(cls, text: object) -> Quarter:
        match = _TEXT.match(str(text).strip()) if isinstance(text, str) else None
        if match is None or not 1900 <= int(match.group(1)) <= 2999:
            shown = str(text)[:40]
            raise QuarterError(f"{shown!r} is not a quarter; {QUARTER_HELP}")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: date) -> Quarter:
        """The quarter holding `day`."""
        return cls(day.year, (day.month - 1) // 3 + 1)

    def __str__(self) -> str:
        return f"{self.year}-Q{self.number}"

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> date:
        """The first day after the quarter (exclusive end)."""
        return self.next().start

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def next(self) -> Quarter:
        return (
            Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)
        )

    def previous(self) -> Quarter:
        return (
            Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)
        )

    def elapsed(self, through: date) -> float:
        """Share of the quarter's days up to and including `through`, within 0..1."""
        done = (through - self.start).days + 1
        return min(max(done / self.days, 0.0), 1.0)

    def last_complete_day(self, today: date) -> date | None:
        """The last day of this quarter whose data is complete as of `today` (the first day that
        is not), or None when the quarter has no complete day yet."""
        last = min(today - timedelta(days=1), self.last_day)
        return last if last >= self.start else None
