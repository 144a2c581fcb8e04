"""Alerts in words: times in the spec's zone, durations, values in the metric's format, and the
colours of states and severities. Pure: no database, no request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from alerts.model import WHOLE, Rule
from alerts.store import silence_matchers
from dashboard.formatting import format_value, period_label

STATE_COLOURS = {"firing": "red", "pending": "yellow", "nodata": "gray", "error": "grape"}
STATE_COLOURS["normal"] = "teal"
STATE_WORDS = {"firing": "Firing", "pending": "Pending", "nodata": "No data", "error": "Error"}
STATE_WORDS["normal"] = "Normal"
SEVERITY_COLOURS = {"critical": "red", "warning": "orange", "info": "blue"}


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local(at: datetime, tz: str | None) -> datetime:
    """A naive-UTC time of the app database in the spec's time zone."""
    return at.replace(tzinfo=UTC).astimezone(zone(tz))


def when(at: datetime | None, tz: str | None, now: datetime | None = None) -> str:
    """`18 Mar 10:05`, with the year when it is not `now`'s year; '–' for no time."""
    if at is None:
        return "–"
    shown = local(at, tz)
    this_year = now is None or local(now, tz).year == shown.year
    return shown.strftime("%-d %b %H:%M" if this_year else "%-d %b %Y %H:%M")


def span(delta: timedelta) -> str:
    """A duration as people say it: `45 s`, `12 min`, `3 h 05 min`, `2 days 4 h`."""
    seconds = max(int(delta.total_seconds()), 0)
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    unit = "day" if days == 1 else "days"
    return f"{days} {unit} {hours} h" if hours else f"{days} {unit}"


def series_label(series: str) -> str:
    return "" if series == WHOLE else series


def shown_name(rule: str, series: str) -> str:
    """`aov_drop` or `conversion_anomaly (region=South)`."""
    return f"{rule} ({series})" if series else rule


def value_text(value: float | None, rule: Rule | None, spec: Any) -> str:
    """The observed value in its metric's format (plain when the metric is unknown)."""
    if value is None:
        return "–"
    metric = _metric(rule, spec)
    if metric is not None:
        return format_value(value, metric, getattr(spec, "currency", "USD"))
    return f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}"


def period_text(period: Any, rule: Rule | None) -> str:
    if period is None:
        return ""
    return period_label(period, rule.grain if rule is not None else "day")


def metric_title(rule: Rule | None, spec: Any) -> str:
    metric = _metric(rule, spec)
    if metric is not None:
        return str(metric.title)
    if rule is None:
        return ""
    return rule.metric or "data freshness"


def _metric(rule: Rule | None, spec: Any) -> Any:
    if rule is None or rule.metric is None or spec is None:
        return None
    if rule.metric not in getattr(spec, "metric_names", ()):
        return None
    return spec.metric(rule.metric)


def silence_text(silence: Any) -> str:
    """What a silence matches: `rule aov_drop · series region=South · team=growth`."""
    return silence_matchers(silence, " · ") or "everything"
