"""What a rule would have raised over history: the rule evaluated period by period, as the
worker would have on the morning each period became complete, with `for` and resolving applied.

    firings = replay(service, rule, first, last)

It reads each series once over the whole range and judges every period with the same pure
judges a live check uses (alerts.judges), on the values of that period and the ones before it
only; so a replay costs one query per rule, not one per day. What it leaves out: periods that
finish later than the day after (retention cohorts maturing), and the live state machine's
repeats, silences and acknowledgements (alerts.state) — a firing *episode* here is what a person
is told about once: it starts when a series breaches `for` periods in a row and ends at the first
period that is fine again; a period without data changes nothing.

Used to check default rules against the demo's planted incidents and to count the alerts a rule
set raises over two years (tests/unit/test_alert_replay.py); target pace and freshness rules
cannot be replayed (they read the unfinished period and the load log as they are now).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from alerts.anomaly import known_values
from alerts.condition_types import Freshness, TargetCondition
from alerts.conditions import context
from alerts.judges import judge
from alerts.model import Rule
from alerts.series import fetch_series, periods_needed
from metric_layer.periods import next_period, period_start, periods_between


@dataclass(frozen=True)
class Firing:
    """One firing episode of one series."""

    rule: str
    series: str
    period: date  # the period whose breach made it fire
    fired_on: date  # the day it fired: the first day after that period
    resolved_on: date | None  # the first day after the first period that was fine again
    detail: str


def replayable(rule: Rule) -> bool:
    return not isinstance(rule.condition, Freshness) and not (
        isinstance(rule.condition, TargetCondition) and rule.condition.mode == "pace"
    )


def replay(service, rule: Rule, first: date, last: date) -> list[Firing]:
    """The episodes `rule` fires on the periods that start on or after `first` and are complete
    by `last` (inclusive), in the order they fire."""
    if not replayable(rule):
        raise ValueError(f"rule `{rule.name}` reads the present (pace, freshness): no replay")
    week_start = service.spec.week_start
    span = service.data_span(rule.metric)
    if span is None:
        return []
    # Before its first row a series has no data, not zeros: a count's empty periods before the
    # data began would read as a flat history at 0.
    first = max(first, span[0])
    start = period_start(first, rule.grain, week_start)
    if start < first:
        start = next_period(start, rule.grain)
    today = last + timedelta(days=1)
    read_from = max(periods_needed(rule.condition, rule.grain, start), span[0])
    series = fetch_series(service, rule, today, start=read_from, end=last)
    periods = [
        p for p in periods_between(start, today, rule.grain) if next_period(p, rule.grain) <= today
    ]
    ctx = context(service, rule)
    out: list[Firing] = []
    for name, raw in series.values.items():
        values = known_values(raw)
        streak, firing = 0, None
        for period in periods:
            verdict = judge(rule.condition, values, period, ctx)
            if verdict.outcome == "breach":
                streak += 1
                if firing is None and streak >= rule.for_periods:
                    firing = (period, verdict.detail)
            elif verdict.outcome == "ok":
                if firing is not None:
                    out.append(_firing(rule, name, *firing, resolved=period))
                streak, firing = 0, None
        if firing is not None:
            out.append(_firing(rule, name, *firing, resolved=None))
    return sorted(out, key=lambda f: (f.fired_on, f.rule, f.series))


def _firing(rule: Rule, series: str, period: date, detail: str, resolved: date | None) -> Firing:
    return Firing(
        rule.name,
        series,
        period,
        next_period(period, rule.grain),
        next_period(resolved, rule.grain) if resolved else None,
        detail,
    )
