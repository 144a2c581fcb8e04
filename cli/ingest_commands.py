"""`northstar ingest`, `northstar sources`, `northstar worker`: thin wrappers over connectors."""

from __future__ import annotations

import contextlib
import logging
import time
from datetime import timedelta
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from cli.guard import describe, unreadable
from cli.output import FAILED, USAGE, console, fail, say
from cli.rollup_commands import no_spec_note, rollup_hook
from connectors import ConnectorError, SourceConfigError, TableOutcome, load_sources, run_ingest
from connectors.freshness import source_states
from metric_layer.engine_rollups import plan_from_text
from settings import Settings
from warehouse import SnapshotStore, Warehouse, WarehouseError, WarehouseLocked
from warehouse.engines import WarehouseReader, open_engine
from warehouse.ingest_meta import source_status

_STYLE = {
    "ok": "green",
    "warn": "yellow",
    "error": "red",
    "failed": "red",
    "running": "yellow",
    "never": "dim",
}


# How a run's output names what it published, per engine (ingest and demo build).
PUBLISHED_AS = {
    "duckdb": "snapshot",
    "postgres": "to PostgreSQL, version",
    "spark": "to Spark, version",
}


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest)
    app.command("sources")(sources)
    app.command("worker")(worker)


def ingest(
    source: Annotated[
        str | None, typer.Argument(help="load only this source (default: all)")
    ] = None,
    full_refresh: Annotated[
        bool,
        typer.Option(help="reload every table whole, forgetting cursors and file manifests"),
    ] = False,
) -> None:
    """Load sources into the warehouse, then refresh rollups and publish a serving snapshot
    (with engine = postgres | spark: publish the raw tables and their rollups into the
    PostgreSQL database, or as a new version of the Spark warehouse directory)."""
    settings = Settings.load()
    settings.warehouse_engine()  # a wrong engine setting stops here, before loading (exit 2)
    config = _config_or_exit(settings)
    if source is not None:
        try:
            config.get(source)
        except ConnectorError as exc:  # a name the user typed: usage, not a failed load
            fail(str(exc), USAGE)
    notes: list[str] = []  # what the rollup refresh did, printed after the progress bars
    hook = rollup_hook(settings, notes.append)
    with IngestProgress() as progress:
        try:
            report = run_ingest(
                settings,
                source,
                full_refresh,
                progress=progress,
                after_load=hook,
                config=config,
                derived_stale=hook.stale if hook else None,
                plan_rollups=plan_from_text,
            )
        except (WarehouseError, ValueError) as exc:
            hint = (
                " If `northstar worker` is running, it does the loading: stop it to ingest by hand."
                if isinstance(exc, WarehouseLocked)
                else ""
            )
            fail(
                f"ingest failed: {config.redact(str(exc))}{hint}",
                FAILED,
            )
    for outcome in report.outcomes:
        for item in outcome.quarantined:
            say(f"quarantined {item}", err=True, color="yellow")
        if outcome.status != "ok":
            say(f"{outcome.source}.{outcome.table} failed: {outcome.error}", err=True, color="red")
    if report.publish_error:
        say(report.publish_error, err=True, color="red")
    what = PUBLISHED_AS[settings.warehouse_engine().name]
    published = f", published {what} {report.published}" if report.published else ""
    say(f"{report.rows:,} rows loaded{published}")
    if hook is None:
        say(no_spec_note(settings), err=True)
    elif not report.publish_error:
        for line in notes or ["rollups up to date"]:
            say(line)
    if not report.ok:
        raise typer.Exit(1)


def sources() -> None:
    """Each source's last load, rows, status and freshness (ok / warn / error)."""
    settings = Settings.load()
    config = _config_or_exit(settings)
    statuses, origin = _read_status(settings)
    table = Table(title=f"sources ({origin})" if origin else "sources")
    for column in ("source", "kind", "last good load", "age", "rows", "status", "freshness"):
        table.add_column(column)
    states = source_states(config.sources, statuses)
    for s in states:
        table.add_row(
            s.source,
            s.kind,
            s.last_ok.strftime("%Y-%m-%d %H:%M:%S UTC") if s.last_ok else "never",
            _age(s.age),
            f"{s.rows:,}",
            Text(s.status, style=_STYLE[s.status]),
            Text(s.freshness, style=_STYLE[s.freshness]),
        )
    console().print(table)
    for s in states:
        if s.error:
            say(f"{s.source}: {config.redact(s.error)}", err=True)


def worker() -> None:
    """Run the scheduler: each source on its schedule, alert checks after each ingest and
    every NORTHSTAR_ALERTS_EVERY (15m), the weekly report on its schedule, and each linked key
    result's weekly value, until stopped (Ctrl+C)."""
    from cli.alert_worker import worker_alerts
    from cli.app_db import open_app_db
    from cli.okr_worker import schedule_kr_values
    from connectors.worker import build_scheduler
    from report.schedule import schedule_from_settings

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = Settings.load()
    settings.warehouse_engine()  # a wrong engine setting stops here (exit 2)
    config = _config_or_exit(settings)
    hook = rollup_hook(settings, logging.getLogger("northstar.rollups").info)
    if hook is None:
        say(no_spec_note(settings), err=True)
    alerts = worker_alerts(settings)  # a bad NORTHSTAR_ALERTS_EVERY is a usage error (guard)
    scheduler = build_scheduler(
        settings,
        config,
        after_load=hook,
        derived_stale=hook.stale if hook else None,
        plan_rollups=plan_from_text,
        after_publish=alerts.after_publish,
        periodic=alerts.jobs,
    )
    sources = [job for job in scheduler.get_jobs() if job.id.startswith("ingest:")]
    if not sources:
        fail("no source has a `schedule:`; add one (e.g. `schedule: {every: 15m}`)", FAILED)
    checks = f"every {settings.alerts_every} and " if alerts.every else ""
    report_line = schedule_from_settings(scheduler, settings, lambda: open_app_db(settings))
    okr_line = schedule_kr_values(scheduler, settings, lambda: open_app_db(settings))
    say(
        f"worker: {len(sources)} scheduled source(s); alerts checked {checks}after each ingest; "
        f"{report_line}; {okr_line}; Ctrl+C stops"
    )
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()


def _config_or_exit(settings: Settings):
    try:
        return load_sources(settings.sources)
    except SourceConfigError as exc:
        fail(describe(exc), FAILED)
    except (OSError, UnicodeDecodeError) as exc:
        fail(
            f"{settings.sources}: {unreadable(exc)} (point NORTHSTAR_SOURCES at a sources.yml)",
            FAILED,
        )


def _read_status(settings: Settings) -> tuple[list, str | None]:
    """Read meta.loads from the warehouse; if the worker holds it, from the newest snapshot."""
    try:
        if not settings.warehouse.exists():
            return [], None
        with Warehouse(settings.warehouse, read_only=True) as wh:
            return _status_or_empty(wh), None
    except WarehouseError:
        engine = settings.warehouse_engine()
        if engine.name != "duckdb":  # meta.loads is published there with the raw tables
            with open_engine(
                engine.name,
                engine.url,
                shown=engine.shown,
                secrets=engine.secrets,
                directory=engine.directory,
            ) as wh:
                return _status_or_empty(
                    wh
                ), f"as published to {engine.shown}; the worker holds the warehouse"
        store = SnapshotStore(settings.serving_dir)
        current = store.current()
        if current is None:
            return [], "warehouse busy and nothing published yet"
        with store.open_snapshot(current[0]) as wh:
            return _status_or_empty(
                wh
            ), f"from snapshot {current[0]}; the worker holds the warehouse"


def _status_or_empty(wh: WarehouseReader) -> list:
    return source_status(wh) if wh.has_table("meta.loads") else []


def _age(age: timedelta | None) -> str:
    if age is None:
        return "-"
    minutes = int(age.total_seconds()) // 60
    days, hours, mins = minutes // 1440, (minutes % 1440) // 60, minutes % 60
    return f"{days}d {hours}h" if days else f"{hours}h {mins}m" if hours else f"{mins}m"


class IngestProgress:
    """connectors.Progress: on a terminal a live bar per table with rows and rate; in a pipe
    (CI logs, files) one plain line per finished table."""

    def __init__(self) -> None:
        err = console(stderr=True)
        self._live = err.is_terminal
        self._bar = Progress(
            TextColumn("{task.description:<32}", markup=False),  # source and table names as written
            BarColumn(),
            TextColumn("{task.fields[rows]:>12,} rows"),
            TextColumn("{task.fields[rate]:>10,.0f} rows/s"),
            TextColumn("{task.fields[status]}"),
            TimeElapsedColumn(),
            console=err,
            disable=not self._live,
        )
        self._tasks: dict[tuple[str, str], tuple[TaskID, float, int]] = {}

    def __enter__(self) -> IngestProgress:
        self._bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.__exit__(*exc)

    def table_started(self, source: str, table: str) -> None:
        task = self._bar.add_task(f"{source}.{table}", total=None, rows=0, rate=0.0, status="")
        self._tasks[(source, table)] = (task, time.perf_counter(), 0)

    def rows(self, source: str, table: str, rows: int, nbytes: int) -> None:
        task, started, total = self._tasks[(source, table)]
        total += rows
        self._tasks[(source, table)] = (task, started, total)
        rate = total / max(time.perf_counter() - started, 1e-6)
        self._bar.update(task, rows=total, rate=rate)

    def table_finished(self, outcome: TableOutcome) -> None:
        task, _, _total = self._tasks[(outcome.source, outcome.table)]
        rate = outcome.rows / max(outcome.seconds, 1e-6)
        if not self._live:
            say(
                f"{outcome.source}.{outcome.table}: {outcome.rows:,} rows in {outcome.seconds:.1f} s "
                f"({rate:,.0f} rows/s) {outcome.status}",
                err=True,
            )
        status = "[green]ok[/]" if outcome.status == "ok" else "[red]failed[/]"
        self._bar.update(task, total=1, completed=1, rows=outcome.rows, rate=rate, status=status)
