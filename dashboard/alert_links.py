"""Where an alert's explanation lives: the Drivers page for the rule's metric and the period that
fired, compared with the period before, narrowed to the rule's filters and its series."""

from __future__ import annotations

from typing import Any

from alerts.model import Rule, SeriesState
from dashboard.explanations import drivers_view_for, period_ranges
from metric_layer.query import DimensionFilter

DRIVERS_PREFIX = "/drivers?"


def drivers_href(rule: Rule | None, state: SeriesState, payload: dict | None = None) -> str | None:
    """The notification's own Drivers link when it has one (made by alerts.why with the rule's
    comparison), else one built here; None for freshness rules and states without a period."""
    link = (payload or {}).get("drivers_link")
    if isinstance(link, str) and link.startswith(DRIVERS_PREFIX) and len(link) < 4000:
        return link  # only a link into this site: the payload is data, not a place to send people
    if rule is None or rule.metric is None or state.period is None:
        return None
    current, baseline = period_ranges(state.period, rule.grain)
    filters = (*rule.filters, *series_filters(rule, state.series))
    return drivers_view_for(rule.metric, current, baseline, tuple(filters)).href()


def series_filters(rule: Rule, series: str) -> tuple[DimensionFilter, ...]:
    """The filter a split rule's series stands for: `region=South` → region = South."""
    if not series or rule.split_by is None:
        return ()
    name, sep, value = series.partition("=")
    if not sep or name != rule.split_by:
        return ()
    return (DimensionFilter(name, "=", (value,)),)


def segment_lines(payload: dict | None, limit: int = 3) -> list[dict[str, Any]]:
    """The top segments a notification carried, checked for shape (payloads are stored JSON)."""
    found = (payload or {}).get("segments")
    if not isinstance(found, list):
        return []
    lines = []
    for item in found[:limit]:
        if isinstance(item, dict) and isinstance(item.get("label"), str):
            lines.append(item)
    return lines
