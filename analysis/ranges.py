"""The two day ranges of a comparison: inclusive [start, end] days, like --from/--to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from dateutil.relativedelta import relativedelta

CompareMode = Literal["previous", "last_year"]


@dataclass(frozen=True)
class DayRange:
    """Days start..end, both included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"the range ends ({self.end}) before it starts ({self.start})")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def __str__(self) -> str:
        return f"{self.start}..{self.end}"


def baseline_range(current: DayRange, mode: CompareMode) -> DayRange:
    """The range `current` is compared with.

    previous: the same number of days just before it. last_year: the same days a year earlier;
    when the range is whole weeks it moves back 52 weeks (364 days) so weekdays line up, as the
    metric layer's week comparisons do.
    """
    if mode == "previous":
        return DayRange(current.start - timedelta(days=current.days), current.start - timedelta(1))
    if mode == "last_year":
        if current.days % 7 == 0:
            back = timedelta(days=364)
            return DayRange(current.start - back, current.end - back)
        return DayRange(
            current.start - relativedelta(years=1), current.end - relativedelta(years=1)
        )
    raise ValueError(f"unknown comparison {mode!r}; use previous or last_year")
