"""The grid of periods × known segments (metric_layer/empty_periods.py), checked cell by cell
against the grid written out by hand: a frame that already is the grid is returned as it is
(no merge), any other gets its missing cells — 0 for zero-when-empty columns, no value else."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from metric_layer.empty_periods import fill_empty_periods, grid_rows

P1, P2, P3 = date(2026, 1, 5), date(2026, 1, 12), date(2026, 1, 19)


def frame(rows: list[tuple], dims: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["period", *dims, "orders", "aov"])


def cells(out: pd.DataFrame, dims: list[str]) -> dict[tuple, tuple]:
    """(period, dims…) → (orders, aov), NaN and None read as None (a dict: order-free)."""

    def plain(v):
        return None if v is None or (isinstance(v, float) and np.isnan(v)) else v

    keys = ["period", *dims]
    assert not out.duplicated(keys).any(), "a cell twice"
    return {
        tuple(plain(r[k]) for k in keys): (plain(r["orders"]), plain(r["aov"]))
        for _, r in out.iterrows()
    }


def test_complete_grid_with_a_missing_channel_is_kept_as_it_is():
    # NULL is a segment of its own: 2 periods × 2 segments, every cell present
    rows = [(P1, "ads", 3, 2.5), (P1, None, 1, 4.0), (P2, "ads", 2, 1.0), (P2, None, 5, 3.0)]
    given = frame(rows, ["channel"])
    out = fill_empty_periods(given, [P1, P2], ["channel"], {"orders": 0})
    assert out is given  # the usual case builds nothing
    assert grid_rows(given, [P1, P2], ["channel"]) == 4


def test_missing_cell_gets_zero_orders_and_no_aov():
    rows = [(P1, "ads", 3, 2.5), (P1, None, 1, 4.0), (P2, "ads", 2, 1.0)]
    out = fill_empty_periods(frame(rows, ["channel"]), [P1, P2], ["channel"], {"orders": 0})
    assert cells(out, ["channel"]) == {
        (P1, "ads"): (3, 2.5),
        (P1, None): (1, 4.0),
        (P2, "ads"): (2, 1.0),
        (P2, None): (0, None),
    }


def test_segments_are_combinations_of_dimension_values():
    # two values of each dimension, four combinations: 2 periods × 4 segments = 8 cells, 4 given
    rows = [
        (P1, "ads", "eu", 1, 1.0),
        (P1, "seo", "us", 2, 2.0),
        (P2, "ads", "us", 3, 3.0),
        (P2, "seo", "eu", 4, 4.0),
    ]
    dims = ["channel", "region"]
    given = pd.DataFrame(rows, columns=["period", *dims, "orders", "aov"])
    assert grid_rows(given, [P1, P2], dims) == 8
    out = fill_empty_periods(given, [P1, P2], dims, {"orders": 0})
    expected = {
        (p, c, r): (0, None) for p in (P1, P2) for c in ("ads", "seo") for r in ("eu", "us")
    }
    expected.update({(p, c, r): (o, a) for p, c, r, o, a in rows})
    assert cells(out, dims) == expected


def test_row_outside_the_periods_is_kept_and_the_grid_still_filled():
    # as many rows as cells, but one lies outside the periods asked: P2 is still missing
    rows = [(P1, "ads", 3, 2.5), (P3, "ads", 7, 1.5)]
    out = fill_empty_periods(frame(rows, ["channel"]), [P1, P2], ["channel"], {"orders": 0})
    assert cells(out, ["channel"]) == {
        (P1, "ads"): (3, 2.5),
        (P2, "ads"): (0, None),
        (P3, "ads"): (7, 1.5),
    }


def test_a_cell_given_twice_is_never_taken_for_the_grid():
    # 4 rows for 2 × 2 cells, but (P1, ads) twice and (P2, seo) absent: not the grid
    rows = [(P1, "ads", 3, 2.5), (P1, "ads", 3, 2.5), (P1, "seo", 1, 1.0), (P2, "ads", 2, 1.0)]
    out = fill_empty_periods(frame(rows, ["channel"]), [P1, P2], ["channel"], {"orders": 0})
    got = out[(out["period"] == P2) & (out["channel"] == "seo")]
    assert got["orders"].tolist() == [0]


def test_without_breakdown_missing_periods_are_zero():
    given = pd.DataFrame({"period": [P2], "orders": [4], "aov": [2.0]})
    out = fill_empty_periods(given, [P1, P2, P3], [], {"orders": 0})
    assert cells(out, []) == {(P1,): (0, None), (P2,): (4, 2.0), (P3,): (0, None)}


def test_complete_grid_still_zeroes_a_count_another_statement_left_empty():
    # every cell has its row (from the aov statement), but orders' statement had none for P2
    rows = [(P1, "ads", 3, 2.5), (P2, "ads", None, 1.0)]
    out = fill_empty_periods(frame(rows, ["channel"]), [P1, P2], ["channel"], {"orders": 0})
    assert cells(out, ["channel"]) == {(P1, "ads"): (3, 2.5), (P2, "ads"): (0, 1.0)}
