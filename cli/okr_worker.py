"""The worker's weekly record of OKR values, scheduled from here (connectors know nothing of
metrics or OKRs): `northstar worker` adds the job to its scheduler with `schedule_kr_values`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from appdb import AppDb
from appdb.models import utc_now
from metric_layer.service import MetricService
from metric_layer.spec import Spec
from okrs.spec import load_okrs
from settings import Settings

RECORD_SCHEDULE = "0 6 * * MON"  # Monday 06:00 in the spec's time zone: the week just ended
log = logging.getLogger("northstar.okrs")


def schedule_kr_values(scheduler: Any, settings: Settings, open_db: Callable[[], AppDb]) -> str:
    """Add the weekly job recording linked key results' values to the worker's scheduler (also
    run once at start, so a new worker records the current week); the line the worker prints."""
    from apscheduler.triggers.cron import CronTrigger

    spec = _spec_for_worker(settings)
    if spec is None:
        return "OKR values: not recorded (metrics.yml is invalid)"
    trigger = CronTrigger.from_crontab(RECORD_SCHEDULE, timezone=spec.time_zone)
    scheduler.add_job(
        record_kr_values_job,
        trigger,
        args=[settings, open_db],
        id="okrs:record",
        name="record OKR values",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=24 * 3600,  # a worker down on Monday morning records when it is back
        next_run_time=datetime.now(UTC),
    )
    return f"OKR values recorded weekly ({RECORD_SCHEDULE}, {spec.time_zone})"


def _spec_for_worker(settings: Settings) -> Spec | None:
    from cli.context import read_spec
    from metric_layer.errors import SpecError

    try:
        return read_spec(settings.metrics, None)
    except SpecError:
        return None


def record_kr_values_job(settings: Settings, open_db: Callable[[], AppDb]) -> None:
    """One weekly run: the published snapshot (else the warehouse file) read-only, every linked
    key result of the quarter of the last complete day, one row each in okr_kr_values. Errors
    are logged, never raised: the scheduler and the sources' jobs go on."""
    from cli.context import open_warehouse, read_spec
    from okrs.record import record_week

    try:
        warehouse, version = open_warehouse(settings)
        if warehouse is None:
            log.info("OKR values not recorded: nothing published yet")
            return
        try:
            spec = read_spec(settings.metrics, warehouse)
            config = load_okrs(settings.metrics, spec)
            service = MetricService(warehouse, spec, snapshot=version, as_of=settings.as_of_date())
            db = open_db()
            try:
                done = record_week(
                    config, service.query, db, service.today(), utc_now(), spec.week_start
                )
            finally:
                db.close()
        finally:
            warehouse.close()
    except Exception as exc:  # the worker outlives a bad okrs.yml or an unreachable database
        log.error("recording OKR values failed: %s", f"{type(exc).__name__}: {exc}".splitlines()[0])
        return
    log.info(
        "OKR values of %s recorded for the week of %s: %d key results (%d without a value)",
        done.quarter,
        done.week,
        done.values,
        done.without_value,
    )
