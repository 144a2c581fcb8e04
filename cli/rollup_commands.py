"""`northstar rollups build | status`, and the rollup hook that `ingest` and `worker` run.

Rollups follow metrics.yml and the data: after a load, and on every run even when no rows came,
the hook asks whether a metrics.yml edit, new data or a new as-of day made some rollup stale; if
so it rebuilds just those (metric_layer.rollup_build) and the run publishes a snapshot. `status`
says, per metric, whether queries are answered from rollups or raw tables, and why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated

import typer

from cli.context import read_spec, service_or_exit, spec_or_exit
from cli.output import FAILED, fail, say
from metric_layer.errors import QueryError, SpecError
from metric_layer.periods import QUERY_GRAINS as GRAINS
from metric_layer.query import MetricQuery
from metric_layer.rollup_build import RollupRefresh, refresh_rollups, rollups_stale
from settings import Settings
from warehouse import SnapshotStore, Warehouse, WarehouseError

log = logging.getLogger("northstar.rollups")


def register(app: typer.Typer) -> None:
    rollups = typer.Typer(
        help="Rollups: the small tables that answer queries fast. build | status",
        no_args_is_help=True,
    )
    rollups.command("build")(build)
    rollups.command("status")(status)
    app.add_typer(rollups, name="rollups")


class RollupHook:
    """run_ingest's after_load (refresh) and derived_stale (whether a refresh is due)."""

    def __init__(self, settings: Settings, say: Callable[[str], None]) -> None:
        self.settings = settings
        self.say = say
        self.last: RollupRefresh | None = None

    def __call__(self, warehouse: Warehouse) -> str:
        """Refresh the stale rollups; return the metrics.yml text they were built with, which the
        published snapshot carries (the web app serves it when the live file turns invalid)."""
        text = self.settings.metrics.read_text(encoding="utf-8")
        spec = read_spec(self.settings.metrics, warehouse)
        self.last = refresh_rollups(warehouse, spec, today=self.settings.as_of_date())
        self.say(self.last.summary())
        return text

    def stale(self, warehouse: Warehouse) -> bool:
        try:
            spec = read_spec(self.settings.metrics, warehouse)
        except SpecError:
            return True  # the refresh then fails with the spec's problems, and the run says so
        return rollups_stale(warehouse, spec, today=self.settings.as_of_date())


class SpecHook:
    """run_ingest's after_load on postgres and spark: metrics.yml checked against the loaded
    tables and its text handed to the publish, which builds the rollups in the engine
    (warehouse/pg_rollups.py, warehouse/spark_publish.py); nothing is built in DuckDB."""

    def __init__(self, settings: Settings, say: Callable[[str], None]) -> None:
        self.settings = settings
        self.say = say

    def __call__(self, warehouse: Warehouse) -> str:
        text = self.settings.metrics.read_text(encoding="utf-8")
        read_spec(self.settings.metrics, warehouse)  # SpecError: not published, the run says why
        engine = self.settings.warehouse_engine().name
        self.say(f"rollups: daily and entity-day tables are built in {engine} with the publish")
        return text

    def stale(self, warehouse: Warehouse) -> bool:
        return False  # nothing derived to go stale


def rollup_hook(settings: Settings, say: Callable[[str], None]) -> RollupHook | SpecHook | None:
    """The hook for ingest and the worker; None when there is no metrics.yml (see no_spec_note).
    On an engine other than duckdb, SpecHook: that engine's publish builds the rollups."""
    if not settings.metrics.exists():
        return None
    if settings.warehouse_engine().name != "duckdb":
        return SpecHook(settings, say)
    return RollupHook(settings, say)


def no_spec_note(settings: Settings) -> str:
    return (
        f"rollups skipped: no metrics.yml at {settings.metrics} "
        "(create it, or set NORTHSTAR_METRICS to your spec; then `northstar rollups build`)"
    )


def build(
    full: Annotated[
        bool, typer.Option("--full", help="rebuild every rollup, not only the stale ones")
    ] = False,
) -> None:
    """Rebuild the rollups that metrics.yml, new data or the as-of day made stale; publish."""
    settings = Settings.load()
    settings.duckdb_only("`northstar rollups build`")
    if not settings.metrics.exists():
        fail(no_spec_note(settings), FAILED)
    if not settings.warehouse.exists():
        fail(f"no warehouse at {settings.warehouse}: run `northstar ingest` first", FAILED)
    today = settings.as_of_date()  # a bad NORTHSTAR_AS_OF is a usage error (cli.guard)
    try:
        warehouse = Warehouse(settings.warehouse)
    except WarehouseError as exc:
        fail(
            f"cannot open {settings.warehouse} for writing ({exc}); if `northstar worker` is "
            "running, it rebuilds the rollups on its next run",
            FAILED,
        )
    store = SnapshotStore(settings.serving_dir)
    with warehouse:
        spec = spec_or_exit(settings, warehouse)
        progress = lambda line: say(line, err=True)  # noqa: E731
        result = refresh_rollups(warehouse, spec, today, full=full, progress=progress)
        if not result.changed and store.current() is not None:
            say(result.summary())
            return
        warehouse.checkpoint()
        warehouse.close()  # a closed file is a consistent file to copy
    version = store.publish(settings.warehouse)
    say(f"{result.summary()}; published snapshot {version}")


def status(
    grain: Annotated[str, typer.Option(help=f"one of {', '.join(GRAINS)}")] = "week",
    by: Annotated[
        list[str], typer.Option("--by", help="dimension to break down by (repeatable)")
    ] = [],  # noqa: B006
) -> None:
    """Per metric: answered from rollups or raw tables, and why (for --grain and --by)."""
    settings = Settings.load()
    if not settings.metrics.exists():
        fail(no_spec_note(settings), FAILED)
    if grain not in GRAINS:
        fail(f"--grain must be one of {', '.join(GRAINS)}, not {grain!r}")
    service = service_or_exit(settings)
    where = f"snapshot {service.snapshot}" if service.snapshot else str(settings.warehouse)
    if service.dialect != "duckdb":  # the database, its password masked
        where = settings.warehouse_engine().shown
    planner = service.rollup_planner
    built = f"rollups built for {planner.built_for}" if planner else "no usable rollups"
    say(f"{where}: {built}; as of {service.today()}")
    for metric in service.spec.metric_names:
        try:
            route = service.plan(metric, MetricQuery((metric,), grain=grain, dimensions=tuple(by)))
        except QueryError as exc:  # e.g. --by a dimension this metric does not have
            say(f"{metric}: cannot answer — {exc}")
            continue
        say(f"{metric}: {route.describe()}")
        if route.sources and route.source != "raw":  # raw: the line above says it all
            say(f"  reads: {route.sources}")  # the plan: each read's kind of rollup
