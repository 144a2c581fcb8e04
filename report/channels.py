"""Where and when the weekly report goes: the `report:` section of the alerts configuration.

    alerts:
      report:
        schedule: "0 8 * * MON"          # cron, in the spec's time_zone (default Monday 08:00)
        channels: [team-mail, growth-slack]

alerts/spec.py (load_alerts) reads and validates that section; this module is the one seam
between it and the report: `load_plan` gives the schedule and each channel's kind. Until
alerts/spec.py exists there is no such section, and no report is scheduled or sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from settings import Settings

DEFAULT_SCHEDULE = "0 8 * * MON"
KINDS = ("email", "webhook", "in-app")


@dataclass(frozen=True)
class ReportPlan:
    schedule: str = DEFAULT_SCHEDULE  # cron in the spec's time zone
    channels: dict[str, str] = field(default_factory=dict)  # channel name → its kind

    def named(self, kind: str) -> list[str]:
        """The report's channels of one kind, in the order the configuration lists them."""
        return [name for name, k in self.channels.items() if k == kind]


def load_plan(settings: Settings, spec: Any) -> ReportPlan | None:
    """The report's schedule and channels from the alerts configuration; None when it has no
    `report:` section (or alerts are not configured). Raises SpecError for an invalid file."""
    try:
        from alerts.spec import load_alerts
    except ImportError:  # alerts/spec.py is not there yet: nothing can configure a report
        return None
    config = load_alerts(settings.metrics, spec, sources_path=settings.sources)
    section = getattr(config, "report", None)
    if section is None:
        return None
    names = tuple(getattr(section, "channels", ()) or ())
    kinds = {name: channel_kind(config.channels.get(name)) for name in names}
    return ReportPlan(getattr(section, "schedule", None) or DEFAULT_SCHEDULE, kinds)


def channel_kind(channel: Any) -> str:
    """email | webhook | in-app for a channel of alerts/channels/config.py (by its type name:
    EmailChannel, WebhookChannel, InAppChannel)."""
    name = type(channel).__name__.lower()
    for kind in ("email", "webhook"):
        if name.startswith(kind):
            return kind
    return "in-app"
