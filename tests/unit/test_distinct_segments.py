"""Distinct buyers per segment (metric_layer/distinct_segments.py) against pandas, by hand.

A few orders chosen for the statement's cases: a buyer on several platforms and sizes, one on the
same platform on two days (one row per range), a buyer with many rows, orders without a buyer
(their segments are there, as 0), NULL platform and channel, a buyer missing from customers, and
a customer_id twice in customers (the join gives each of its orders both channels, so it is a
buyer in both). Each on the raw tables and the rollups, with entities compared row with row,
counted per set (few PAIRED_ROWS), and the flags split over several columns (few BITS).
"""

from __future__ import annotations

import itertools
from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pytest
from sqlglot import exp

from metric_layer import distinct_segments
from metric_layer.distinct_segments import distinct_statement
from metric_layer.loader import load_spec
from metric_layer.segment_parts import segment_parts
from tests.conftest import (
    NOW,
    SPEC_PATH,
    Dataset,
    build_rollup_warehouse,
    build_warehouse,
    customers_frame,
    make_service,
    orders_frame,
    sessions_frame,
)

FIRST = (date(2025, 12, 29), date(2026, 1, 4))
SECOND = (date(2026, 1, 5), date(2026, 1, 7))
DIMS = ["platform", "size", "channel", "region"]
SETS = [(d,) for d in DIMS] + list(itertools.combinations(DIMS, 2))
NULL = "<null>"

CUSTOMERS = [
    ("c1", "ads", "north", "2025-06-01 04:00"),
    ("c2", "organic", "south", "2025-06-01 04:00"),
    ("c3", None, "north", "2025-06-01 04:00"),  # NULL channel
    ("c4", "ads", None, "2025-06-01 04:00"),  # NULL region
    ("c5", "ads", "north", "2025-06-01 04:00"),
    ("c5", "organic", "north", "2025-06-01 04:00"),  # the same key twice
]
# id, customer, ordered_at (UTC; +8 h is the Shanghai day), amount (size: large from 100),
# status, platform
ORDERS = [
    ("o1", "c1", "2026-01-05 04:00", 50.0, "paid", "ios"),
    ("o2", "c1", "2026-01-06 04:00", 150.0, "paid", "web"),
    ("o3", "c1", "2026-01-07 04:00", 50.0, "paid", "ios"),  # o1's values another day
    ("o4", "c2", "2026-01-05 04:00", 120.0, "paid", "ios"),
    ("o5", "c2", "2026-01-06 04:00", 300.0, "paid", "web"),
    ("o6", "c2", "2026-01-07 04:00", 20.0, "paid", "android"),
    ("o7", "c2", "2026-01-07 05:00", 20.0, "paid", None),  # c2: four rows
    ("o8", None, "2026-01-06 04:00", 30.0, "paid", "ios"),  # no buyer
    ("o9", None, "2026-01-07 04:00", 30.0, "paid", "android"),
    ("o10", None, "2026-01-07 05:00", 130.0, "paid", "tablet"),  # tablet: no buyer
    ("o11", "c3", "2026-01-05 04:00", 20.0, "paid", "web"),
    ("o12", "c3", "2026-01-06 04:00", 20.0, "paid", None),
    ("o13", "c9", "2026-01-06 04:00", 40.0, "paid", "web"),  # not in customers
    ("o14", "c5", "2026-01-07 04:00", 60.0, "paid", "ios"),  # two channels
    ("o15", "c4", "2026-01-05 04:00", 200.0, "paid", "android"),
    ("o16", "c4", "2026-01-06 04:00", 10.0, "paid", "android"),
    ("o17", "c4", "2026-01-07 04:00", 10.0, "cancelled", "web"),  # not a paid order
    ("o20", "c1", "2025-12-30 04:00", 50.0, "paid", "ios"),
    ("o21", "c2", "2025-12-31 04:00", 50.0, "paid", "web"),
    ("o22", "c2", "2026-01-01 04:00", 150.0, "paid", "web"),
    ("o23", None, "2026-01-02 04:00", 10.0, "paid", "web"),
    ("o24", "c4", "2026-01-03 04:00", 10.0, "cancelled", "ios"),
    ("o25", "c3", "2026-01-02 04:00", 80.0, "paid", "ios"),
    ("o26", "c5", "2026-01-03 04:00", 80.0, "paid", None),
]


@pytest.fixture(scope="module")
def data() -> Dataset:
    return Dataset(
        "distinct",
        customers_frame(CUSTOMERS),
        orders_frame(ORDERS),
        sessions_frame([("s1", "c1", "2026-01-05 04:00", "ios")]),
        NOW.date(),
        FIRST[0],
        SECOND[1],
    )


@pytest.fixture(scope="module", params=["raw", "rollups"])
def service(request, data):
    """(the table the distinct count reads, its service)."""
    wh = build_warehouse(data)
    spec = load_spec(SPEC_PATH, wh.table_columns())
    if request.param == "rollups":
        wh.close()
        wh = build_rollup_warehouse(data, spec)
    source = "entity_days" if request.param == "rollups" else '"raw"."orders"'
    yield source, make_service(wh, spec, use_rollups=request.param == "rollups")
    wh.close()


def _paid_orders(data: Dataset) -> pd.DataFrame:
    """Paid orders joined to customers as SQL joins them (a key twice: each order twice)."""
    orders = data.orders.merge(
        data.customers[["customer_id", "channel", "region"]], on="customer_id", how="left"
    )
    orders["day"] = (orders["ordered_at"] + pd.Timedelta(hours=8)).dt.date
    orders["size"] = ["large" if a >= 100 else "small" for a in orders["amount"]]
    return orders[orders["status"] == "paid"]


def _buyers(rows: pd.DataFrame, dims) -> dict:
    """{segment: distinct buyers}; NULL is a segment of its own, a NULL buyer none."""
    if not dims:
        return {(): float(rows["customer_id"].nunique())}
    keyed = rows.assign(**{d: rows[d].astype(object).where(rows[d].notna(), NULL) for d in dims})
    return {
        (key if isinstance(key, tuple) else (key,)): float(group["customer_id"].nunique())
        for key, group in keyed.groupby(list(dims), dropna=False)
    }


@pytest.mark.parametrize(
    "paired_rows, bits",
    [(64, 62), (2, 62), (64, 3), (1, 4)],
    ids=["pairs", "heavy-from-3-rows", "flags-in-4-columns", "all-heavy"],
)
def test_distinct_buyers_per_segment_match_pandas(service, data, monkeypatch, paired_rows, bits):
    monkeypatch.setattr(distinct_segments, "PAIRED_ROWS", paired_rows)
    monkeypatch.setattr(distinct_segments, "BITS", bits)
    source, service = service
    paid = _paid_orders(data)
    got = segment_parts(service, ["buyers"], [FIRST, SECOND], SETS)
    assert source in got.sql[0], got.sql[0][:300]
    for dims in [(), *SETS]:
        for side, (lo, hi) in enumerate([FIRST, SECOND]):
            want = _buyers(paid[(paid["day"] >= lo) & (paid["day"] <= hi)], dims)
            frame = got.frame("buyers", dims, side)
            have = {
                tuple(NULL if pd.isna(row[d]) else row[d] for d in dims): row["value"]
                for row in frame.to_dict("records")
            }
            assert have == pytest.approx(want), (dims, side)
    # The cases are there: a segment of orders without a buyer, a buyer in two channels, one
    # with four rows in a range.
    second = paid[paid["day"] >= SECOND[0]]
    assert _buyers(second, ("platform",))[("tablet",)] == 0.0
    assert paid[paid["customer_id"] == "c5"]["channel"].nunique() == 2
    assert len(second[second["customer_id"] == "c2"]) == 4


def test_nine_dimensions_and_their_pairs_match_pandas():
    """46 sets: flag bits past 31 (BIGINT), NULL values and entities, random rows."""
    rng = np.random.default_rng(7)
    dims = [f"d{i}" for i in range(9)]
    n = 3000
    frame = pd.DataFrame(
        {
            "__side": rng.integers(0, 2, n),
            **{d: rng.choice(["a", "b", "c", None], n) for d in dims},
            "__x0": rng.choice([*range(400), None], n),
        }
    )
    sets = [(), *[(d,) for d in dims], *itertools.combinations(dims, 2)]
    con = duckdb.connect()
    con.register("rows_frame", frame)
    rows = exp.select(*map(exp.column, ["__side", *dims, "__x0"])).from_("rows_frame")
    got = con.execute(distinct_statement(rows, dims, sets).sql(dialect="duckdb")).fetchall()
    have = {}
    for side, set_id, *values, value, _rows in got:
        dim_set = tuple(d for i, d in enumerate(dims) if not set_id >> (len(dims) - 1 - i) & 1)
        key = tuple(
            NULL if values[dims.index(d)] is None else values[dims.index(d)] for d in dim_set
        )
        have[(side, dim_set, key)] = value
    want = {}
    for side, part in frame.groupby("__side"):
        part = part.rename(columns={"__x0": "customer_id"})
        for dim_set in sets:
            for key, value in _buyers(part, dim_set).items():
                want[(side, dim_set, key)] = value
    assert have == pytest.approx(want)
    con.close()
