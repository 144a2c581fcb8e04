"""`target: pace`: is the current period on course to reach its target by its end?

The morning question of the product team ("is the North Star on track this week?") asked of the
unfinished period: its value over the complete days so far against the share of the target those
days usually bring. The share comes from the same days of the last PACE_PERIODS complete periods
(a shop sells more at the weekend, so Monday to Wednesday are not 3/7 of a week), and falls back
to the share of the days when there is no history. Only counts and sums accumulate over days; any
other metric (a rate, an average, a distinct count) is judged as it stands so far against the
target itself. On the first day of a period, before any day of it is complete, the period just
ended is judged against its own target in full.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import pandas as pd

from alerts import wording as w
from alerts.judges import Context, Verdict, below_target
from alerts.model import Rule
from alerts.targets import target_for
from metric_layer.periods import next_period, period_start, shift
from metric_layer.query import MetricQuery
from metric_layer.spec import SimpleMetric

PACE_PERIODS = 4  # complete periods whose days teach the usual share of a period so far


def accumulates(metric: object) -> bool:
    """Counts and sums: the period's value is the sum of its days'."""
    return isinstance(metric, SimpleMetric) and metric.agg in ("count", "sum")


def judge_pace(service, rule: Rule, today: date, ctx: Context) -> tuple[date, Verdict]:
    """(the period judged, the verdict) for a pace rule evaluated on `today`."""
    spec = service.spec
    current = period_start(today, rule.grain, spec.week_start)
    if today == current:  # no complete day yet: the period that just ended, in full
        last = shift(current, rule.grain, "previous")
        value = _value(service, rule, last, current - timedelta(days=1), today)
        if value is None:
            return last, Verdict("nodata", None, "", f"no value {w.in_period(last, rule.grain)}")
        return last, below_target(value, last, ctx)
    target = target_for(spec, rule.metric, rule.grain, current)
    days_done = (today - current).days
    days_all = (next_period(current, rule.grain) - current).days
    so_far = _value(service, rule, current, today - timedelta(days=1), today)
    seen = f"{w.number(so_far, ctx.metric, ctx.currency)} so far {w.in_period(current, rule.grain)}"
    if target is None:
        return current, Verdict("ok", so_far, "", f"{seen}: no target set for it")
    if so_far is None:
        return current, Verdict(
            "nodata", None, "", f"no value so far {w.in_period(current, rule.grain)}"
        )
    share = (
        usual_share(service, rule, current, days_done, today) if accumulates(ctx.metric) else 1.0
    )
    expected_value = target * share
    word = "at least" if ctx.higher_is_better else "at most"
    days = f"{days_done} of {days_all} days"
    # A count is whole: "at least 3.33" means at least 4 (at most 3.33: at most 3).
    shown = expected_value
    if getattr(ctx.metric, "agg", None) == "count":
        shown = math.ceil(expected_value) if ctx.higher_is_better else math.floor(expected_value)
    if share < 1.0:
        expected = (
            f"{word} {ctx.fmt(shown)} after {days} "
            f"({w.percent(share)} of the target of {ctx.fmt(target)})"
        )
    else:
        expected = f"{word} {ctx.fmt(target)} (the target) after {days}"
    gap = (so_far - expected_value) / abs(expected_value) if expected_value else 0.0
    behind = so_far < expected_value if ctx.higher_is_better else so_far > expected_value
    state = "behind" if behind else "ahead of" if gap else "on"
    detail = f"{seen} ({days}): {w.percent(gap)} {state} pace"
    if accumulates(ctx.metric) and share > 0:
        detail += f", on course for {ctx.fmt(so_far / share)} of {ctx.fmt(target)}"
    return current, Verdict("breach" if behind else "ok", so_far, expected, detail)


def usual_share(service, rule: Rule, current: date, days_done: int, today: date) -> float:
    """The share of a whole period's value its first `days_done` days brought, over the last
    PACE_PERIODS complete periods (sum of their first days / sum of their whole); the share of
    days when they hold nothing."""
    first = shift(current, rule.grain, "previous", PACE_PERIODS)
    query = MetricQuery(
        (rule.metric,), "day", first, current - timedelta(days=1), filters=rule.filters, as_of=today
    )
    frame = service.query(query).frame
    days = pd.to_numeric(frame[rule.metric].astype("object"), errors="coerce").fillna(0.0)
    by_day = dict(zip(frame["period"], days.astype(float), strict=True))
    early = whole = 0.0
    start = first
    while start < current:
        end = next_period(start, rule.grain)
        for offset in range((end - start).days):
            value = by_day.get(start + timedelta(days=offset), 0.0)
            whole += value
            early += value if offset < days_done else 0.0
        start = end
    if whole > 0:
        return early / whole
    return days_done / (next_period(current, rule.grain) - current).days


def _value(service, rule: Rule, start: date, end: date, today: date) -> float | None:
    """The metric over the days start..end (one grain-`all` period: exact for every metric)."""
    query = MetricQuery((rule.metric,), "all", start, end, filters=rule.filters, as_of=today)
    frame = service.query(query).frame
    if frame.empty:
        return None
    value = pd.to_numeric(pd.Series([frame[rule.metric].iloc[0]], dtype="object"), errors="coerce")
    return None if pd.isna(value.iloc[0]) else float(value.iloc[0])
