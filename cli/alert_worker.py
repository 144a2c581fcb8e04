"""The worker's alert jobs: a check after every ingest that published a snapshot and every
NORTHSTAR_ALERTS_EVERY, and sending due notifications every minute so retries happen on time.

Built here and handed to connectors.worker as plain callables (connectors must not import the
metric layer or alerts). Each job logs what went wrong and returns: the worker keeps running.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from alerts.evaluate import CheckReport, check
from appdb import AppDb
from appdb.models import utc_now
from cli.alert_commands import parse_duration
from cli.alert_context import check_inputs, rules_config
from cli.app_db import open_app_db
from connectors.worker import PeriodicJob
from settings import Settings

log = logging.getLogger("northstar.alerts")

SEND_EVERY = timedelta(minutes=1)  # the first retry waits 1 minute (alerts.deliver's backoff)
OFF = {"off", "never", "0", ""}

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class WorkerAlerts:
    after_publish: Callable[[], None]
    jobs: tuple[PeriodicJob, ...]
    every: timedelta | None  # None: checks only after ingests


class _AppDbOnce:
    """The worker's one app database (engine and pool), opened and migrated on first use."""

    def __init__(self, settings: Settings) -> None:
        self.settings, self._db = settings, None

    def __call__(self) -> AppDb:
        if self._db is None:
            self._db = open_app_db(self.settings)
        return self._db


def worker_alerts(settings: Settings, clock: Clock = utc_now) -> WorkerAlerts:
    """The hook and periodic jobs for `northstar worker`; ValueError for a bad ALERTS_EVERY."""
    every = alerts_every(settings)
    db = _AppDbOnce(settings)
    run_check = lambda: check_now(settings, db(), clock())  # noqa: E731
    jobs = [PeriodicJob("alerts:send", SEND_EVERY, lambda: send_due(settings, db(), clock()))]
    if every is not None:
        jobs.insert(0, PeriodicJob("alerts:check", every, run_check))
    return WorkerAlerts(run_check, tuple(jobs), every)


def alerts_every(settings: Settings) -> timedelta | None:
    text = settings.alerts_every.strip().lower()
    if text in OFF:
        return None
    try:
        return parse_duration(text)
    except ValueError:
        raise ValueError(
            f"alerts_every must be a duration such as 15m, 1h or 2 hours, or off; not "
            f"{settings.alerts_every!r} (NORTHSTAR_ALERTS_EVERY / alerts_every)"
        ) from None


def check_now(settings: Settings, db: AppDb, now: datetime) -> CheckReport | None:
    """One check on the newest snapshot; None when there is nothing to check yet."""
    if not settings.metrics.exists():
        return None  # no spec, no rules (the worker already says so for rollups)
    with check_inputs(settings) as inputs:
        if not inputs.config.rules:
            return None
        report = check(
            inputs.service, inputs.config, db, now, settings=settings,
            environ=dict(os.environ), last_loads=inputs.last_loads,
        )  # fmt: skip
    log.info("alerts checked: %s", report.summary())
    for line in report.lines():
        if line.error:
            log.error("%s", line)
    if report.delivery_note:
        log.warning("%s", report.delivery_note)
    return report


def send_due(settings: Settings, db: AppDb, now: datetime) -> Any:
    """Send the outbox rows that are due (new ones and retries)."""
    from alerts.deliver import deliver_due

    if not settings.metrics.exists():
        return None
    config = rules_config(settings)
    return deliver_due(db, dict(config.channels), settings, now, os.environ)
