"""One ingest run: every table of the chosen sources, each its own transaction, then publish.

A failing table is logged in meta.loads and reported; the others go on. After a run that changed
data — or when the injected derived_stale(warehouse) says tables derived from the data no longer
match their definitions (the metric layer's rollups after a metrics.yml edit) — the injected
after_load(warehouse) hook runs (the metric layer rebuilds rollups there; this package must not
import it), and what was loaded is published (connectors/publish_targets.py): a serving snapshot
of the checkpointed, closed file, or with engine = postgres | spark the raw tables swapped into
the PostgreSQL database or published as a new version of Parquet folders for Spark. Loading is the same on every engine: into the DuckDB file.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from connectors import files, http, sql
from connectors.config import FilesSource, HttpEndpoint, HttpSource, Source, SqlSource, SqlTable
from connectors.errors import ConnectorError
from connectors.publish_targets import PlanRollups, PostgresTarget, SnapshotTarget, SparkTarget
from connectors.sources_file import SourcesConfig, load_sources
from settings import Settings
from warehouse import SnapshotStore, Warehouse
from warehouse.ingest_meta import (
    ensure_meta,
    log_finished,
    log_started,
    read_cursor,
)
from warehouse.loading import LoadRequest, LoadResult, load_table

# Runs after a load that changed data; returns the metrics.yml text it validated (or None), which
# the published snapshot carries so the web app can serve it when the live file is broken.
AfterLoad = Callable[[Warehouse], str | None]
DerivedStale = Callable[[Warehouse], bool]


class Progress(Protocol):
    def table_started(self, source: str, table: str) -> None: ...
    def rows(self, source: str, table: str, rows: int, nbytes: int) -> None: ...
    def table_finished(self, outcome: TableOutcome) -> None: ...


@dataclass(frozen=True)
class TableOutcome:
    source: str
    table: str
    status: str  # "ok" | "failed"
    rows: int = 0
    bytes: int = 0
    seconds: float = 0.0
    error: str | None = None
    quarantined: tuple[str, ...] = ()


@dataclass
class IngestReport:
    run_id: str
    outcomes: list[TableOutcome] = field(default_factory=list)
    published: str | None = None
    publish_error: str | None = None

    @property
    def ok(self) -> bool:
        return self.publish_error is None and all(o.status == "ok" for o in self.outcomes)

    @property
    def rows(self) -> int:
        return sum(o.rows for o in self.outcomes)


def run_ingest(
    settings: Settings,
    source: str | None = None,
    full_refresh: bool = False,
    progress: Progress | None = None,
    after_load: AfterLoad | None = None,
    environ: Mapping[str, str] | None = None,
    config: SourcesConfig | None = None,
    publish: bool = True,
    derived_stale: DerivedStale | None = None,
    plan_rollups: PlanRollups | None = None,
) -> IngestReport:
    """Load one source (or all), then run after_load and publish a snapshot if data changed
    (or derived_stale says the derived tables need a rebuild)."""
    config = config or load_sources(settings.sources, environ)
    chosen = [config.get(source)] if source else list(config.sources)
    report = IngestReport(run_id=uuid.uuid4().hex)
    target = publish_target(settings, plan_rollups=plan_rollups) if publish else None
    warehouse = Warehouse(settings.warehouse)
    try:
        ensure_meta(warehouse)
        for src in chosen:
            for table in src.tables:
                report.outcomes.append(
                    _load_one(warehouse, config, src, table, report.run_id, full_refresh, progress)
                )
        changed = any(o.status == "ok" and (o.rows or o.quarantined) for o in report.outcomes)
        stale = publish and not changed and derived_stale is not None and derived_stale(warehouse)
        if target is not None and (changed or stale or target.pending(warehouse)):
            spec_text = None
            if after_load is not None:
                try:
                    spec_text = after_load(warehouse)
                except Exception as exc:  # the hook is someone else's code: report, don't publish
                    report.publish_error = config.redact(
                        f"after_load failed, snapshot not published: {exc}"
                    )
                    return report
            try:
                report.published = target.publish(warehouse, spec_text)
            except target.errors as exc:  # the next run sees the publish behind and retries
                report.publish_error = config.redact(target.failed(exc))
    finally:
        warehouse.close()
    return report


def publish_target(
    settings: Settings, on_step=None, plan_rollups: PlanRollups | None = None
) -> SnapshotTarget | PostgresTarget | SparkTarget:
    """Where this run publishes: a serving snapshot, the PostgreSQL database or the Spark
    warehouse directory (engine = postgres | spark; `on_step` hears its progress,
    `plan_rollups` plans the rollups it builds there). ValueError: a wrong engine setting."""
    engine = settings.warehouse_engine()
    if engine.name == "postgres":
        return PostgresTarget(engine, on_step, plan_rollups)
    if engine.name == "spark":
        return SparkTarget(engine, on_step, plan_rollups)
    return SnapshotTarget(SnapshotStore(settings.serving_dir), settings.warehouse)


def _load_one(
    warehouse: Warehouse,
    config: SourcesConfig,
    src: Source,
    table: Any,
    run_id: str,
    full_refresh: bool,
    progress: Progress | None,
) -> TableOutcome:
    started = time.perf_counter()
    if progress:
        progress.table_started(src.name, table.name)
    on_rows = (lambda r, b: progress.rows(src.name, table.name, r, b)) if progress else None
    log_started(warehouse, run_id, src.name, table.name)
    quarantined: tuple[str, ...] = ()
    try:
        if isinstance(src, FilesSource):
            result, bad = files.load_files_table(
                warehouse,
                src,
                table,
                base_dir=config.base_dir(),
                run_id=run_id,
                full_refresh=full_refresh,
                on_rows=on_rows,
            )
            quarantined = tuple(f"{e.path}: {e.reason}" for e in bad)
        elif isinstance(src, SqlSource):
            result = _load_sql(warehouse, src, table, run_id, full_refresh, on_rows)
        elif isinstance(src, HttpSource):
            result = _load_http(warehouse, src, table, run_id, full_refresh, on_rows)
        else:  # pragma: no cover - the config union is closed
            raise ConnectorError(f"unknown source kind {src.kind}")
        outcome = TableOutcome(
            src.name,
            table.name,
            "ok",
            result.rows,
            result.bytes,
            time.perf_counter() - started,
            quarantined=quarantined,
        )
    except Exception as exc:  # one table's failure must not stop the others
        message = config.redact(f"{type(exc).__name__}: {exc}")
        log_finished(
            warehouse,
            run_id,
            src.name,
            table.name,
            rows=0,
            bytes_=0,
            status="failed",
            error=message,
        )
        outcome = TableOutcome(
            src.name, table.name, "failed", seconds=time.perf_counter() - started, error=message
        )
    if progress:
        progress.table_finished(outcome)
    return outcome


def _load_sql(
    warehouse, src: SqlSource, table: SqlTable, run_id, full_refresh, on_rows
) -> LoadResult:
    previous = None if full_refresh else read_cursor(warehouse, src.name, table.name)
    incremental = table.cursor is not None and previous is not None
    live = sql.live_keys(src, table) if table.deletes == "soft" else None
    extract = sql.extract(src, table, previous)
    request = LoadRequest(
        source=src.name,
        table=table.name,
        run_id=run_id,
        chunks=extract.chunks,
        mode=("merge" if table.primary_key else "append") if incremental else "replace",
        primary_key=tuple(table.primary_key),
        casts=extract.casts,
        cursor_column=table.cursor,
        previous_cursor=previous,
        check_drift=not full_refresh,
        clear_state=full_refresh,
        live_keys=live,
        dedupe=False,
    )
    return load_table(warehouse, request, on_rows)


def _load_http(
    warehouse, src: HttpSource, ep: HttpEndpoint, run_id, full_refresh, on_rows
) -> LoadResult:
    previous = None if full_refresh else read_cursor(warehouse, src.name, ep.name)
    incremental = ep.incremental is not None and previous is not None
    request = LoadRequest(
        source=src.name,
        table=ep.name,
        run_id=run_id,
        chunks=http.extract(src, ep, previous),
        mode=("merge" if ep.primary_key else "append") if incremental else "replace",
        primary_key=tuple(ep.primary_key),
        cursor_column=ep.incremental.cursor_field if ep.incremental else None,
        previous_cursor=previous,
        check_drift=not full_refresh,
        clear_state=full_refresh,
    )
    return load_table(warehouse, request, on_rows)
