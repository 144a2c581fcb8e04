"""A notification as the JSON the outbox keeps: everything a channel needs to send it, so a retry
hours later sends the same message without asking the metric layer again.

Keys (alerts): kind, title, rule, metric, series, state, severity, value, period, expected, detail,
since, at, owners, summary, segments [{label, change, share, effect}], drivers_link, grain, labels,
and `points` [{period, value}]: the metric's recent values for the email's chart (oldest first,
at most MAX_POINTS; empty when the evaluator gave none). `series` is the series' name (`""` for a
rule that does not split, `region=South` for one that does), as everywhere in alerting.

The weekly report's payload is made by the report: {"subject", "html", "text", "pdf_path", "week"}
and optionally "link" (default: /report/<week>.pdf); its outbox row's kind is "report", which
alerts.deliver adds to the payload as "kind" before a channel sees it.
Times are naive UTC in ISO form; numbers that are not finite become null (JSON has no NaN).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from alerts.model import Notification

MAX_POINTS = 60  # enough for a quarter of days or a year of weeks; keeps outbox rows small
REPORT_KEYS = ("subject", "html", "text", "pdf_path", "week")


def notification_payload(
    n: Notification, *, points: Iterable[tuple[date | datetime, float | None]] = ()
) -> dict[str, Any]:
    """The JSON-able payload of one notification; `points` are (period start, value) pairs."""
    rule = n.rule
    chart = [{"period": _iso(p), "value": _number(v)} for p, v in points][-MAX_POINTS:]
    return {
        "kind": n.kind,
        "title": n.title,
        "rule": rule.name,
        "metric": rule.metric,
        "series": n.series,
        "state": n.state,
        "severity": rule.severity,
        "value": _number(n.value),
        "period": _iso(n.period),
        "expected": n.expected,
        "detail": n.detail,
        "since": _iso(n.since),
        "at": _iso(n.at),
        "owners": list(rule.owners),
        "summary": rule.summary,
        "segments": [
            {
                "label": s.label,
                "change": _number(s.change),
                "share": _number(s.share),
                "effect": s.effect,
            }
            for s in n.segments
        ],
        "drivers_link": n.drivers_link,
        "grain": rule.grain,
        "labels": dict(rule.labels),
        "points": chart,
    }


def report_payload(report: Mapping[str, Any]) -> dict[str, Any]:
    """The weekly report's payload as given, checked for the keys every channel reads."""
    missing = [k for k in REPORT_KEYS if k not in report]
    if missing:
        raise ValueError(f"a report payload needs {', '.join(missing)} (has {', '.join(report)})")
    return {**report, "kind": "report"}


def is_report(payload: Mapping[str, Any]) -> bool:
    return payload.get("kind") == "report"


def _iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _number(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None
