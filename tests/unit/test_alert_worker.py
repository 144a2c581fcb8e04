"""The worker's alert jobs: a check after each ingest that published a snapshot, a check every
NORTHSTAR_ALERTS_EVERY, sending every minute; failures logged, never fatal. Jobs are called
directly and schedulers inspected paused (no sleeps)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from test_cli import ROOT, cli_env

import alerts.evaluate as evaluate
import cli.alert_context
from alerts.model import Observation, Rule
from alerts.store import load_states
from appdb import AppDb
from cli.alert_context import last_loads
from cli.alert_worker import alerts_every, check_now, worker_alerts
from connectors import load_sources
from connectors.worker import PeriodicJob, build_scheduler, ingest_job, periodic_job
from settings import Settings
from warehouse import Warehouse

SOURCES = """\
sources:
  - name: shop
    kind: files
    path: files
    schedule: {every: 10m}
    tables: [{name: a, glob: "a*.parquet"}, {name: b, glob: "b*.parquet"}]
  - name: crm
    kind: files
    path: files
    tables: [{name: c, glob: "c*.parquet"}]
"""
T0 = datetime(2026, 11, 30, 8, 0)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    files = tmp_path / "files"
    files.mkdir()
    for name in "ab":
        pq.write_table(pa.table({"id": [1, 2, 3]}), files / f"{name}1.parquet")
    (tmp_path / "sources.yml").write_text(SOURCES)
    return Settings(
        metrics=tmp_path / "no-metrics.yml",
        sources=tmp_path / "sources.yml",
        warehouse=tmp_path / "warehouse.duckdb",
        serving_dir=tmp_path / "serving",
        app_db=f"sqlite:///{tmp_path / 'app.db'}",
    )


def test_the_scheduler_runs_alert_checks_and_sending_beside_the_sources(settings) -> None:
    jobs = worker_alerts(replace(settings, alerts_every="30m")).jobs
    scheduler = build_scheduler(
        settings, load_sources(settings.sources), scheduler_class=BackgroundScheduler,
        periodic=jobs,
    )  # fmt: skip
    scheduler.start(paused=True)  # jobs get their final settings once the scheduler starts
    found = {job.id: job for job in scheduler.get_jobs()}
    scheduler.shutdown(wait=False)
    assert set(found) == {"ingest:shop", "alerts:check", "alerts:send"}
    for name, seconds in (("alerts:check", 1800), ("alerts:send", 60)):
        trigger = found[name].trigger
        assert isinstance(trigger, IntervalTrigger)
        assert trigger.interval == timedelta(seconds=seconds)
        assert found[name].coalesce and found[name].max_instances == 1
    assert [j.name for j in worker_alerts(replace(settings, alerts_every="off")).jobs] == [
        "alerts:send"
    ]
    assert alerts_every(settings) == timedelta(minutes=15)  # the default
    with pytest.raises(ValueError, match="NORTHSTAR_ALERTS_EVERY"):
        alerts_every(replace(settings, alerts_every="often"))


def test_an_ingest_that_published_runs_the_check_one_that_did_not_does_not(
    settings, caplog: pytest.LogCaptureFixture
) -> None:
    config = load_sources(settings.sources)
    checks: list[str] = []
    ingest_job(settings, config, "shop", None, after_publish=lambda: checks.append("check"))
    assert checks == ["check"]  # new rows: a snapshot was published
    ingest_job(settings, config, "shop", None, after_publish=lambda: checks.append("check"))
    assert checks == ["check"]  # nothing new, nothing published

    def broken() -> None:
        raise RuntimeError("app database gone")

    (Path(settings.sources).parent / "files" / "a2.parquet").write_bytes(
        Path(settings.sources).parent.joinpath("files", "a1.parquet").read_bytes()
    )
    with caplog.at_level(logging.INFO, logger="northstar.worker"):
        ingest_job(settings, config, "shop", None, after_publish=broken)
        periodic_job(PeriodicJob("alerts:send", timedelta(minutes=1), broken))
    assert "after ingest of shop failed: RuntimeError: app database gone" in caplog.text
    assert "alerts:send failed: RuntimeError: app database gone" in caplog.text


def test_last_loads_is_when_every_table_of_a_source_last_loaded(settings) -> None:
    ingest_job(settings, load_sources(settings.sources), "shop", None)
    with Warehouse(settings.warehouse, read_only=True) as wh:
        finished = dict(
            wh.rows("SELECT \"table\", epoch(max(finished)) FROM meta.loads "
                    "WHERE source = 'shop' AND status = 'ok' GROUP BY 1")
        )  # fmt: skip
        loads = last_loads(wh)
    oldest = datetime.fromtimestamp(min(finished.values()), UTC).replace(tzinfo=None)
    assert set(finished) == {"a", "b"}
    assert loads == {"shop": oldest}  # crm never loaded: left out


@dataclass
class Config:
    rules: tuple[Rule, ...]
    channels: dict[str, object] = field(default_factory=dict)


def test_a_scheduled_check_evaluates_the_newest_snapshot_and_records_states(
    tmp_path: Path, app_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = cli_env(tmp_path)
    settings = Settings(
        metrics=ROOT / "tests/fixtures/small_spec.yml", warehouse=Path(env["NORTHSTAR_WAREHOUSE"]),
        serving_dir=Path(env["NORTHSTAR_SERVING_DIR"]), app_db=app_db_url,
    )  # fmt: skip
    rule = Rule(name="orders_low", metric="orders", condition=None)
    seen = []

    def observe(service, rule, now, *, last_loads=None):  # type: ignore[no-untyped-def]
        seen.append((service.snapshot, now))
        return [Observation(rule.name, "", "breach", now, value=3.0)]

    monkeypatch.setattr(cli.alert_context, "load_alerts_config", lambda s, spec: Config((rule,)))
    monkeypatch.setattr(evaluate, "_default_observe", lambda: observe)
    monkeypatch.setattr(evaluate, "_default_explain", lambda: None)
    monkeypatch.setattr(evaluate, "_default_deliver", lambda: None)
    db = AppDb(app_db_url)
    db.upgrade()
    clock = iter([T0, T0 + timedelta(minutes=15)])
    hooks = worker_alerts(settings, clock=lambda: next(clock))
    hooks.after_publish()
    (check_job,) = [j for j in hooks.jobs if j.name == "alerts:check"]
    check_job.run()
    assert [s[1] for s in seen] == [T0, T0 + timedelta(minutes=15)]
    assert seen[0][0] is not None  # the published snapshot, not the live warehouse
    with db.session() as s:
        (state,) = load_states(s).values()
    assert (state.state, state.since, state.last_evaluated_at) == (
        "firing", T0, T0 + timedelta(minutes=15)
    )  # fmt: skip
    db.close()
    assert check_now(replace(settings, metrics=tmp_path / "none.yml"), db, T0) is None
