"""Growth-like metrics computed from their inputs' columns after the statement ran
(frame_shifted.py), on hand-made statement results: which rows get a value, which a row, and
DuckDB's arithmetic (exact until the division). The service's answers against pandas and the raw
path are in test_rollup_shifted.py."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pyarrow as pa
import pytest

from metric_layer.frame_shifted import Formula, FrameShift, Input, in_frame
from metric_layer.loader import parse_spec
from metric_layer.periods import Offset
from metric_layer.semantics import Semantics
from tests.conftest import SPEC_PATH

D = date(2026, 3, 2)  # a Monday
REVENUE = pa.decimal128(18, 2)


def shifted(formula: str, *inputs: Input, lo=D, days=3, grain="day", dims=()) -> FrameShift:
    hi = lo + timedelta(days=days) if grain == "day" else lo + timedelta(weeks=days)
    columns = tuple(dict.fromkeys(i.column for i in inputs))
    return FrameShift(grain, lo, hi, dims, (Formula("m", formula, inputs),), columns)


def result(rows: list[tuple], revenue_type=REVENUE, dims: tuple[str, ...] = ()) -> pa.Table:
    """(period, *dims, orders, revenue leaf) rows: `orders` stands for a neighbour metric."""
    names = ["period", *dims, "orders", "ns__leaf_1"]
    types = [pa.date32(), *[pa.string()] * len(dims), pa.int64(), revenue_type]
    columns = [pa.array([r[i] for r in rows], type=t) for i, t in enumerate(types)]
    return pa.Table.from_arrays(columns, names=names)


REV = Input("revenue", None, "ns__leaf_1", counted=False)
PREV = Input("revenue", "previous", "ns__leaf_1", counted=False)


def by_period(table: pa.Table) -> dict:
    return dict(zip(table.column("period").to_pylist(), table.column("m").to_pylist(), strict=True))


def test_no_value_where_none_of_its_inputs_had_a_row():
    """Day 1 has orders but no revenue, and neither has day 0: (0 - 0) / 100 would be 0, but
    its own statement has no row there, so no value. Day 2: revenue after none, 5 / 100."""
    table = result(
        [(D - timedelta(days=1), 1, None), (D, 2, None), (D + timedelta(days=1), 1, Decimal("5"))]
    )
    out = shifted("(revenue - previous(revenue)) / 100", REV, PREV).apply(table)
    # day 3 has no row, and day 2 had revenue: -5 / 100
    assert by_period(out) == {D: None, D + timedelta(days=1): 0.05, D + timedelta(days=2): -0.05}


def test_a_period_only_the_period_before_had_gets_a_row():
    """Revenue on day 1, nothing on day 2 (no row): day 2 is -100 %, its other columns empty
    (the service's fill gives counts 0); rows before the range are dropped, and so is the leaf."""
    table = result(
        [(D - timedelta(days=1), 3, Decimal("8")), (D + timedelta(days=1), 2, Decimal("4"))]
    )
    out = shifted("(revenue - previous(revenue)) / previous(revenue)", REV, PREV).apply(table)
    assert out.column_names == ["period", "orders", "m"]
    got = {r["period"]: (r["orders"], r["m"]) for r in out.to_pylist()}
    assert got == {
        D: (None, -1.0),
        D + timedelta(days=1): (2, None),
        D + timedelta(days=2): (None, -1.0),
    }


def test_decimals_are_exact_until_the_division():
    """(0.30 - 0.10) / 0.10 is 2 exactly, as DuckDB computes it in DECIMAL; in doubles the
    subtraction already rounds (1.9999999999999998). A double input is computed in doubles."""
    rows = [(D - timedelta(days=1), 1, Decimal("0.10")), (D, 1, Decimal("0.30"))]
    growth = shifted("(revenue - previous(revenue)) / previous(revenue)", REV, PREV, days=1)
    assert by_period(growth.apply(result(rows))) == {D: 2.0}
    doubles = [(p, o, float(v)) for p, o, v in rows]
    assert by_period(growth.apply(result(doubles, pa.float64()))) == {D: (0.3 - 0.1) / 0.1}


def test_division_by_zero_is_no_value_and_literals_keep_their_kind():
    """x / 0 is no value; `-(a - b) * 2 / b + 1.5` as DuckDB evaluates it."""
    orders = Input("orders", None, "ns__leaf_0", counted=True)
    week_ago = Input("orders", Offset(7, "day"), "ns__leaf_0", counted=True)
    table = pa.table(
        {
            "period": pa.array(
                [D - timedelta(days=7 - i) for i in range(3)]
                + [D, D + timedelta(days=1), D + timedelta(days=2)],
                pa.date32(),
            ),
            "ns__leaf_0": pa.array([4, 0, 3, 6, 5, 2], pa.int64()),
        }
    )
    f = "-(orders - offset(orders, 7 days)) * 2 / offset(orders, 7 days) + 1.5"
    out = shifted(f, orders, week_ago).apply(table)
    # day 2 against 0 orders a week back: no value; day 1 had 0 a week back and 5 now: also / 0
    assert by_period(out) == {
        D: -(6 - 4) * 2 / 4 + 1.5,
        D + timedelta(days=1): None,
        D + timedelta(days=2): -(2 - 3) * 2 / 3 + 1.5,
    }


def test_segments_keep_their_own_previous_period_a_null_segment_too():
    dims = ("platform",)
    table = result(
        [
            (D - timedelta(weeks=1), "ios", 1, Decimal("10")),
            (D - timedelta(weeks=1), None, 1, Decimal("4")),
            (D, "ios", 1, Decimal("15")),
        ],
        dims=dims,
    )
    growth = shifted(
        "(revenue - previous(revenue)) / previous(revenue)",
        REV,
        PREV,
        days=1,
        grain="week",
        dims=dims,
    )
    out = growth.apply(table)
    assert {(r["period"], r["platform"]): r["m"] for r in out.to_pylist()} == {
        (D, "ios"): 0.5,
        (D, None): -1.0,
    }


@pytest.mark.parametrize(
    ("formula", "computed_here"),
    [
        ("(revenue - previous(revenue)) / previous(revenue)", True),
        ("orders / previous(orders) - 1", True),
        ("revenue - previous(revenue)", False),  # no division: its DECIMAL scale is DuckDB's
        ("abs(revenue - previous(revenue)) / previous(revenue)", False),  # a function
        ("revenue / orders", False),  # nothing shifted: fused.py computes it in the statement
    ],
)
def test_which_formulas_are_computed_here(formula, computed_here):
    text = SPEC_PATH.read_text(encoding="utf-8").replace(
        "north_star:", f'  - {{name: probe, type: derived, formula: "{formula}"}}\nnorth_star:', 1
    )
    sem = Semantics(parse_spec(text))
    assert in_frame(sem, "probe", "week") is computed_here


def test_a_count_of_0_is_no_row_and_a_decimal_literal_is_exact():
    """A count has a row where above 0 (a group of only other metrics' rows sums it to 0);
    `0.1` is a DECIMAL as in DuckDB: (0.30 - 0.1) / 0.10 is 2, not 1.9999999999999998."""
    orders = Input("orders", None, "ns__leaf_0", counted=True)
    before = Input("orders", "previous", "ns__leaf_0", counted=True)
    table = pa.table(
        {
            "period": pa.array([D - timedelta(days=1), D], pa.date32()),
            "ns__leaf_0": pa.array([0, 0], pa.int64()),
            "ns__leaf_1": pa.array([Decimal("0.10"), Decimal("0.30")], REVENUE),
        }
    )
    change = shifted("(orders - previous(orders)) / 100", orders, before, days=1)
    assert by_period(change.apply(table)) == {D: None}
    literal = shifted("(revenue - 0.1) / previous(revenue)", REV, PREV, days=1)
    assert by_period(literal.apply(table)) == {D: 2.0}
