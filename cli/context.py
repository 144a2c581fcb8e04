"""Open what a command needs from settings: the spec, and a read-only metric service."""

from __future__ import annotations

import typer
from rich.console import Console

from metric_layer.errors import SpecError
from metric_layer.loader import load_spec
from metric_layer.service import MetricService
from metric_layer.spec import Spec
from settings import Settings
from warehouse import SnapshotStore, Warehouse, WarehouseError


def err() -> Console:
    # Built per call so the terminal width (COLUMNS) is read when the command runs.
    return Console(stderr=True)


def open_warehouse(settings: Settings) -> tuple[Warehouse | None, str | None]:
    """The newest published snapshot, else the warehouse file, read-only; None when neither exists."""
    current = SnapshotStore(settings.serving_dir).current()
    if current is not None:
        version, path = current
        return Warehouse(path, read_only=True), version
    if settings.warehouse.exists():
        return Warehouse(settings.warehouse, read_only=True), None
    return None, None


def spec_or_exit(settings: Settings, warehouse: Warehouse | None) -> Spec:
    try:
        return load_spec(settings.metrics, warehouse.table_columns() if warehouse else None)
    except SpecError as exc:
        err().print(str(exc), markup=False, highlight=False)
        raise typer.Exit(1) from None


def service_or_exit(settings: Settings) -> MetricService:
    try:
        warehouse, version = open_warehouse(settings)
    except WarehouseError as exc:
        err().print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    if warehouse is None:
        err().print(
            f"[red]no warehouse at {settings.warehouse} and nothing published in "
            f"{settings.serving_dir}[/red]; run `northstar demo build` or `northstar ingest` first"
        )
        raise typer.Exit(1)
    try:
        as_of = settings.as_of_date()
    except ValueError as exc:
        err().print(str(exc), markup=False, highlight=False)
        raise typer.Exit(2) from None
    spec = spec_or_exit(settings, warehouse)
    return MetricService(warehouse, spec, snapshot=version, as_of=as_of)
