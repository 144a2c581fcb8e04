"""A ratio asked with both its inputs, read alike, is divided from their columns instead of running
its own statement (which would read them again): the plan says so, and the values equal pandas by
hand and the ratio asked alone, on the raw and the rollup path, with and without a breakdown."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from metric_layer.frame_join import divided
from metric_layer.query import DimensionFilter, MetricQuery
from tests.conftest import make_service
from tests.unit.test_metric_values import local_day

START, END = date(2025, 10, 1), date(2025, 12, 31)


@pytest.fixture(scope="module", params=["raw", "rollups"])
def service(request, medium_warehouse, medium_rollup_warehouse, small_spec):
    rollups = request.param == "rollups"
    wh = medium_rollup_warehouse if rollups else medium_warehouse
    return make_service(wh, small_spec, use_rollups=rollups)


def by_hand(data, dims: list[str]) -> pd.DataFrame:
    """Buyers, visitors and their ratio per month (× dims), NaN where there are no visitors."""
    c = data.customers[["customer_id", "channel", "region"]]
    o = data.orders[data.orders["status"] == "paid"].merge(c, on="customer_id", how="left")
    s = data.sessions.merge(c, on="customer_id", how="left")
    parts = []
    for frame, time, name in ((o, "ordered_at", "buyers"), (s, "started_at", "visitors")):
        day = local_day(frame[time])
        f = frame[(day >= pd.Timestamp(START)) & (day <= pd.Timestamp(END))]
        f = f.assign(period=day.dt.to_period("M").dt.start_time.dt.date)
        g = f.groupby(["period", *dims], dropna=False)["customer_id"].nunique().rename(name)
        parts.append(g)
    out = pd.concat(parts, axis=1).fillna(0).reset_index()
    out["conversion"] = out["buyers"] / out["visitors"].replace(0, np.nan)
    return out


@pytest.mark.parametrize("dims", [(), ("channel",)])
def test_conversion_with_its_inputs_is_their_columns_divided(service, medium_data, dims):
    q = MetricQuery(
        ("buyers", "visitors", "conversion"), grain="month", start=START, end=END, dimensions=dims
    )
    plan = service.query_plan(q)
    composed = [s for s in plan.statements if s.composed]
    assert [(s.metrics, s.composed) for s in composed] == [
        (("conversion",), ("buyers", "visitors"))
    ]
    assert "conversion: buyers ÷ visitors, from their columns of this query" in plan.describe()
    result = service.query(q)
    assert result.sql["conversion"].startswith("-- conversion = buyers / visitors")
    keys = ["period", *dims]
    got = result.frame.drop(columns="is_partial")
    want = by_hand(medium_data, list(dims))
    both = got.merge(want, on=keys, how="outer", suffixes=("", "_want"), indicator=True)
    assert (both["_merge"] == "both").all(), both[both["_merge"] != "both"]
    for name in ("buyers", "visitors", "conversion"):
        np.testing.assert_array_equal(
            both[name].astype(float).to_numpy(), both[f"{name}_want"].astype(float).to_numpy()
        )
    alone = service.query(MetricQuery(("conversion",), **_rest(q))).frame
    pd.testing.assert_series_equal(
        got.sort_values(keys)["conversion"].reset_index(drop=True),
        alone.sort_values(keys)["conversion"].reset_index(drop=True),
        rtol=0,
        atol=0,
    )


def _rest(q: MetricQuery) -> dict:
    return {"grain": q.grain, "start": q.start, "end": q.end, "dimensions": q.dimensions}


@pytest.mark.parametrize(
    ("metrics", "compare", "filters"),
    [
        (("orders", "ios_share"), None, ()),  # its numerator has a filter of its own
        (("buyers", "conversion"), None, ()),  # the denominator is not asked for
        (("buyers", "visitors", "conversion"), "previous", ()),  # comparisons read two ranges
    ],
    ids=["input-filter", "input-missing", "compare"],
)
def test_ratios_that_read_otherwise_keep_their_statement(service, metrics, compare, filters):
    q = MetricQuery(metrics, grain="month", start=START, end=END, compare=compare, filters=filters)
    assert not [s for s in service.query_plan(q).statements if s.composed]
    assert not service.query(q).sql[metrics[-1]].startswith("--")


def test_a_ratio_with_a_filter_on_the_query_is_divided_from_filtered_columns(service, medium_data):
    north = (DimensionFilter("region", "in", ("north",)),)
    q = MetricQuery(
        ("buyers", "visitors", "conversion"), grain="month", start=START, end=END, filters=north
    )
    assert [s.composed for s in service.query_plan(q).statements if s.composed]
    got = service.query(q).frame
    data = medium_data
    north_ids = data.customers.loc[data.customers["region"] == "north", "customer_id"]
    keep = type(data)(
        data.name,
        data.customers,
        data.orders[data.orders["customer_id"].isin(north_ids)],
        data.sessions[data.sessions["customer_id"].isin(north_ids)],
        data.today,
        data.start,
        data.end,
    )
    want = by_hand(keep, [])
    np.testing.assert_array_equal(
        got["conversion"].to_numpy(), want.sort_values("period")["conversion"].to_numpy()
    )


def test_dividing_columns_follows_the_sql_ratio():
    """CAST(num AS DOUBLE) / NULLIF(den, 0): no value where the denominator is 0 or missing,
    DECIMAL numerators through their exact value, integer columns with <NA>."""
    num = pd.Series([Decimal("10.10"), Decimal("5.00"), None, Decimal("0.00")], dtype=object)
    den = pd.Series(pd.array([0, 4, 2, None], dtype="Int64"))
    got = divided(num, den)
    assert got.dtype == "float64"
    assert got.isna().tolist() == [True, False, True, True]
    assert got[1] == 1.25
    assert divided(pd.Series([3.0]), pd.Series([-0.0])).isna().all()


@pytest.mark.parametrize("dims", [(), ("channel",)])
def test_columns_come_in_the_order_asked_whatever_the_statements(service, dims):
    """The ratio is divided last and its inputs share one statement, yet the frame (and so the
    CLI's table and CSV) lists the metrics as asked, each comparison beside its metric."""
    asked = ("conversion", "orders", "visitors", "buyers")
    q = MetricQuery(asked, grain="month", start=START, end=END, dimensions=dims)
    assert list(service.query(q).frame.columns) == ["period", *dims, *asked, "is_partial"]
    compared = service.query(MetricQuery(asked[:2], compare="previous", **_rest(q))).frame
    assert list(compared.columns) == [
        "period",
        *dims,
        "conversion",
        "conversion__compare",
        "orders",
        "orders__compare",
        "is_partial",
    ]
