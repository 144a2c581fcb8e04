"""Which target is in force for a period: the latest one that started on or before it.

Targets come from north_star.targets and tree nodes' targets; one of another grain is left out
rather than rescaled, because a weekly goal is not a monthly one divided by four. Shared by the
dashboard's target lines and the review record's frozen numbers, so both show the same target.
"""

from __future__ import annotations

from datetime import date
from typing import Any

Targets = list[tuple[date, float]]


def target_series(
    targets: list[Any], periods: list[date], grain: str, default_grain: str = "week"
) -> Targets:
    """(period, target) for each period from the latest target in force."""
    mine = [t for t in targets if (t.grain or default_grain) == grain]
    ordered = sorted(mine, key=lambda t: t.from_)
    out = []
    for period in periods:
        active = [t for t in ordered if t.from_ <= period]
        if active:
            out.append((period, active[-1].value))
    return out


def target_in_force(
    targets: list[Any], period: date, grain: str, default_grain: str = "week"
) -> float | None:
    """The target of `period` at `grain`, or None when none is in force."""
    found = target_series(targets, [period], grain, default_grain)
    return float(found[0][1]) if found else None
