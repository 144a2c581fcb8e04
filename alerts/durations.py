"""Durations as rules write them: `30 minutes`, `6 hours`, `1 day`, `2 weeks` (or `6h`, `1d`)."""

from __future__ import annotations

import re
from datetime import timedelta

_UNITS = {"minute": "minutes", "hour": "hours", "day": "days", "week": "weeks"}
_SHORT = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_LONG = re.compile(r"^\s*(\d{1,6})\s*(minute|hour|day|week)s?\s*$", re.IGNORECASE)
_COMPACT = re.compile(r"^\s*(\d{1,6})\s*([mhdw])\s*$", re.IGNORECASE)
DURATION_HELP = "a count and a unit, e.g. `30 minutes`, `6 hours`, `1 day` or `2 weeks`"


def parse_duration(text: object) -> timedelta:
    """The timedelta of `text`; ValueError saying how to write one (never zero)."""
    match = _LONG.match(str(text)) or _COMPACT.match(str(text))
    if match is None or isinstance(text, bool):
        raise ValueError("not a duration")
    count, unit = int(match.group(1)), match.group(2).lower()
    if count == 0:
        raise ValueError("a duration must be longer than zero")
    return timedelta(**{_UNITS.get(unit) or _SHORT[unit]: count})


def duration_text(value: timedelta) -> str:
    """`6 hours`, `1 day`, `90 minutes`: the largest unit that divides it."""
    seconds = int(value.total_seconds())
    for unit, size in (("week", 604_800), ("day", 86_400), ("hour", 3_600), ("minute", 60)):
        if seconds % size == 0 and seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{seconds} seconds"
