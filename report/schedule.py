"""The weekly report on a schedule: a job on the worker's APScheduler that, at `report.schedule`
(cron, in the spec's time zone; default Monday 08:00), builds the report of the week just ended
and queues it to the report's channels.

Cron weekdays are read as crontab reads them (0 and 7 Sunday, 1 Monday …; see cron_schedule.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger

from appdb import AppDb
from cron_schedule import CronError, crontab_trigger
from report.channels import ReportPlan, load_plan
from report.content import check_week
from report.offline import offline_serving
from report.runs import Queued, build_of, queue_to
from report.weeks import last_complete_week
from settings import Settings

log = logging.getLogger("northstar.report")
JOB_ID = "weekly-report"
Clock = Callable[[], datetime]


class ScheduleError(ValueError):
    """`report.schedule` is not a cron expression; the message shows one."""


def report_trigger(schedule: str, time_zone: str) -> CronTrigger:
    """The cron `schedule` (crontab weekdays) in `time_zone`."""
    try:
        return crontab_trigger(schedule, ZoneInfo(time_zone))
    except CronError as exc:
        raise ScheduleError(f"report schedule: {exc}") from None


def run_scheduled_report(
    settings: Settings, plan: ReportPlan, db: AppDb, clock: Clock
) -> Queued | None:
    """One tick: the report of the last complete week as of `clock()` in the spec's zone, queued
    to every channel of the plan that does not have it yet. Never raises (the worker goes on)."""
    try:
        with offline_serving(settings) as serving:
            snap = serving.snapshot()
            zone = ZoneInfo(snap.spec.time_zone)
            now = clock()
            local_day = (now if now.tzinfo else now.replace(tzinfo=UTC)).astimezone(zone).date()
            week = last_complete_week(local_day, snap.spec.week_start)
            check_week(serving, week)  # e.g. NORTHSTAR_AS_OF pins an earlier day: say so
            built = build_of(settings, serving, week, db)
            utc = now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo else now
            queued = queue_to(settings, db, built, list(plan.channels), utc, once=True)
    except Exception as exc:  # one failed report must not stop the worker's other jobs
        log.error("weekly report failed: %s: %s", type(exc).__name__, exc)
        return None
    log.info(
        "weekly report %s queued for %s%s",
        queued.week,
        ", ".join(queued.channels) or "no channel",
        f" (already queued: {', '.join(queued.skipped)})" if queued.skipped else "",
    )
    return queued


def schedule_report(
    scheduler: BaseScheduler,
    settings: Settings,
    plan: ReportPlan,
    time_zone: str,
    db: AppDb,
    clock: Clock | None = None,
) -> CronTrigger:
    """Add the weekly report job to `scheduler`; returns its trigger (next fire time: tests)."""
    trigger = report_trigger(plan.schedule, time_zone)
    tick = clock or (lambda: datetime.now(UTC))
    scheduler.add_job(
        run_scheduled_report,
        trigger,
        args=[settings, plan, db, tick],
        id=JOB_ID,
        name="weekly report",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=6 * 3600,  # a worker down at 08:00 still sends it by 14:00
        replace_existing=True,
    )
    return trigger


def schedule_from_settings(
    scheduler: BaseScheduler,
    settings: Settings,
    open_db: Callable[[], AppDb],
    clock: Clock | None = None,
) -> str:
    """Add the report job when the alerts configuration has a `report:` section; returns the line
    the worker prints about it (scheduled when, to which channels, or why not). The app database
    is opened only then: a worker without a report needs none."""
    from metric_layer.errors import SpecError
    from metric_layer.loader import load_spec

    try:
        spec = load_spec(settings.metrics)
        plan = load_plan(settings, spec)
    except (SpecError, OSError, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return f"weekly report: not scheduled ({first})"
    if plan is None:
        return "weekly report: not scheduled (no `report:` section in the alerts configuration)"
    trigger = schedule_report(scheduler, settings, plan, spec.time_zone, open_db(), clock)
    first = trigger.get_next_fire_time(None, datetime.now(ZoneInfo(spec.time_zone)))
    return (
        f"weekly report: {plan.schedule!r} in {spec.time_zone} to "
        f"{', '.join(plan.channels) or 'no channel'}; next {first:%a %Y-%m-%d %H:%M}"
    )
