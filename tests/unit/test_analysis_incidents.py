"""The demo's planted incidents come first when asked about their window against the 4 weeks before.

The demo generator plants three incidents with a known cause (demo/incidents.py); root cause must
name that cause first, from the shipped metrics.yml, on a freshly generated demo.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from analysis.explain import explain
from analysis.ranges import DayRange
from cli.demo_commands import build_demo
from demo.incidents import BASELINE_DAYS, planted_incidents
from metric_layer.loader import load_spec
from metric_layer.service import MetricService
from settings import Settings
from warehouse import Warehouse

ROOT = Path(__file__).resolve().parents[2]
END = date(2026, 6, 30)
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("demo_incidents")]


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    folder = tmp_path_factory.mktemp("incidents")
    settings = Settings(
        metrics=ROOT / "metrics.yml",
        sources=ROOT / "sources.yml",
        warehouse=folder / "warehouse.duckdb",
        serving_dir=folder / "serving",
    )
    build_demo(settings, orders=40_000, end=END, seed=11)
    wh = Warehouse(settings.warehouse, read_only=True)
    yield MetricService(wh, load_spec(settings.metrics, wh.table_columns()), as_of=END)
    wh.close()


def _ask(service, name: str, metric: str, dims: list[str]):
    incident = next(i for i in planted_incidents(END) if i.name == name)
    window = DayRange(incident.start, incident.end)
    before = DayRange(
        incident.start - timedelta(days=BASELINE_DAYS), incident.start - timedelta(days=1)
    )
    return explain(service, metric, window, before, dimensions=dims)


def test_android_south_conversion_drop(service):
    result = _ask(
        service,
        "android_south_conversion_drop",
        "order_conversion_rate",
        ["platform", "region", "channel", "plan"],
    )
    top = result.segments.findings[0]
    assert top.label == "platform=android × region=South"
    assert top.effect == "rate effect"
    assert top.contribution / result.segments.change > 0.6


def test_social_cac_spike(service):
    result = _ask(service, "social_tracking_outage", "cac", ["channel"])
    top = result.segments.findings[0]
    assert top.label == "channel=social" and top.after > 2 * top.before


def test_electronics_refund_spike_by_refund_reason(service):
    # metrics.yml has no product category dimension; the defective batch shows in the reason
    result = _ask(service, "electronics_refund_spike", "refunds", ["refund_reason"])
    assert result.segments.findings[0].label == "refund_reason=defective_batch"
