"""A derived formula fused with its neighbours (fused.py on raw rows, rollup_fused.py on a daily
table) has a value only where one of its own inputs has a row, as when asked alone: on
2026-01-05 (Shanghai) the small shop has o12 paid on android and o13 refunded on web, so
`avg_amount` (every order) has a web row while revenue (paid orders) has none there; `net =
revenue - revenue` on web is no value, not 0 (it was 0 fused and missing alone)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from metric_layer.loader import load_spec
from metric_layer.query import MetricQuery
from metric_layer.service import MetricService
from tests.conftest import NOW, SPEC_PATH, build_rollup_warehouse

NET = '  - {name: net, type: derived, formula: "revenue - revenue"}\n'
DAY = date(2026, 1, 5)


@pytest.fixture(scope="module")
def spec(tmp_path_factory, small_warehouse):
    path = Path(tmp_path_factory.mktemp("spec")) / "metrics.yml"
    text = SPEC_PATH.read_text(encoding="utf-8")
    path.write_text(text.replace("north_star:", NET + "north_star:", 1), encoding="utf-8")
    return load_spec(path, small_warehouse.table_columns())


@pytest.fixture(scope="module", params=["raw", "rollups"])
def service(request, spec, small_data, small_warehouse) -> MetricService:
    if request.param == "raw":
        return MetricService(small_warehouse, spec, clock=lambda: NOW, use_rollups=False)
    rolled = build_rollup_warehouse(small_data, spec)
    return MetricService(rolled, spec, clock=lambda: NOW)


def test_a_formula_has_no_value_where_only_a_neighbour_has_rows(service):
    query = MetricQuery(
        ("avg_amount", "net"), grain="day", start=DAY, end=DAY, dimensions=("platform",)
    )
    got = service.query(query)
    assert got.sql["avg_amount"] == got.sql["net"]  # the shape under test: one statement
    rows = {r["platform"]: r for r in got.frame.to_dict("records")}
    assert rows["android"]["avg_amount"] == 40 and rows["android"]["net"] == 0
    assert rows["web"]["avg_amount"] == 35
    assert rows["web"]["net"] is None or rows["web"]["net"] != rows["web"]["net"]  # no value
    alone = service.query(MetricQuery(("net",), **_range(query))).frame
    assert alone["platform"].tolist() == ["android"] and alone["net"].tolist() == [0]


def _range(q: MetricQuery) -> dict:
    return {"grain": q.grain, "start": q.start, "end": q.end, "dimensions": q.dimensions}
