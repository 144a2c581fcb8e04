"""Median and percentile metrics (exact and approximate) against pandas, and their spec rules."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from metric_layer.errors import SpecError
from metric_layer.loader import parse_spec
from metric_layer.query import MetricQuery
from metric_layer.service import MetricService
from tests.conftest import NOW, SPEC_PATH
from tests.unit.test_metric_values import Reference

EXTRA = """
  - {name: median_paid, type: simple, model: orders, agg: median, expr: amount, filter: "status = 'paid'"}
  - {name: p90_amount, type: simple, model: orders, agg: percentile, percentile: 0.9, expr: amount}
  - {name: p90_approx, type: simple, model: orders, agg: percentile, percentile: 0.9, expr: amount, approximate: true}
"""
LO, HI = date(2025, 3, 1), date(2025, 12, 31)


def spec_with(text: str, columns):
    full = SPEC_PATH.read_text(encoding="utf-8").replace("\nnorth_star:", text + "north_star:", 1)
    return parse_spec(full, "metrics.yml", columns)


@pytest.fixture(scope="module", params=[False, True], ids=["raw", "rollups"])
def service(request, medium_data):
    from tests.conftest import build_rollup_warehouse, build_warehouse

    wh = build_warehouse(medium_data)
    spec = spec_with(EXTRA, wh.table_columns())
    if request.param:
        wh = build_rollup_warehouse(medium_data, spec)
    return MetricService(wh, spec, clock=lambda: NOW, use_rollups=request.param)


@pytest.fixture(scope="module")
def ref(medium_data) -> Reference:
    return Reference(medium_data.customers, medium_data.orders, medium_data.sessions)


def monthly(ref: Reference, q: float, paid_only: bool, dims=()) -> pd.Series:
    o = ref.orders
    if paid_only:
        o = o[o["status"] == "paid"]
    o = o[(o["day"] >= pd.Timestamp(LO)) & (o["day"] <= pd.Timestamp(HI))]
    keys = [o["day"].dt.to_period("M").dt.start_time.dt.date, *[o[d] for d in dims]]
    # linear interpolation, as quantile_cont
    return o.groupby(keys, dropna=False)["amount"].quantile(q)


@pytest.mark.parametrize("dims", [(), ("platform",)])
def test_median_and_p90_match_pandas(service, ref, dims):
    frame = service.query(
        MetricQuery(("median_paid", "p90_amount"), grain="month", start=LO, end=HI, dimensions=dims)
    ).frame.set_index(["period", *dims])
    for name, q, paid in (("median_paid", 0.5, True), ("p90_amount", 0.9, False)):
        want = monthly(ref, q, paid, dims)
        got = frame[name].dropna()
        assert len(got) == len(want)
        np.testing.assert_allclose(
            got.astype(float).to_numpy(), want.reindex(got.index).to_numpy(), rtol=1e-9
        )


def test_approximate_p90_is_close(service, ref):
    frame = service.query(
        MetricQuery(("p90_approx",), grain="month", start=LO, end=HI)
    ).frame.set_index("period")
    want = monthly(ref, 0.9, False)
    got = frame["p90_approx"].astype(float)
    # a t-digest estimate: within 5% of the exact value on a few hundred orders a month
    np.testing.assert_allclose(got.to_numpy(), want.reindex(got.index).to_numpy(), rtol=0.05)


def test_percentiles_read_the_raw_tables_and_say_why(service):
    route = service.plan("p90_amount", MetricQuery(("p90_amount",), grain="month"))
    assert route.source == "raw"
    if service.rollup_planner is not None:
        assert "percentiles do not add up over days" in route.describe()


@pytest.mark.parametrize(
    "metric, key, words",
    [
        (
            "{name: p, type: simple, model: orders, agg: percentile, expr: amount}",
            "percentile",
            "needs `percentile`",
        ),
        (
            "{name: p, type: simple, model: orders, agg: median}",
            "expr",
            "needs `expr`: the value to rank (e.g. expr: amount)",
        ),
        (
            "{name: p, type: simple, model: orders, agg: sum, expr: amount, percentile: 0.5}",
            "percentile",
            "applies to agg median or percentile",
        ),
        (
            "{name: p, type: simple, model: orders, agg: percentile, expr: amount, percentile: 90}",
            "percentile",
            "less than 1",
        ),
        (
            "{name: p, type: simple, model: orders, agg: median, expr: status}",
            "expr",
            "not a number",
        ),
    ],
)
def test_percentile_spec_problems_name_the_key(small_warehouse, metric, key, words):
    with pytest.raises(SpecError) as err:
        spec_with(f"\n  - {metric}\n", small_warehouse.table_columns())
    text = str(err.value)
    assert f"metrics[19].{key}" in text and words in text, text
