"""The ingest worker: one APScheduler 3.11 BlockingScheduler job per scheduled source.

One worker thread runs the jobs one after another, because a run reopens and republishes the
warehouse file; coalesce + max_instances=1 keep a slow source from piling up runs, and a job
that raises is logged while the scheduler (and every other source) keeps going.

Work this package must not know about (alert checks, sending notifications) comes in from cli/
as plain callables: `after_publish` runs after each ingest that published a snapshot, and each
PeriodicJob runs on its own interval in the same single worker thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from connectors.config import Source
from connectors.publish_targets import PlanRollups
from connectors.run import AfterLoad, DerivedStale, run_ingest
from connectors.sources_file import SourcesConfig
from cron_schedule import crontab_trigger
from settings import Settings

log = logging.getLogger("northstar.worker")

AfterPublish = Callable[[], None]  # runs after an ingest that published a snapshot


@dataclass(frozen=True)
class PeriodicJob:
    """Something to run every `every` (the alert check, sending due notifications)."""

    name: str
    every: timedelta
    run: Callable[[], None]


def trigger_for(source: Source):
    if source.schedule is None:
        return None
    if source.schedule.cron:
        return crontab_trigger(source.schedule.cron)
    return IntervalTrigger(seconds=int(source.schedule.every.total_seconds()))


def ingest_job(
    settings: Settings,
    config: SourcesConfig,
    source: str,
    after_load: AfterLoad | None,
    environ: Mapping[str, str] | None = None,
    derived_stale: DerivedStale | None = None,
    after_publish: AfterPublish | None = None,
    plan_rollups: PlanRollups | None = None,
) -> None:
    """One tick for one source: load it; rebuild derived tables (rollups) that data or
    definitions made stale, even when no rows came; publish when anything changed; then, when
    a snapshot was published, after_publish (the alert check) on the new data."""
    try:
        report = run_ingest(
            settings,
            source=source,
            after_load=after_load,
            config=config,
            environ=environ,
            derived_stale=derived_stale,
            plan_rollups=plan_rollups,
        )
    except Exception as exc:  # the scheduler must outlive any one source
        # One redacted line: a traceback would carry the unredacted message (and the URL).
        log.error("ingest of %s failed: %s", source, config.redact(f"{type(exc).__name__}: {exc}"))
        return
    for outcome in report.outcomes:
        if outcome.status != "ok":
            log.error("%s.%s failed: %s", outcome.source, outcome.table, outcome.error)
    if report.publish_error:
        log.error("%s", report.publish_error)
    log.info("ingest of %s: %d rows, published %s", source, report.rows, report.published)
    if report.published and after_publish is not None:
        periodic_job(PeriodicJob(f"after ingest of {source}", timedelta(0), after_publish))


def periodic_job(job: PeriodicJob) -> None:
    """Run one job; log what it raises (the scheduler and the other jobs go on)."""
    try:
        job.run()
    except Exception as exc:
        log.error("%s failed: %s: %s", job.name, type(exc).__name__, exc)


def build_scheduler(
    settings: Settings,
    config: SourcesConfig,
    after_load: AfterLoad | None = None,
    scheduler_class: type[BaseScheduler] = BlockingScheduler,
    derived_stale: DerivedStale | None = None,
    after_publish: AfterPublish | None = None,
    periodic: Sequence[PeriodicJob] = (),
    plan_rollups: PlanRollups | None = None,
) -> BaseScheduler:
    scheduler = scheduler_class(
        executors={"default": ThreadPoolExecutor(max_workers=1)},
        job_defaults={"coalesce": True, "max_instances": 1},
    )
    for source in config.sources:
        trigger = trigger_for(source)
        if trigger is None:
            continue
        every = source.schedule.every.total_seconds() if source.schedule.every else 3600
        # An interval source runs once at start; a cron source waits for its first cron time.
        # APScheduler reads an explicit next_run_time=None as "add paused" (the job would never
        # run), so a cron job leaves it out and the trigger computes it.
        first_run = {} if source.schedule.cron else {"next_run_time": _now()}
        scheduler.add_job(
            ingest_job,
            trigger,
            args=[settings, config, source.name, after_load],
            kwargs={
                "derived_stale": derived_stale,
                "after_publish": after_publish,
                "plan_rollups": plan_rollups,
            },
            id=f"ingest:{source.name}",
            name=f"ingest {source.name}",
            misfire_grace_time=max(1, int(every)),  # a run missed by up to one interval still runs
            **first_run,
        )
    for job in periodic:
        seconds = max(1, int(job.every.total_seconds()))
        scheduler.add_job(
            periodic_job,
            IntervalTrigger(seconds=seconds),
            args=[job],
            id=job.name,
            name=job.name,
            misfire_grace_time=seconds,
            next_run_time=_now(),  # once at start, then every interval
        )
    return scheduler


def _now():
    from datetime import UTC, datetime

    return datetime.now(UTC)
