"""`northstar ingest` and `northstar sources` as a user runs them; the worker's scheduling rules."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pyarrow.parquet as pq
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from ingest_helpers import cli_env, write_sources
from typer.testing import CliRunner

from app import build_cli
from connectors import load_sources
from connectors.config import Freshness
from connectors.freshness import freshness_of
from connectors.worker import build_scheduler, ingest_job
from warehouse import Warehouse

SOURCES = """\
sources:
  - name: fresh
    kind: files
    path: files
    schedule: {every: 10m}
    freshness: {warn_after: 1h, error_after: 1d}
    tables: [{name: a, glob: "a*.parquet", primary_key: [id]}]
  - name: stale
    kind: files
    path: files
    schedule: {cron: "0 * * * *"}
    freshness: {warn_after: 1h, error_after: 1d}
    tables: [{name: b, glob: "b*.parquet"}]
  - name: dead
    kind: files
    path: files
    freshness: {warn_after: 1h, error_after: 1d}
    tables: [{name: c, glob: "c*.parquet"}]
"""


def _setup(settings):
    files = settings.sources.parent / "files"
    files.mkdir()
    for name in "abc":
        pq.write_table(pa.table({"id": [1, 2, 3]}), files / f"{name}1.parquet")
    write_sources(settings, SOURCES)


def _age_loads(settings, source: str, hours: float) -> None:
    with Warehouse(settings.warehouse) as wh:
        wh.execute(
            "UPDATE meta.loads SET started = started - to_microseconds(?), "
            "finished = finished - to_microseconds(?) WHERE source = ?",
            [int(hours * 3600e6), int(hours * 3600e6), source],
        )


def test_ingest_then_sources_shows_freshness_states(settings, monkeypatch):
    _setup(settings)
    runner = CliRunner()
    env = cli_env(settings)
    result = runner.invoke(build_cli(), ["ingest"], env=env)
    assert result.exit_code == 0, result.output
    assert "9 rows loaded" in result.output and "published snapshot" in result.output

    _age_loads(settings, "stale", 2)  # past warn_after
    _age_loads(settings, "dead", 30)  # past error_after
    result = runner.invoke(build_cli(), ["sources"], env={**env, "COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    lines = {
        line.split("│")[1].strip(): line
        for line in result.output.splitlines()
        if line.count("│") > 3
    }
    assert lines["fresh"].rstrip("│ ").endswith("ok")
    assert lines["stale"].rstrip("│ ").endswith("warn")
    assert lines["dead"].rstrip("│ ").endswith("error")
    assert "1d 6h" in lines["dead"]


def test_sources_shows_failed_status_and_exit_code(settings):
    _setup(settings)
    env = cli_env(settings)
    (settings.sources.parent / "files" / "a2.parquet").write_bytes(b"not parquet")
    write_sources(
        settings,
        SOURCES.replace('glob: "c*.parquet"', 'glob: "c*.parquet", primary_key: [missing]'),
    )
    result = CliRunner().invoke(build_cli(), ["ingest"], env=env)
    assert result.exit_code == 1
    assert "quarantined" in result.output and "a2.parquet" in result.output
    assert "dead.c failed" in result.output
    result = CliRunner().invoke(build_cli(), ["sources"], env={**env, "COLUMNS": "200"})
    assert "failed" in result.output and "missing" in result.output


def test_ingest_reports_config_errors_with_lines(settings):
    write_sources(settings, "sources:\n  - name: x\n    kind: files\n")
    result = CliRunner().invoke(build_cli(), ["ingest"], env=cli_env(settings))
    assert result.exit_code == 1
    assert f"{settings.sources}:2" in result.output


def test_freshness_rule():
    rule = Freshness(warn_after="1h", error_after="1d")
    now = datetime(2026, 1, 2, tzinfo=UTC)
    assert freshness_of(now - timedelta(minutes=59), rule, now) == "ok"
    assert freshness_of(now - timedelta(hours=1), rule, now) == "warn"
    assert freshness_of(now - timedelta(days=1), rule, now) == "error"
    assert freshness_of(None, rule, now) == "error"


def test_worker_schedules_each_source_and_survives_failures(settings, caplog):
    _setup(settings)
    config = load_sources(settings.sources)
    started = datetime.now(UTC)
    scheduler = build_scheduler(settings, config, scheduler_class=BackgroundScheduler)
    scheduler.start(paused=True)  # jobs get their final settings once the scheduler starts
    jobs = {job.id: job for job in scheduler.get_jobs()}
    scheduler.shutdown(wait=False)
    # The interval source runs at start; the cron source at its next cron time (the top of the
    # next hour), not never: a job added with next_run_time=None is paused for good.
    assert started <= jobs["ingest:fresh"].next_run_time <= datetime.now(UTC)
    cron_run = jobs["ingest:stale"].next_run_time
    assert cron_run is not None and (cron_run.minute, cron_run.second) == (0, 0)
    assert started < cron_run <= datetime.now(UTC) + timedelta(hours=1)
    assert set(jobs) == {"ingest:fresh", "ingest:stale"}  # `dead` has no schedule
    assert isinstance(jobs["ingest:fresh"].trigger, IntervalTrigger)
    assert isinstance(jobs["ingest:stale"].trigger, CronTrigger)
    assert all(j.coalesce and j.max_instances == 1 and j.misfire_grace_time for j in jobs.values())

    def broken(_warehouse):
        raise RuntimeError("rollups exploded")

    with caplog.at_level(logging.INFO, logger="northstar.worker"):
        ingest_job(settings, config, "fresh", None)
        ingest_job(settings, config, "no-such-source", None)  # raises inside: logged, not raised
        ingest_job(settings, config, "stale", broken)
    assert "ingest of no-such-source failed" in caplog.text
    assert "ingest of fresh: 3 rows" in caplog.text


def test_the_worker_schedules_sources_listed_after_one_without_a_schedule(settings):
    _setup(settings)
    unscheduled_first = SOURCES.replace("  - name: dead", "  - name: zzz").split("  - name: ")
    write_sources(settings, "sources:\n  - name: " + "  - name: ".join(unscheduled_first[:0:-1]))
    config = load_sources(settings.sources)
    assert [s.name for s in config.sources] == ["zzz", "stale", "fresh"]
    scheduler = build_scheduler(settings, config, scheduler_class=BackgroundScheduler)
    scheduler.start(paused=True)
    jobs = {job.id for job in scheduler.get_jobs()}
    scheduler.shutdown(wait=False)
    assert jobs == {"ingest:fresh", "ingest:stale"}
