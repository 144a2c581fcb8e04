"""What an alert check needs, opened from settings: the metric service on the newest published
snapshot, the alert rules and channels, and when each source last loaded (freshness rules).

Shared by `northstar alerts …` and the worker's alert jobs; errors are typed (never an exit),
so the worker can log them and `alerts check` can turn every one into exit code 2.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cli.context import open_warehouse, read_spec
from metric_layer.service import MetricService
from metric_layer.spec import Spec
from settings import Settings
from warehouse import Warehouse, WarehouseError
from warehouse.ingest_meta import source_status


class AlertsUnavailable(RuntimeError):
    """Alerts cannot be evaluated here: no warehouse yet, or no rules module in this build."""


@dataclass(frozen=True)
class CheckInputs:
    service: MetricService
    config: Any  # alerts.spec.AlertsConfig
    last_loads: dict[str, datetime]


def load_alerts_config(settings: Settings, spec: Spec) -> Any:
    """The `alerts:` section of metrics.yml (or alerts.yml beside it), validated against `spec`;
    SpecError lists every problem."""
    from alerts.spec import load_alerts

    return load_alerts(settings.metrics, spec, sources_path=settings.sources)


def rules_config(settings: Settings) -> Any:
    """The alert rules without opening the warehouse (list, silence, ack need no numbers)."""
    return load_alerts_config(settings, read_spec(settings.metrics, None))


@contextmanager
def check_inputs(settings: Settings) -> Iterator[CheckInputs]:
    """The service on the newest snapshot (closed after the block), the rules, the loads."""
    warehouse, version = open_warehouse(settings)
    if warehouse is None:
        raise AlertsUnavailable(
            f"no warehouse at {settings.warehouse} and nothing published in "
            f"{settings.serving_dir}; run `northstar demo build` or `northstar ingest` first"
        )
    try:
        spec = read_spec(settings.metrics, warehouse)
        service = MetricService(warehouse, spec, snapshot=version, as_of=settings.as_of_date())
        config = load_alerts_config(settings, spec)
        yield CheckInputs(service, config, last_loads(warehouse))
    finally:
        warehouse.close()


def last_loads(warehouse: Warehouse) -> dict[str, datetime]:
    """Source → the last time ALL its tables had loaded (naive UTC): a source is only as fresh as
    its stalest table. Sources with a table never loaded are left out (never loaded)."""
    try:
        if not warehouse.has_table("meta.loads"):
            return {}
        rows = source_status(warehouse)
    except WarehouseError:
        return {}
    by_source: dict[str, list[datetime | None]] = {}
    for row in rows:
        by_source.setdefault(row["source"], []).append(row["last_ok"])
    return {
        source: min(times).replace(tzinfo=None)  # type: ignore[type-var, union-attr]
        for source, times in by_source.items()
        if all(t is not None for t in times)
    }
