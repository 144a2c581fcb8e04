"""Why an alert fired: the top segments of the root-cause analysis for the period it judged, and a
link to the Drivers page for the same metric and ranges.

    segments, link = explain_observation(service, rule, observation)

The period is compared with what the condition compared it with: the same period a year ago for
a `change: {vs: last_year}` rule, the same weekday a week before for a day-grain anomaly (its
band is built from the same weekdays), else the period just before. A split rule's series is
explained within itself (series `region=South`: which platforms or channels of the South moved),
with the rule's filters. The segments are analysis.explain's (find_segments: the same ranking as
`northstar explain` and the Drivers page); a metric it cannot split, or a failing query, gives no
segments but still the link, so a notification is never held back by its explanation.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from urllib.parse import quote, urlencode

from alerts.condition_types import Anomaly, Change
from alerts.model import Observation, Rule, SegmentNote
from alerts.series import NULL_VALUE, local_today
from analysis.explain import find_segments, segment_dimensions
from analysis.ranges import DayRange
from metric_layer.periods import next_period, shift
from metric_layer.query import DimensionFilter

TOP_SEGMENTS = 3
_EFFECTS = {"rate effect": "rate", "mix effect": "mix"}
# Characters that separate parts of a Drivers link's filter (dashboard.conditions.RESERVED): a
# value holding one is percent-escaped, as the page's own links write it.
_RESERVED = "%;,=!<>"

log = logging.getLogger(__name__)


def explain_observation(
    service, rule: Rule, observation: Observation
) -> tuple[tuple[SegmentNote, ...], str]:
    """(top segments, Drivers link) for `observation`; ((), "") when it judged no period of a
    metric (freshness, errors)."""
    if rule.metric is None or observation.period is None:
        return (), ""
    ranges = compared_ranges(service, rule, observation)
    if ranges is None:
        return (), ""
    current, baseline = ranges
    filters = (*rule.filters, *series_filters(observation.series))
    link = drivers_link(rule.metric, current, baseline, filters)
    try:
        notes = _segments(service, rule.metric, current, baseline, filters)
    except Exception as exc:  # the explanation is a courtesy: never hold the alert back
        log.warning("no explanation for %s (%s): %s", rule.name, observation.series, exc)
        notes = ()
    return notes, link


def compared_ranges(
    service, rule: Rule, observation: Observation
) -> tuple[DayRange, DayRange] | None:
    """The judged period's days and the days it is compared with (a partial period: its complete
    days so far, against the same days of the period it is compared with)."""
    period: date = observation.period  # type: ignore[assignment]
    grain = rule.grain
    end = next_period(period, grain) - timedelta(days=1)
    today = local_today(service, observation.at)
    end = min(end, today - timedelta(days=1))
    if end < period:
        return None
    if isinstance(rule.condition, Change):
        start_then = shift(period, grain, rule.condition.vs)
    elif isinstance(rule.condition, Anomaly) and grain == "day":
        start_then = period - timedelta(weeks=1)
    else:
        start_then = shift(period, grain, "previous")
    days = (end - period).days
    return DayRange(period, end), DayRange(start_then, start_then + timedelta(days=days))


def series_filters(series: str) -> tuple[DimensionFilter, ...]:
    """`region=South` → the filter region = South; the whole metric → none."""
    if not series or "=" not in series:
        return ()
    dimension, value = series.split("=", 1)
    if value == NULL_VALUE:
        return ()  # rows without a value cannot be filtered to by `=`: explain the whole
    return (DimensionFilter(dimension, "=", (value,)),)


def _segments(
    service, metric: str, current: DayRange, baseline: DayRange, filters
) -> tuple[SegmentNote, ...]:
    fixed = {f.dimension for f in filters if f.op == "=" and len(f.values) == 1}
    dims = [d for d in segment_dimensions(service, metric) if d not in fixed]
    found = find_segments(
        service,
        metric,
        dims[:8],
        (current.start, current.end),
        (baseline.start, baseline.end),
        filters=tuple(filters),
    )
    if found is None or not found.findings:
        return ()
    total = found.change
    return tuple(
        SegmentNote(
            label=e.label,
            change=float(e.contribution),
            share=float(e.contribution / total) if total else 0.0,
            effect=_EFFECTS.get(e.effect, ""),
        )
        for e in found.findings[:TOP_SEGMENTS]
    )


def drivers_link(
    metric: str, current: DayRange, baseline: DayRange, filters: tuple[DimensionFilter, ...] = ()
) -> str:
    """The Drivers page (dashboard/pages/drivers.py) for `metric` over `current` against
    `baseline`: `/drivers?metric=…&from=…&to=…&compare=custom&vs_from=…&vs_to=…[&filters=…]`."""
    params: dict[str, str] = {
        "metric": metric,
        "from": current.start.isoformat(),
        "to": current.end.isoformat(),
        "compare": "custom",
        "vs_from": baseline.start.isoformat(),
        "vs_to": baseline.end.isoformat(),
    }
    if filters:
        params["filters"] = ";".join(_filter_text(f) for f in filters)
    return f"/drivers?{urlencode(params)}"


def _filter_text(f: DimensionFilter) -> str:
    # As dashboard.views.filter_text writes a dimension filter into a link.
    op = "!=" if f.op in ("!=", "not in") else "=" if f.op in ("=", "in") else f.op
    return f"{f.dimension}{op}{','.join(_escape(v) for v in f.values)}"


def _escape(value: object) -> str:
    text = str(value)
    lo, hi = len(text) - len(text.lstrip()), len(text.rstrip())
    return "".join(
        quote(c, safe="") if c in _RESERVED or not lo <= i < hi else c for i, c in enumerate(text)
    )
