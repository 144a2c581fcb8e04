"""What a rule's `condition:` says, as plain frozen values (alerts.spec builds them from YAML,
alerts.conditions evaluates them). One class per kind of condition:

- Threshold: the value is above, below or outside a range;
- Change: the value moved by more than a percent or an amount against the period before or the
  same period last year, in a direction (`bad` and `good` read the metric's `direction`);
- TargetCondition: the metric is worse than its target for the period (`below`), or behind the
  pace that reaches this period's target by its end (`pace`);
- Anomaly: the value is outside a robust seasonal band (alerts.anomaly);
- Freshness: a source has not loaded for longer than `max_age`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

Direction = Literal["bad", "good", "up", "down", "any"]
DIRECTIONS: tuple[Direction, ...] = ("bad", "good", "up", "down", "any")
ThresholdOp = Literal["above", "below", "outside"]
ChangeBase = Literal["previous", "last_year"]
TargetMode = Literal["below", "pace"]


@dataclass(frozen=True)
class Threshold:
    op: ThresholdOp
    # The value must stay within [low, high] (None: unbounded): `above: x` is high=x, `below: x`
    # low=x, `outside: [lo, hi]` both.
    low: float | None = None
    high: float | None = None
    include_partial: bool = False


@dataclass(frozen=True)
class Change:
    vs: ChangeBase = "previous"
    percent: float | None = None  # one of percent (10 = 10 %) or absolute is set
    absolute: float | None = None
    direction: Direction = "any"
    include_partial: bool = False


@dataclass(frozen=True)
class TargetCondition:
    mode: TargetMode = "below"


@dataclass(frozen=True)
class Anomaly:
    sensitivity: float = 3.0  # band half-width in robust standard deviations
    direction: Direction = "any"
    # Day grain: weeks of the same weekday the baseline is the median of; other grains: periods.
    lookback: int = 8
    include_partial: bool = False


@dataclass(frozen=True)
class Freshness:
    source: str
    max_age: timedelta


Condition = Threshold | Change | TargetCondition | Anomaly | Freshness
CONDITION_KINDS = ("above", "below", "outside", "change", "target", "anomaly", "freshness")


def in_direction(direction: Direction, metric_direction: str, delta: float) -> bool:
    """Whether a move of `delta` counts under `direction`; `bad`/`good` use the metric's
    direction (`higher`: up is good; `lower`: down is good)."""
    if delta == 0:
        return False
    if direction == "any":
        return True
    if direction in ("up", "down"):
        return (delta > 0) == (direction == "up")
    up_is_good = metric_direction != "lower"
    is_good = (delta > 0) == up_is_good
    return is_good == (direction == "good")
