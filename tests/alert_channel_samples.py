"""Notifications for channel and outbox tests, with text that must be escaped everywhere."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from alerts.model import Notification, Rule, SegmentNote

AT = datetime(2026, 11, 30, 8, 0)
PERIOD = date(2026, 11, 23)
# Values of the 8 weeks up to the alert's period (the last one is the alert's).
POINTS = [
    (PERIOD - timedelta(weeks=7 - i), v)
    for i, v in enumerate([13_950, 14_120, 13_880, 14_300, 14_010, 13_760, 13_950, 12_220])
]


def sample_rule(**changes: object) -> Rule:
    values: dict[str, object] = {
        "name": "nsm_below_target",
        "metric": "paid_orders",
        "condition": object(),
        "grain": "week",
        "severity": "critical",
        "owners": ("CEO", "Growth <team>"),
        "channels": ("growth-slack", "team-mail"),
        "summary": "Paid orders are below this quarter's <b>weekly</b> target & falling",
        "labels": (("team", "growth"),),
    }
    values.update(changes)
    return Rule(**values)  # type: ignore[arg-type]


def sample_notification(**changes: object) -> Notification:
    values: dict[str, object] = {
        "rule": sample_rule(),
        "series": "region=South",
        "kind": "firing",
        "state": "firing",
        "at": AT,
        "value": 12_220.0,
        "period": PERIOD,
        "expected": "at least 13,000",
        "detail": "down 12.4% vs the week before (13,950 → 12,220)",
        "since": AT - timedelta(hours=2),
        "segments": (
            SegmentNote("platform=android × region=South", -1_180.0, 0.68, "rate"),
            SegmentNote("channel=<script>alert(1)</script>", -420.0, 0.24, ""),
        ),
        "drivers_link": "/drivers?metric=paid_orders&from=2026-11-23&to=2026-11-29"
        "&vs_from=2026-11-16&vs_to=2026-11-22",
    }
    values.update(changes)
    return Notification(**values)  # type: ignore[arg-type]
