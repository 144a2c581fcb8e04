"""Incidents planted in the demo data, with a known cause, so alerts and drill-downs can be checked.

Each incident sits a few weeks before `end`. Its window and the four weeks before it (the natural
baseline an analyst compares against) are kept clear of promotions and Spring Festival, otherwise a
promotion spike would mask or mimic the incident; when the nominal position collides, the incident
moves earlier day by day. Windows of different incidents never overlap.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

from demo.seasonality import Calendar, build_calendar

BASELINE_DAYS = 28


@dataclass(frozen=True)
class Incident:
    name: str
    start: date
    end: date  # inclusive, Shanghai local date
    description: str
    where: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        out = asdict(self)
        out["start"], out["end"] = self.start.isoformat(), self.end.isoformat()
        return out


# name, nominal days from window start to `end`, length in days, description, where
_SPECS = [
    (
        "android_south_conversion_drop",
        50,
        10,
        "Android app 5.12 shipped a payment SDK that crashes at checkout on a phone model common "
        "in the South region: android orders by South customers drop ~60% while their sessions "
        "stay normal, so conversion falls in that segment only.",
        {"platform": "android", "region": "South"},
    ),
    (
        "electronics_refund_spike",
        80,
        14,
        "A defective batch of power banks and earbuds: orders containing electronics placed in "
        "the window are refunded three times as often (refund reason 'defective_batch').",
        {"category": "electronics"},
    ),
    (
        "social_tracking_outage",
        30,
        7,
        "The social ads tracking pixel broke: spend on social continues but ~80% of the sign-ups "
        "it brings are attributed to 'organic', so social CAC spikes and organic looks better.",
        {"channel": "social"},
    ),
]
# Place the most recent first so that earlier ones make room around it.
_PLACEMENT_ORDER = [
    "social_tracking_outage",
    "android_south_conversion_drop",
    "electronics_refund_spike",
]


def planted_incidents(end: date, calendar: Calendar | None = None) -> list[Incident]:
    cal = calendar or build_calendar(end)
    taken: set[int] = set()
    placed: dict[str, Incident] = {}
    specs = {spec[0]: spec for spec in _SPECS}
    for name in _PLACEMENT_ORDER:
        _, before_end, length, description, where = specs[name]
        first = cal.days - before_end  # day index of the nominal window start
        while first - BASELINE_DAYS > 60:  # keep clear of the launch ramp
            window = range(first, first + length)
            span = range(first - BASELINE_DAYS, first + length)
            if not any(cal.special[i] for i in span) and taken.isdisjoint(window):
                break
            first -= 1
        else:  # history too short to avoid everything: keep the nominal position
            first = cal.days - before_end
        taken.update(range(first, first + length))
        start = cal.start + timedelta(days=first)
        placed[name] = Incident(
            name, start, start + timedelta(days=length - 1), description, dict(where)
        )
    return [placed[spec[0]] for spec in _SPECS]
