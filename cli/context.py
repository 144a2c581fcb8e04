"""Open what a command needs from settings: the spec, and a read-only metric service."""

from __future__ import annotations

from pathlib import Path

from cli.guard import describe, unreadable
from cli.output import FAILED, USAGE, fail
from metric_layer.errors import SpecError, SpecIssue
from metric_layer.loader import load_spec
from metric_layer.service import MetricService
from metric_layer.spec import Spec
from settings import Settings
from warehouse import SnapshotStore, Warehouse, WarehouseError
from warehouse.engines import WarehouseReader, open_engine


def open_warehouse(settings: Settings) -> tuple[WarehouseReader | None, str | None]:
    """The newest published snapshot, else the warehouse file, read-only; None when neither exists.
    With engine = postgres (docs/scale-out.md), the database at engine_url, read-only, no version.
    ValueError when the engine setting is wrong (the message says what to write)."""
    engine = settings.warehouse_engine()
    if engine.name != "duckdb":
        return open_engine(
            engine.name,
            engine.url,
            shown=engine.shown,
            secrets=engine.secrets,
            directory=engine.directory,
        ), None
    store = SnapshotStore(settings.serving_dir)
    current = store.current()
    if current is not None:
        version = current[0]
        return store.open_snapshot(version), version
    if settings.warehouse.exists():
        return Warehouse(settings.warehouse, read_only=True), None
    return None, None


def spec_or_exit(settings: Settings, warehouse: WarehouseReader | None) -> Spec:
    """The settings' metrics.yml; its problems end the command (one per line on stderr, exit 1)."""
    try:
        return read_spec(settings.metrics, warehouse)
    except SpecError as exc:
        fail(describe(exc), FAILED)


def read_spec(path: Path, warehouse: WarehouseReader | None) -> Spec:
    """load_spec, with a file that cannot be read (a folder, not UTF-8) as a SpecError too."""
    try:
        return load_spec(path, warehouse.table_columns() if warehouse else None)
    except (OSError, UnicodeDecodeError) as exc:
        hint = "point NORTHSTAR_METRICS or the path argument at a metrics.yml file"
        raise SpecError([SpecIssue(str(path), None, "", unreadable(exc), hint)]) from None


def service_or_exit(settings: Settings) -> MetricService:
    try:
        warehouse, version = open_warehouse(settings)
    except WarehouseError as exc:
        fail(str(exc), FAILED)
    except ValueError as exc:  # the engine setting
        fail(str(exc), USAGE)
    if warehouse is None:
        fail(
            f"no warehouse at {settings.warehouse} and nothing published in "
            f"{settings.serving_dir}; run `northstar demo build` or `northstar ingest` first",
            FAILED,
        )
    try:
        as_of = settings.as_of_date()
    except ValueError as exc:
        fail(str(exc), USAGE)
    spec = spec_or_exit(settings, warehouse)
    return MetricService(warehouse, spec, snapshot=version, as_of=as_of)
