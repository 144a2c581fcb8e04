"""Daily rollup tables per pair of dimensions (rollup_units.daily_sets): a breakdown filtered on
another dimension reads the pair's table, not the table of every dimension, with the numbers
pandas gives by hand; three dimensions still read `all`."""

from __future__ import annotations

from datetime import date

import pandas as pd

from metric_layer.query import DimensionFilter, MetricQuery
from metric_layer.rollup_units import daily_set
from metric_layer.service import MetricService
from tests.conftest import NOW
from tests.unit.test_metric_values import local_day

PAIRS = ["channel__platform", "channel__region", "channel__size", "platform__region"]


def test_a_table_per_pair_of_dimensions(medium_rollup_warehouse):
    tables = medium_rollup_warehouse.table_columns()
    for pair in [*PAIRS, "platform__size", "region__size"]:
        assert f"rollup.orders__daily__{pair}" in tables
    columns = set(tables["rollup.orders__daily__channel__platform"])
    assert {"day", "channel", "platform"} <= columns and not {"region", "size"} & columns


def test_a_breakdown_filtered_on_another_dimension_reads_their_pair(
    medium_rollup_warehouse, small_spec, medium_data
):
    svc = MetricService(medium_rollup_warehouse, small_spec, clock=lambda: NOW)
    query = MetricQuery(
        ("orders", "revenue"),
        grain="month",
        start=date(2025, 6, 1),
        end=date(2025, 12, 31),
        dimensions=("channel",),
        filters=(DimensionFilter("platform", "in", ("ios", "web")),),
    )
    got = svc.query(query)
    assert '"rollup"."orders__daily__channel__platform"' in got.sql["orders"]
    o = medium_data.orders.merge(medium_data.customers[["customer_id", "channel"]], how="left")
    day = local_day(o["ordered_at"])
    keep = (
        (o["status"] == "paid")
        & o["platform"].isin(["ios", "web"])
        & (day >= pd.Timestamp("2025-06-01"))
        & (day < pd.Timestamp("2026-01-01"))
    )
    o = o[keep].assign(period=day[keep].dt.to_period("M").dt.start_time.dt.date)
    o["amount"] = o["amount"].astype(float)
    o["channel"] = o["channel"].fillna("<NULL>")  # customers without a channel: a segment too
    g = o.groupby(["period", "channel"])
    want = pd.DataFrame({"orders": g["order_id"].count(), "revenue": g["amount"].sum()})
    frame = got.frame.assign(channel=got.frame["channel"].fillna("<NULL>"))
    frame = frame.set_index(["period", "channel"])[["orders", "revenue"]].astype(float)
    frame = frame[frame["orders"] > 0]
    pd.testing.assert_frame_equal(frame.sort_index(), want.astype(float).sort_index(), rtol=1e-12)

    three = MetricQuery(
        ("orders",), grain="month", dimensions=("channel", "region"), filters=query.filters
    )
    assert '"rollup"."orders__daily__all"' in svc.query(three).sql["orders"]


def test_a_dimension_whose_name_holds_the_separator_gets_no_pair_table():
    # `pay__method` beside `platform` would be orders__daily__pay__method__platform, a name that
    # does not say which two dimensions it holds: such a dimension is kept in `all` only
    dims = ["pay__method", "platform", "size"]
    assert daily_set({"platform", "size"}, dims) == ("platform", "size")
    assert daily_set({"pay__method", "platform"}, dims) == "all"
    assert daily_set({"pay__method", "size"}, dims) == "all"
    assert daily_set({"pay__method"}, dims) == "pay__method"
    # two dimensions are the model's all: no pair table
    assert daily_set({"platform", "size"}, ["platform", "size"]) == "all"
