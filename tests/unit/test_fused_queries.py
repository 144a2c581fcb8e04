"""One scan per model: a query's metrics of one model run as one statement, with the values each
metric has when asked alone (those are checked against pandas in test_metric_values.py)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from metric_layer.query import DimensionFilter, MetricQuery
from metric_layer.service import MetricService
from tests.conftest import NOW, property_settings

ORDERS_MODEL = ["orders", "revenue", "buyers", "avg_amount", "max_amount", "min_amount", "aov"]
DERIVED = ["ios_share", "revenue_per_buyer"]
OTHERS = ["visitors", "conversion", "wau", "revenue_growth"]  # other model, or not fusable


@pytest.fixture(scope="module")
def raw_service(medium_warehouse, small_spec) -> MetricService:
    return MetricService(medium_warehouse, small_spec, clock=lambda: NOW, use_rollups=False)


def alone(svc: MetricService, query: MetricQuery) -> pd.DataFrame:
    """Each metric queried on its own, merged as the service would: the reference."""
    keys = ["period", *query.dimensions]
    merged = None
    for name in query.metrics:
        one = svc.query(MetricQuery((name,), **_same(query))).frame.drop(columns="is_partial")
        merged = one if merged is None else merged.merge(one, on=keys, how="outer")
    return merged


def _same(q: MetricQuery) -> dict:
    return {
        "grain": q.grain,
        "start": q.start,
        "end": q.end,
        "dimensions": q.dimensions,
        "filters": q.filters,
        "where": q.where,
    }


def assert_same(svc: MetricService, query: MetricQuery) -> None:
    together = svc.query(query).frame.drop(columns="is_partial")
    want = alone(svc, query)
    keys = ["period", *query.dimensions]
    for frame in (together, want):
        for d in query.dimensions:
            frame[d] = frame[d].astype(object).where(frame[d].notna(), "<NULL>").astype(str)
    together = together.sort_values(keys).reset_index(drop=True)
    want = want.sort_values(keys).reset_index(drop=True)[together.columns]
    pd.testing.assert_frame_equal(together, want, check_dtype=False, rtol=1e-12)


def test_metrics_of_one_model_run_as_one_statement(raw_service):
    metrics = ("orders", "revenue", "aov", "visitors")
    by = raw_service.query(MetricQuery(metrics, grain="month", dimensions=("platform",)))
    assert by.sql["orders"] == by.sql["revenue"] == by.sql["aov"]
    assert by.sql["visitors"] != by.sql["orders"]  # another model: its own statement
    assert by.sql["aov"].count('"raw"."orders"') == 1  # aov reads its inputs in that scan


def test_a_trend_without_breakdown_runs_as_one_statement(raw_service):
    # The model's scan and the other model's statement side by side, joined on the period: one
    # run, each table read once; the values are those asked one by one (the property below).
    frame = raw_service.query(MetricQuery(("orders", "aov", "visitors"), grain="month"))
    assert len(set(frame.sql.values())) == 1
    text = frame.sql["orders"]
    assert text.count('"raw"."orders"') == 1 and text.count('"raw"."sessions"') == 1
    assert "USING (period)" in text
    # Days with sessions and no order (December 2024): the period comes from the second
    # statement alone, and keeps its visitors (a left join would drop them to 0).
    early = MetricQuery(
        ("orders", "aov", "visitors"), grain="day", start=date(2024, 12, 1), end=date(2025, 1, 15)
    )
    assert_same(raw_service, early)
    compared = raw_service.query(MetricQuery(("orders", "visitors"), compare="previous"))
    assert compared.sql["orders"] != compared.sql["visitors"]  # a comparison: statements apart


@given(
    metrics=st.lists(
        st.sampled_from(ORDERS_MODEL + DERIVED + OTHERS), min_size=2, max_size=5, unique=True
    ),
    grain=st.sampled_from(["day", "week", "month", "all"]),
    dims=st.sampled_from([(), ("platform",), ("channel",), ("channel", "platform")]),
    filtered=st.sampled_from([None, "region", "amount"]),
)
@property_settings(25)
def test_a_query_equals_its_metrics_asked_one_by_one(raw_service, metrics, grain, dims, filtered):
    if filtered == "amount" and {"visitors", "conversion", "wau"} & set(metrics):
        return  # sessions have no amount: refused, tested elsewhere
    filters = (DimensionFilter("region", "in", ("north",)),) if filtered == "region" else ()
    where = ("amount >= 50",) if filtered == "amount" else ()
    start, end = (date(2025, 11, 20), date(2025, 12, 31))
    query = MetricQuery(
        tuple(metrics),
        grain=grain,
        start=start,
        end=end,
        dimensions=dims,
        filters=filters,
        where=where,
    )
    assert_same(raw_service, query)
