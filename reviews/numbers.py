"""The numbers a weekly review shows, computed from the metric layer for one ISO week.

The slides are review mode's default deck — the North Star, why it moved, its first drivers —
and the alert states, each at week grain for the week reviewed (against the week before, the same
week a year earlier, and the target in force). Values come from the same places the pages take
them: MetricQuery with compare previous / last_year (the headline and driver cards),
analysis.explain (the Why slide and the Drivers page), analysis.report's records (the CLI), and
analysis.targets. Out: FrozenSlide records of plain JSON values (None, never NaN), stored once
when a review starts; compare.py computes them again to show what a correction changed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from analysis.explain import explain
from analysis.ranges import DayRange
from analysis.report import driver_records, segment_records, segment_verdict
from analysis.targets import target_in_force
from metric_layer.periods import next_period, period_start
from metric_layer.query import MetricQuery
from reviews.errors import ReviewError
from reviews.weeks import IsoWeek

GRAIN = "week"  # the review is weekly, whatever grain the North Star is charted at
TOP_SEGMENTS = 3  # as many as the Why slide lists
NSM, WHY, ALERTS, OKRS = "nsm", "why", "alerts", "okrs"
DRIVER = "driver:"  # + the driver's metric name
VALUE_KEYS = ("value", "previous", "last_year", "target", "change", "change_last_year")
VALUE_KEYS += ("vs_target",)


@dataclass(frozen=True)
class FrozenSlide:
    """What one slide showed: `numbers` is plain JSON (stored as it is in review_numbers)."""

    slide: str  # NSM, WHY, DRIVER + metric, ALERTS
    metric: str | None
    numbers: dict[str, Any]


def number(value: object) -> float | None:
    """A JSON number: None for missing and NaN (JSON has no NaN; PostgreSQL refuses it)."""
    if value is None:
        return None
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) or math.isinf(out) else out


def relative(value: float | None, base: float | None) -> float | None:
    """(value − base) / |base|, as the pages' change badges; None without a base."""
    if value is None or base is None or base == 0:
        return None
    return (value - base) / abs(base)


def review_period(spec: Any, week: IsoWeek) -> date:
    """The first day of the spec's week that holds the ISO week's Monday (the ISO week itself
    when weeks start on Monday; the Sunday before it with `week_start: sunday`)."""
    return period_start(week.monday, GRAIN, spec.week_start)


def check_complete(service: Any, spec: Any, week: IsoWeek) -> date:
    """The week's first day; ReviewError when the week is not over as of the service's today."""
    period = review_period(spec, week)
    today = service.today()
    if next_period(period, GRAIN) > today:
        last = IsoWeek.of(today).previous()
        raise ReviewError(
            f"{week} is not over yet (data as of {today}): review a complete week, such as {last}"
        )
    return period


def week_numbers(
    service: Any,
    week: IsoWeek,
    alert_states: Iterable[Any] | None = None,
    *,
    top: int | None = TOP_SEGMENTS,
) -> list[FrozenSlide]:
    """Every slide's numbers for `week` from `service` (a MetricService); `alert_states` (the app
    database's, None: no alerts slide); `top` segments kept (None: all, for comparisons)."""
    spec = service.spec
    ns = spec.north_star
    if ns is None:
        raise ReviewError(
            "metrics.yml names no north_star: a review shows the North Star and its drivers; "
            "add a north_star section (docs/metrics-yml.md)"
        )
    period = check_complete(service, spec, week)
    slides = [FrozenSlide(NSM, ns.metric, metric_numbers(service, ns.metric, period, ns.targets))]
    slides.append(FrozenSlide(WHY, ns.metric, why_numbers(service, ns.metric, period, top)))
    for node in ns.tree.children if ns.tree else []:
        slides.append(
            FrozenSlide(
                DRIVER + node.metric,
                node.metric,
                metric_numbers(service, node.metric, period, list(node.targets)),
            )
        )
    if alert_states is not None:
        slides.append(FrozenSlide(ALERTS, None, alerts_numbers(alert_states)))
    return slides


def display(metric: Any, currency: str) -> dict[str, Any]:
    """How the metric's values are written (kept with the numbers: a later spec may drop it)."""
    return {
        "currency": currency,
        "title": metric.title,
        "format": metric.format,
        "unit": metric.unit,
        "decimals": metric.decimals,
        "agg": getattr(metric, "agg", None),
        "direction": metric.direction,
    }


def _week_row(service: Any, metric: str, period: date, compare: str) -> tuple[Any, Any, bool]:
    """(value, compared value, partial) of `metric` in the week starting at `period`."""
    end = next_period(period, GRAIN) - timedelta(days=1)
    frame = service.query(MetricQuery((metric,), GRAIN, period, end, compare=compare)).frame
    rows = frame[frame["period"] == period]
    if rows.empty:
        return None, None, False
    row = rows.iloc[0]
    return row[metric], row[f"{metric}__compare"], bool(row["is_partial"])


def metric_numbers(service: Any, metric: str, period: date, targets: list[Any]) -> dict[str, Any]:
    """A headline: the week's value against the week before, last year and the target."""
    spec = service.spec
    value, previous, partial = _week_row(service, metric, period, "previous")
    _, last_year, _ = _week_row(service, metric, period, "last_year")
    value, previous, last_year = number(value), number(previous), number(last_year)
    target = target_in_force(targets, period, GRAIN, spec.north_star.grain)
    return {
        "display": display(spec.metric(metric), spec.currency),
        "period": period.isoformat(),
        "partial": partial,  # a retention metric not mature yet
        "value": value,
        "previous": previous,
        "last_year": last_year,
        "target": target,
        "change": relative(value, previous),
        "change_last_year": relative(value, last_year),
        "vs_target": relative(value, target),
    }


def why_numbers(service: Any, metric: str, period: date, top: int | None) -> dict[str, Any]:
    """Why the metric moved from the week before: its drivers' contributions (direct children
    in north_star.tree, what the relation leaves unexplained) and the top segments."""
    spec = service.spec
    end = next_period(period, GRAIN) - timedelta(days=1)
    current = DayRange(period, end)
    baseline = DayRange(period - timedelta(days=7), end - timedelta(days=7))
    e = explain(service, metric, current, baseline)
    c = e.comparison
    drivers = [
        {
            "metric": r["metric"],
            "title": "not explained" if r["method"] == "residual" else _title(spec, r["metric"]),
            "method": r["method"],
            "before": number(r["before"]),
            "after": number(r["after"]),
            "contribution": number(r["contribution"]),
            "share": number(r["share_of_parent_change"]),
        }
        for r in driver_records(e)
        if r["parent"] == metric
    ]
    segments = [
        {
            "segment": s["segment"],
            "before": number(s["before"]),
            "after": number(s["after"]),
            "contribution": number(s["contribution"]),
            "share": number(s["share_of_change"]),
            "effect": s["effect"],
        }
        for s in segment_records(e)
    ]
    return {
        "display": display(spec.metric(metric), spec.currency),
        "current": str(current),
        "baseline": str(baseline),
        "before": number(c.before),
        "after": number(c.after),
        "change": number(c.change),
        "change_pct": number(c.change_pct),
        "drivers": drivers,
        "segments": segments if top is None else segments[:top],
        "verdict": segment_verdict(e),
        "notes": list(e.notes),
    }


def _title(spec: Any, name: str) -> str:
    return spec.metric(name).title if name in spec.metric_names else name


def alerts_numbers(states: Iterable[Any]) -> dict[str, Any]:
    """The series that were not normal (firing, pending, no data, error) when the review froze."""
    shown = [s for s in states if s.state != "normal"]
    order = {"firing": 0, "error": 1, "nodata": 2, "pending": 3}
    shown.sort(key=lambda s: (order.get(s.state, 9), s.rule, s.series))
    return {
        "states": [
            {
                "rule": s.rule,
                "series": s.series,
                "state": s.state,
                "since": s.since.isoformat(timespec="seconds") if s.since else None,
                "value": number(s.value),
                "period": s.period.isoformat() if s.period else None,
                "acked_by": s.acked_by,
            }
            for s in shown
        ]
    }


def okrs_numbers(board: Any) -> dict[str, Any]:
    """The quarter's objectives as the OKR slide showed them when the review froze (an
    okrs.board.Board as of the Monday after the week): score, colour and pace status each."""
    return {
        "quarter": str(board.quarter),
        "as_of": board.today.isoformat(),
        "objectives": [
            {
                "id": row.objective.id,
                "title": row.objective.title,
                "owner": row.objective.owner,
                "score": number(row.score.score),
                "colour": row.score.colour,
                "status": row.score.status,
                "note": row.score.note,
            }
            for row in board.rows()
        ],
    }
