"""The week's alerts as the report shows them: what fired, what resolved, what was still firing
when the week ended. Read from the alert history in the app database (alerts.store), so a report
of an old week shows that week, not today's states."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from alerts.store import history
from appdb.models import AlertEvent
from report.weeks import ReportWeek

SHOWN = ("firing", "resolved")  # the history events a report lists
AlertsReader = Callable[[ReportWeek, str], "WeekAlerts"]


@dataclass(frozen=True)
class AlertLine:
    at: datetime  # local time in the spec's zone
    rule: str
    series: str  # "" for a rule that does not split
    event: str  # firing | resolved (a still-firing line keeps its firing event)
    value: float | None
    detail: str

    @property
    def name(self) -> str:
        return f"{self.rule} ({self.series})" if self.series else self.rule


@dataclass(frozen=True)
class WeekAlerts:
    events: tuple[AlertLine, ...]  # fired and resolved during the week, oldest first
    still_firing: tuple[AlertLine, ...]  # firing when the week ended (their firing event)

    @property
    def fired(self) -> tuple[AlertLine, ...]:
        return tuple(e for e in self.events if e.event == "firing")

    @property
    def resolved(self) -> tuple[AlertLine, ...]:
        return tuple(e for e in self.events if e.event == "resolved")

    @property
    def empty(self) -> bool:
        return not self.events and not self.still_firing


def week_alerts(session: Session, week: ReportWeek, time_zone: str) -> WeekAlerts:
    """Firing and resolved events inside the week's local days, and the series whose last state
    change before the week's end went to firing."""
    start, end = week.utc_bounds(time_zone)
    zone = ZoneInfo(time_zone)
    inside = [
        e
        for e in reversed(history(session, since=start, until=end, limit=None))
        if e.event in SHOWN
    ]
    return WeekAlerts(
        events=tuple(_line(e, zone) for e in inside),
        still_firing=tuple(_line(e, zone) for e in _firing_at(session, end)),
    )


def _firing_at(session: Session, end: datetime) -> list[AlertEvent]:
    """For each (rule, series), its last state change before `end`, kept when it went to firing.
    Acks and silences are history events too but change no state (to_state is None)."""
    rows = session.scalars(
        select(AlertEvent)
        .where(AlertEvent.at < end, AlertEvent.to_state.is_not(None))
        .order_by(AlertEvent.at, AlertEvent.id)
    )
    last: dict[tuple[str, str], AlertEvent] = {}
    for row in rows:
        last[(row.rule, row.series)] = row
    return sorted(
        (e for e in last.values() if e.to_state == "firing"), key=lambda e: (e.at, e.rule)
    )


def _line(event: AlertEvent, zone: ZoneInfo) -> AlertLine:
    local = event.at.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)
    return AlertLine(local, event.rule, event.series, event.event, event.value, event.detail)


def alerts_reader(db) -> AlertsReader:  # type: ignore[no-untyped-def]
    """week_alerts over `db` (an appdb.AppDb), each read in a session of its own."""

    def read(week: ReportWeek, time_zone: str) -> WeekAlerts:
        with db.session() as session:
            return week_alerts(session, week, time_zone)

    return read
