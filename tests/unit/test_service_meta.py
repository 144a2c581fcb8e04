"""What the service tells pages about the data itself: last successful loads per source."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from metric_layer.loader import load_spec
from metric_layer.service import MetricService
from warehouse import Warehouse

SPEC = Path(__file__).resolve().parents[1] / "fixtures" / "small_spec.yml"


def test_last_loads_is_empty_before_any_ingest():
    assert MetricService(Warehouse(), load_spec(SPEC)).last_loads() == {}


def test_last_loads_takes_the_latest_successful_run_per_source():
    wh = Warehouse()
    wh.execute("CREATE SCHEMA meta")
    wh.execute("CREATE TABLE meta.loads (source VARCHAR, finished TIMESTAMPTZ, status VARCHAR)")
    rows = [
        ("shop", "2026-11-20 08:00:00+00", "ok"),
        ("shop", "2026-11-21 08:00:00+00", "ok"),
        ("shop", "2026-11-22 08:00:00+00", "failed"),  # a failure does not make data fresher
        ("crm", "2026-11-19 06:30:00+00", "ok"),
    ]
    for row in rows:
        wh.execute("INSERT INTO meta.loads VALUES (?, ?, ?)", list(row))
    loads = MetricService(wh, load_spec(SPEC)).last_loads()
    assert {k: v.astimezone(UTC) for k, v in loads.items()} == {
        "shop": datetime(2026, 11, 21, 8, tzinfo=UTC),
        "crm": datetime(2026, 11, 19, 6, 30, tzinfo=UTC),
    }
