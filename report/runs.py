"""The report's three ways out, over one build: files (`northstar report --to file`), the outbox
(`--to email|webhook` and the weekly schedule) and the Overview's download (dashboard.report_route).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from appdb import AppDb
from report.alert_digest import AlertsReader, WeekAlerts, alerts_reader
from report.build import BuiltReport, build_report, reports_dir
from report.channels import ReportPlan
from report.content import ServingLike, resolve_week
from report.okr_status import okrs_reader
from report.outbox import queue_report, queued_channels
from report.review_actions import actions_reader
from report.state import report_state
from report.weeks import ReportWeek
from settings import Settings

Clock = Callable[[], datetime]  # aware, or naive UTC


class NoReportChannelError(ValueError):
    """Asked to send the report where the configuration names no channel of that kind."""


def alerts_for(snap: Any, db: AppDb | None) -> tuple[AlertsReader | None, str]:
    """How the report reads its alerts section, or why it leaves it out. A reader limited to a
    scope gets no alerts: rules watch every row, and their values would show what the scope hides."""
    if getattr(snap, "scope", None) is not None:
        return None, (
            "Alerts are left out of this report: they cover every row, and this account sees "
            f"only {snap.scope}."
        )
    if db is None:  # no app database yet: nothing was ever recorded, so nothing fired
        return (lambda week, time_zone: WeekAlerts((), ())), ""
    return alerts_reader(db), ""


def build_week(
    settings: Settings,
    serving: ServingLike,
    week_text: str | None,
    db: AppDb | None,
    *,
    pdf: bool = True,
    browser: Path | None = None,
) -> BuiltReport:
    """The report of the week `week_text` names (None: the last complete week), built or read
    from the reports folder. ReportWeekError for a week that cannot be reported."""
    week = resolve_week(serving, week_text)
    return build_of(settings, serving, week, db, pdf=pdf, browser=browser)


def build_of(
    settings: Settings,
    serving: ServingLike,
    week: ReportWeek,
    db: AppDb | None,
    *,
    pdf: bool = True,
    browser: Path | None = None,
) -> BuiltReport:
    reader, note = alerts_for(serving.snapshot(), db)
    return build_report(
        serving,
        week,
        reports_dir(settings),
        alerts=reader,
        alerts_note=note,
        okrs=okrs_reader(settings.metrics, serving, db),
        actions=actions_reader(db),
        state=report_state(settings.metrics, db),
        pdf=pdf,
        browser=browser,
        base_url=settings.public_url,
    )


@dataclass(frozen=True)
class Queued:
    week: str
    channels: tuple[str, ...]  # queued now
    skipped: tuple[str, ...] = ()  # already in the outbox for this week (scheduled runs only)


def queue_to(
    settings: Settings,
    db: AppDb,
    built: BuiltReport,
    channels: list[str],
    now: datetime,
    *,
    once: bool = False,
) -> Queued:
    """Outbox rows for `channels` in one transaction; `once` skips channels that already have
    this week's report (a schedule that fires again after a restart sends nothing twice)."""
    with db.session() as session:
        already = queued_channels(session, built.week.label) if once else set()
        todo = [c for c in channels if c not in already]
        if todo:
            queue_report(session, built, todo, reports_dir(settings), now)
    return Queued(built.week.label, tuple(todo), tuple(c for c in channels if c in already))


def channels_of(plan: ReportPlan | None, kind: str) -> list[str]:
    """The report's channels of `kind`; NoReportChannelError says how to add one."""
    names = plan.named(kind) if plan is not None else []
    if not names:
        listed = ", ".join(f"{n} ({k})" for n, k in plan.channels.items()) if plan else ""
        raise NoReportChannelError(
            f"no {kind} channel for the weekly report: list one under `alerts: report: "
            f"channels:` (README, Weekly report)" + (f"; it lists {listed}" if listed else "")
        )
    return names
