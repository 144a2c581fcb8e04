"""Conversion metrics (visit → paid order within N days) against pandas written out here.

Sessions store TIMESTAMPTZ and orders naive UTC, so the event pairing crosses storage zones; local
days (Shanghai) decide the period of the visit.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from metric_layer.errors import SpecError
from metric_layer.loader import parse_spec
from metric_layer.query import DimensionFilter, MetricQuery
from metric_layer.service import MetricService
from tests.conftest import NOW, SPEC_PATH, build_warehouse
from tests.unit.test_metric_values import Reference

EXTRA = """
  - name: visit_to_order
    type: conversion
    entity: customer_id
    base_event: {model: sessions}
    conversion_event: {model: orders, filter: "status = 'paid'"}
    window: 7
    format: percent
  - name: same_platform_orders
    type: conversion
    entity: customer_id
    base_event: {model: sessions}
    conversion_event: {model: orders, filter: "status = 'paid'"}
    window: 3
    constant_properties: [platform]
    calculation: conversions
"""
LO, HI = date(2025, 6, 1), date(2025, 11, 30)


def spec_with(text: str, columns):
    full = SPEC_PATH.read_text(encoding="utf-8").replace("\nnorth_star:", text + "north_star:", 1)
    return parse_spec(full, "metrics.yml", columns)


@pytest.fixture(scope="module")
def service(medium_data):
    wh = build_warehouse(medium_data)
    return MetricService(wh, spec_with(EXTRA, wh.table_columns()), clock=lambda: NOW)


@pytest.fixture(scope="module")
def ref(medium_data) -> Reference:
    return Reference(medium_data.customers, medium_data.orders, medium_data.sessions)


def expected(
    ref: Reference, window: int, same_platform: bool, dims=(), grain="M", start=LO
) -> pd.DataFrame:
    s = ref.sessions[ref.sessions["customer_id"].notna()].copy()
    s = s[(s["day"] >= pd.Timestamp(start)) & (s["day"] <= pd.Timestamp(HI))]
    s["at"] = pd.to_datetime(s["started_at"], utc=True)
    o = ref.orders[ref.orders["status"] == "paid"].copy()
    o["at"] = pd.to_datetime(o["ordered_at"]).dt.tz_localize("UTC")
    keys = ["customer_id", "platform"] if same_platform else ["customer_id"]
    pairs = s.reset_index().merge(o[[*keys, "at"]], on=keys, how="left", suffixes=("", "_b"))
    hit = (pairs["at_b"] >= pairs["at"]) & (
        pairs["at_b"] <= pairs["at"] + pd.Timedelta(days=window)
    )
    converted = hit.groupby(pairs["index"]).any()
    s["converted"] = converted.reindex(s.index).fillna(False).to_numpy()
    s["period"] = s["day"].dt.to_period(grain).dt.start_time.dt.date
    g = s.groupby(["period", *dims], dropna=False)
    out = pd.DataFrame(
        {
            "opportunities": g["customer_id"].nunique(),
            "conversions": s[s["converted"]]
            .groupby(["period", *dims], dropna=False)["customer_id"]
            .nunique(),
        }
    ).fillna(0)
    out["rate"] = out["conversions"] / out["opportunities"]
    return out


@pytest.mark.parametrize("dims", [(), ("channel",), ("platform",)])
def test_conversion_rate_matches_pandas(service, ref, dims):
    frame = service.query(
        MetricQuery(("visit_to_order",), grain="month", start=LO, end=HI, dimensions=dims)
    ).frame.set_index(["period", *dims])
    want = expected(ref, 7, False, dims)
    got = frame["visit_to_order"].dropna()
    assert len(got) == len(want)
    np.testing.assert_allclose(
        got.to_numpy(), want["rate"].reindex(got.index).to_numpy(), rtol=1e-12
    )


def test_conversions_holding_the_platform_constant_match_pandas(service, ref):
    monday = date(2025, 6, 2)  # the reference counts visits from LO: start the weeks there
    assert monday.weekday() == 0 and (monday - LO).days == 1
    frame = service.query(
        MetricQuery(("same_platform_orders",), grain="week", start=monday, end=HI)
    ).frame.set_index("period")
    want = expected(ref, 3, True, (), grain="W-SUN", start=monday)["conversions"]
    got = frame["same_platform_orders"]
    assert str(got.dtype) == "Int64"
    assert got.reindex(want.index).astype(int).tolist() == want.astype(int).tolist()
    # holding the platform constant can only lose conversions
    loose = expected(ref, 3, False, (), grain="W-SUN", start=monday)["conversions"]
    assert (want <= loose).all() and (want < loose).any()


def test_filtered_and_total_conversion(service, ref):
    filters = (DimensionFilter("channel", "in", ("ads",)),)
    frame = service.query(
        MetricQuery(("visit_to_order",), grain="all", start=LO, end=HI, filters=filters)
    ).frame
    s_ref = expected(ref, 7, False, ("channel",), grain="Y")  # years hold the whole range here
    assert len(s_ref.index.get_level_values("period").unique()) == 1
    ads = s_ref.xs("ads", level="channel")
    # one row over the range: distinct visitors of the range, not a sum of months
    s = ref.sessions[ref.sessions["customer_id"].notna() & (ref.sessions["channel"] == "ads")]
    s = s[(s["day"] >= pd.Timestamp(LO)) & (s["day"] <= pd.Timestamp(HI))]
    assert ads["opportunities"].iloc[0] == s["customer_id"].nunique()
    assert frame["visit_to_order"].iloc[0] == pytest.approx(ads["rate"].iloc[0], rel=1e-12)


def test_the_last_visits_of_a_range_are_partial_until_their_window_is_over(service):
    frame = service.query(
        MetricQuery(
            ("visit_to_order",), grain="week", start=date(2025, 12, 15), end=date(2026, 1, 8)
        )
    ).frame
    # today is 2026-01-08: the week of 2025-12-29 ends 01-04, its visits convert until 01-11
    partial = dict(zip(frame["period"], frame["is_partial"], strict=True))
    assert not partial[date(2025, 12, 22)]
    assert partial[date(2025, 12, 29)]


def test_conversion_reads_raw_tables_and_says_why(service, medium_data):
    from metric_layer.conversion_sql import RAW_ONLY
    from tests.conftest import build_rollup_warehouse

    wh = build_rollup_warehouse(medium_data, service.spec)
    route = MetricService(wh, service.spec, clock=lambda: NOW).plan("visit_to_order")
    assert route.source == "raw" and RAW_ONLY in route.describe()


@pytest.mark.parametrize(
    "yaml, key, words",
    [
        ("entity: customer_idd", "entity", "did you mean `customer_id`"),
        ("constant_properties: [platfrom]", "constant_properties[0]", "did you mean `platform`"),
        (
            "constant_properties: [platfrom]",
            "constant_properties[0]",
            "unknown dimension or column `platfrom` in model `sessions`",
        ),
        ("window: 0", "window", "greater than or equal to 1"),
        ("calculation: rate", "calculation", "conversion_rate"),
    ],
)
def test_conversion_spec_problems_name_the_key(small_warehouse, yaml, key, words):
    base = (
        "\n  - {name: c, type: conversion, entity: customer_id, base_event: {model: sessions}, "
        "conversion_event: {model: orders}, KEY}\n"
    )
    text = (
        base.replace("KEY", yaml)
        if not yaml.startswith("entity")
        else base.replace("entity: customer_id, ", "").replace("KEY", yaml)
    )
    with pytest.raises(SpecError) as err:
        spec_with(text, small_warehouse.table_columns())
    message = str(err.value)
    assert f"metrics[19].{key}" in message and words in message, message
