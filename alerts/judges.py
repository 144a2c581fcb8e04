"""What a condition makes of one series at one period: a pure function of the series' values, so
a live check (alerts.conditions) and a replay over history (alerts.replay) judge alike.

    verdict = judge(condition, values, period, context)

`values` holds the series' complete periods with a value (alerts.anomaly.known_values), and the
judged period itself; a judge reads only `period` and periods before it. A missing value for the
judged period, or for the period a change compares with, is "nodata": the rule's no-data policy
decides what that means.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from alerts import wording as w
from alerts.anomaly import seasonal_band
from alerts.condition_types import Anomaly, Change, TargetCondition, Threshold, in_direction
from alerts.model import Outcome
from metric_layer.periods import shift


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    value: float | None = None
    expected: str = ""  # what would be fine, in words: "at most 8.0%", "within 4.0%–5.2%"
    detail: str = ""  # what was seen: "down 12.4% vs the week before (13,950 → 12,220)"


@dataclass(frozen=True)
class Context:
    metric: Any  # the spec's metric: its format, decimals and direction
    grain: str
    currency: str = "USD"
    target: Callable[[date], float | None] | None = None  # the target of a period, if any

    def fmt(self, value: float | None) -> str:
        return w.number(value, self.metric, self.currency)

    @property
    def higher_is_better(self) -> bool:
        return getattr(self.metric, "direction", "higher") != "lower"


def judge(condition: object, values: Mapping[date, float], period: date, ctx: Context) -> Verdict:
    value = values.get(period)
    if value is None:
        return Verdict("nodata", None, "", f"no value {w.in_period(period, ctx.grain)}")
    if isinstance(condition, Threshold):
        return threshold(condition, value, period, ctx)
    if isinstance(condition, Change):
        return change(condition, values, value, period, ctx)
    if isinstance(condition, TargetCondition):
        return below_target(value, period, ctx)
    if isinstance(condition, Anomaly):
        return anomaly(condition, values, value, period, ctx)
    raise TypeError(f"no judge for {type(condition).__name__}")


def threshold(c: Threshold, value: float, period: date, ctx: Context) -> Verdict:
    if c.low is not None and c.high is not None:
        expected = f"within {ctx.fmt(c.low)}–{ctx.fmt(c.high)}"
    elif c.high is not None:
        expected = f"at most {ctx.fmt(c.high)}"
    else:
        expected = f"at least {ctx.fmt(c.low)}"
    seen = f"{ctx.fmt(value)} {w.in_period(period, ctx.grain)}"
    if c.high is not None and value > c.high:
        excess = w.amount(value - c.high, ctx.metric, ctx.currency)
        return Verdict("breach", value, expected, f"{seen}: {excess} above {ctx.fmt(c.high)}")
    if c.low is not None and value < c.low:
        short = w.amount(c.low - value, ctx.metric, ctx.currency)
        return Verdict("breach", value, expected, f"{seen}: {short} below {ctx.fmt(c.low)}")
    return Verdict("ok", value, expected, seen)


def change(
    c: Change, values: Mapping[date, float], value: float, period: date, ctx: Context
) -> Verdict:
    base_period = shift(period, ctx.grain, c.vs)
    versus = w.versus(ctx.grain, c.vs)
    limit = f"{c.percent:g}%" if c.percent is not None else w.amount(c.absolute, ctx.metric)
    way = _way(c.direction, ctx.higher_is_better)
    expected = f"a move of less than {limit}{way} {versus}"
    base = values.get(base_period)
    if base is None:
        return Verdict(
            "nodata", value, expected, f"no value {w.in_period(base_period, ctx.grain)} to compare"
        )
    delta = value - base
    word = "up" if delta > 0 else "down" if delta < 0 else "unchanged"
    numbers = f"({ctx.fmt(base)} → {ctx.fmt(value)})"
    if c.percent is not None:
        if base == 0:
            moved = delta != 0
            size = "from 0"
        else:
            moved = abs(delta) / abs(base) * 100 >= c.percent
            size = w.percent(delta / abs(base))
    else:
        moved = abs(delta) >= c.absolute  # type: ignore[operator]
        size = w.amount(delta, ctx.metric, ctx.currency)
    detail = f"{word} {size} {versus} {numbers}" if delta else f"unchanged {versus} {numbers}"
    direction = getattr(ctx.metric, "direction", "higher")
    breach = moved and in_direction(c.direction, direction, delta)
    return Verdict("breach" if breach else "ok", value, expected, detail)


def below_target(value: float, period: date, ctx: Context) -> Verdict:
    target = ctx.target(period) if ctx.target else None
    seen = f"{ctx.fmt(value)} {w.in_period(period, ctx.grain)}"
    if target is None:
        return Verdict("ok", value, "", f"{seen}: no target set for it")
    word = "at least" if ctx.higher_is_better else "at most"
    expected = f"{word} {ctx.fmt(target)} (the target)"
    worse = value < target if ctx.higher_is_better else value > target
    gap = (value - target) / abs(target) if target else 0.0
    side = "below" if value < target else "above" if value > target else "on"
    detail = f"{seen}: {w.percent(gap)} {side} the target of {ctx.fmt(target)}"
    if side == "on":
        detail = f"{seen}: on the target of {ctx.fmt(target)}"
    return Verdict("breach" if worse else "ok", value, expected, detail)


def anomaly(
    c: Anomaly, values: Mapping[date, float], value: float, period: date, ctx: Context
) -> Verdict:
    counts = getattr(ctx.metric, "agg", None) in ("count", "count_distinct")
    band = seasonal_band(values, period, ctx.grain, c.lookback, c.sensitivity, counts)
    seen = f"{ctx.fmt(value)} {w.in_period(period, ctx.grain)}"
    if band is None:
        return Verdict("ok", value, "", f"{seen}: too little history for a usual range yet")
    usual = w.usual_for(period, ctx.grain)
    direction = getattr(ctx.metric, "direction", "higher")
    watch_up = in_direction(c.direction, direction, 1.0)
    watch_down = in_direction(c.direction, direction, -1.0)
    if watch_up and watch_down:
        expected = f"within {ctx.fmt(band.low)}–{ctx.fmt(band.high)} (usual for {usual})"
    else:
        bound = f"at most {ctx.fmt(band.high)}" if watch_up else f"at least {ctx.fmt(band.low)}"
        expected = f"{bound} (usual for {usual})"
    if band.contains(value):
        return Verdict("ok", value, expected, seen)
    side = "above" if value > band.high else "below"
    sds = abs(band.deviation(value))
    how_far = f"{sds:.1f} robust SDs" if sds != float("inf") else "it never moved before"
    detail = (
        f"{seen}: {side} the usual {ctx.fmt(band.low)}–{ctx.fmt(band.high)} for {usual} "
        f"({how_far} from {ctx.fmt(band.centre)})"
    )
    breach = watch_up if value > band.high else watch_down
    return Verdict("breach" if breach else "ok", value, expected, detail)


def _way(direction: str, higher_is_better: bool) -> str:
    if direction == "up" or (direction == "bad" and not higher_is_better):
        return " up"
    if direction == "down" or (direction == "bad" and higher_is_better):
        return " down"
    if direction == "good":
        return " up" if higher_is_better else " down"
    return ""
