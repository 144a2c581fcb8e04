"""One evaluation of a rule: what its condition sees now, one Observation per series.

    observe(service, rule, now, last_loads=None) -> list[Observation]

A metric rule asks the metric service one query (the rule's dimension as the breakdown when it
splits; alerts.series) and judges each series on the latest COMPLETE period of the rule's grain
(alerts.judges), never the unfinished current one unless the condition says `include_partial`.
`target: pace` judges the current period so far (alerts.pace); a freshness rule reads when each
source last loaded. Any failure — a query error, a metric the service's scope hides, a warehouse
that cannot be read — is an Observation with outcome "error" and the message, never an exception,
so one broken rule does not stop the others. `service` is a metric_layer MetricService, scoped or
not: the numbers are what that service's user may see.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from alerts.anomaly import known_values
from alerts.condition_types import (
    Anomaly,
    Change,
    Condition,
    Freshness,
    TargetCondition,
    Threshold,
)
from alerts.durations import duration_text
from alerts.judges import Context, Verdict, judge
from alerts.model import WHOLE, Observation, Rule
from alerts.pace import judge_pace
from alerts.series import fetch_series, local_today
from alerts.targets import target_for
from metric_layer.query_checks import check_metric

__all__ = [
    "Anomaly",
    "Change",
    "Condition",
    "Freshness",
    "TargetCondition",
    "Threshold",
    "observe",
]

log = logging.getLogger(__name__)


def observe(
    service, rule: Rule, now: datetime, *, last_loads: Mapping[str, datetime] | None = None
) -> list[Observation]:
    """What `rule` sees at `now` (naive UTC): one Observation per series, in series order.

    `last_loads` (source → when its last good load finished) saves a freshness rule the read of
    the warehouse's load log; by default it comes from `service.last_loads()`."""
    at = _naive_utc(now)
    try:
        if isinstance(rule.condition, Freshness):
            loads = service.last_loads() if last_loads is None else last_loads
            return [freshness(rule, rule.condition, loads, at)]
        return _metric_observations(service, rule, at)
    except Exception as exc:  # the contract: a failing evaluation is an outcome, not a raise
        log.warning("alert rule %s could not be evaluated: %s", rule.name, exc)
        return [Observation(rule.name, WHOLE, "error", at, error=_message(exc))]


def context(service, rule: Rule) -> Context:
    spec = service.spec
    metric = spec.metric(rule.metric)

    def target(period):  # type: ignore[no-untyped-def]
        return target_for(spec, rule.metric, rule.grain, period)

    return Context(metric, rule.grain, spec.currency, target)


def _metric_observations(service, rule: Rule, at: datetime) -> list[Observation]:
    check_metric(service.semantics, rule.metric)  # a rule read before the spec changed
    today = local_today(service, at)
    ctx = context(service, rule)
    if isinstance(rule.condition, TargetCondition) and rule.condition.mode == "pace":
        period, verdict = judge_pace(service, rule, today, ctx)
        return [_observation(rule, WHOLE, at, period, verdict)]
    series = fetch_series(service, rule, today)
    include_partial = getattr(rule.condition, "include_partial", False)
    period = series.judged_period(include_partial)
    if period is None:
        where = "finished yet" if series.partial else "with data in the range read"
        return [Observation(rule.name, WHOLE, "nodata", at, detail=f"no {rule.grain} {where}")]
    out = []
    for name, values in series.values.items():
        verdict = judge(rule.condition, known_values(values), period, ctx)
        out.append(_observation(rule, name, at, period, verdict))
    return out


def _observation(rule: Rule, series: str, at: datetime, period, verdict: Verdict) -> Observation:
    return Observation(
        rule=rule.name,
        series=series,
        outcome=verdict.outcome,
        at=at,
        value=verdict.value,
        period=period,
        expected=verdict.expected,
        detail=verdict.detail,
    )


def freshness(
    rule: Rule, condition: Freshness, last_loads: Mapping[str, datetime], now: datetime
) -> Observation:
    """Breach when `condition.source` last loaded longer than `max_age` before `now`; nodata when
    no good load of it is recorded (the rule's no-data policy decides)."""
    limit = duration_text(condition.max_age)
    expected = f"a load of `{condition.source}` in the last {limit}"
    last = last_loads.get(condition.source)
    if last is None:
        detail = f"no successful load of `{condition.source}` recorded"
        return Observation(rule.name, WHOLE, "nodata", now, expected=expected, detail=detail)
    age = max(now - _naive_utc(last), timedelta(0))  # a clock behind the load log: just loaded
    hours = age.total_seconds() / 3600
    ago = f"{hours:,.1f} hours" if hours < 48 else f"{hours / 24:,.1f} days"
    detail = f"`{condition.source}` last loaded {ago} ago ({_naive_utc(last):%Y-%m-%d %H:%M} UTC)"
    outcome = "breach" if age > condition.max_age else "ok"
    return Observation(
        rule.name, WHOLE, outcome, now, value=round(hours, 3), expected=expected, detail=detail
    )


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def _message(exc: Exception) -> str:
    # The first line only: a query error's message says what is wrong; never a traceback.
    lines = str(exc).strip().splitlines()
    return lines[0][:500] if lines else type(exc).__name__
