"""A rule's series as the metric layer gives them: one query per rule, with the rule's dimension as
the breakdown when it splits, over the periods its condition reads.

Each series is its values by period start; which periods are complete comes from the query's own
`is_partial` (today per the service's as-of or the evaluation's clock; a retention or conversion
metric's last periods stay partial until its cohorts are mature).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pandas as pd

from alerts.anomaly import history_periods
from alerts.condition_types import Anomaly, Change, Condition
from alerts.model import WHOLE, Rule
from metric_layer.periods import period_start, shift
from metric_layer.query import MetricQuery
from metric_layer.retention_sql import retention_offsets
from metric_layer.spec import ConversionMetric, RetentionMetric

NULL_VALUE = "null"  # the series name part of rows whose dimension value is NULL


@dataclass(frozen=True)
class RuleSeries:
    """The values of each series of a rule (WHOLE, or `dim=value`) by period start."""

    values: dict[str, pd.Series]
    complete: date | None  # the latest complete period (None: none in the range)
    partial: date | None  # the current, unfinished period (None: none in the range)

    def judged_period(self, include_partial: bool) -> date | None:
        return self.partial if include_partial and self.partial else self.complete


def periods_needed(condition: Condition, grain: str, period: date) -> date:
    """The first period the condition reads when it judges `period`."""
    if isinstance(condition, Change):
        return shift(period, grain, condition.vs)
    if isinstance(condition, Anomaly):
        return shift(period, grain, "previous", history_periods(grain, condition.lookback))
    return period


def maturity_days(metric: object) -> int:
    """Days after a period before its value is final (as the service marks periods partial)."""
    if isinstance(metric, RetentionMetric):
        return retention_offsets(metric)[1]
    if isinstance(metric, ConversionMetric):
        return metric.window
    return 0


def fetch_series(
    service, rule: Rule, today: date, start: date | None = None, end: date | None = None
) -> RuleSeries:
    """The rule's series as of `today`, from `start` (default: what its condition needs to judge
    the latest complete period) to `end` (default: today, so the partial period is included)."""
    spec = service.spec
    metric = spec.metric(rule.metric)
    if start is None:
        current = period_start(today, rule.grain, spec.week_start)
        # The latest complete period is the one before the current, or earlier for metrics
        # whose cohorts mature: step back over their maturity too.
        step = {"day": 1, "week": 7, "month": 28, "quarter": 90, "year": 365}[rule.grain]
        back = 1 + math.ceil(maturity_days(metric) / step)
        start = periods_needed(
            rule.condition, rule.grain, shift(current, rule.grain, "previous", back)
        )
    query = MetricQuery(
        metrics=(rule.metric,),
        grain=rule.grain,
        start=start,
        end=end or today,
        dimensions=(rule.split_by,) if rule.split_by else (),
        filters=rule.filters,
        as_of=today,
    )
    frame = service.query(query).frame
    done = frame.loc[~frame["is_partial"], "period"]
    unfinished = frame.loc[frame["is_partial"], "period"]
    values: dict[str, pd.Series] = {}
    if rule.split_by:
        for key, rows in frame.groupby(rule.split_by, dropna=False, sort=True):
            name = f"{rule.split_by}={NULL_VALUE if pd.isna(key) else key}"
            values[name] = _values(rows, rule.metric)
    else:
        values[WHOLE] = _values(frame, rule.metric)
    return RuleSeries(
        values,
        complete=max(done) if len(done) else None,
        partial=max(unfinished) if len(unfinished) else None,
    )


def _values(rows: pd.DataFrame, metric: str) -> pd.Series:
    numbers = pd.to_numeric(rows[metric].astype("object"), errors="coerce").astype("float64")
    return pd.Series(numbers.to_numpy(), index=list(rows["period"])).sort_index()


def local_today(service, now: datetime) -> date:
    """Today for an evaluation at `now` (naive UTC): the service's as-of day when it has one, else
    `now`'s date in the spec's time zone."""
    as_of = getattr(service, "as_of", None)
    if as_of is not None:
        return as_of
    aware = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(service.spec.time_zone)).date()
