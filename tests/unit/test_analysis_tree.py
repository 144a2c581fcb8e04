"""Driver contributions along a north_star tree: each relation, the residual, related edges."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from analysis.ranges import DayRange, baseline_range
from analysis.tree import RESIDUAL, correlation, tree_contributions
from metric_layer.spec import TreeNode

# orders = buyers × per_buyer; buyers = new + returning; per_buyer related to conversion
TREE = TreeNode.model_validate(
    {
        "metric": "orders",
        "relation": "product",
        "children": [
            {
                "metric": "buyers",
                "relation": "sum",
                "children": [{"metric": "new"}, {"metric": "returning"}],
            },
            {"metric": "per_buyer", "relation": "related", "children": [{"metric": "conversion"}]},
        ],
    }
)
VALUES = {
    "orders": (50.0, 48.0),
    "buyers": (10.0, 12.0),
    "per_buyer": (5.0, 4.0),
    "new": (4.0, 7.0),
    "returning": (6.0, 5.0),
    "conversion": (0.1, 0.08),
}


def test_tree_contributions_by_hand():
    rows = {(r.parent, r.metric): r for r in tree_contributions(TREE, VALUES)}
    assert rows[(None, "orders")].method == "root"
    # LMDI: L(48, 50) = 48.993197; buyers 48.993197·ln 1.2 = 8.932516; per_buyer ·ln 0.8 = −10.932516
    assert rows[("orders", "buyers")].contribution == pytest.approx(8.932516, abs=1e-6)
    assert rows[("orders", "per_buyer")].contribution == pytest.approx(-10.932516, abs=1e-6)
    assert (
        rows[("buyers", "new")].contribution == 3
        and rows[("buyers", "returning")].contribution == -1
    )
    assert rows[("per_buyer", "conversion")].contribution is None
    assert rows[("per_buyer", "conversion")].method == "related"
    assert not any(r.metric == RESIDUAL for r in rows.values())  # both identities hold exactly


def test_residual_when_the_declared_relation_does_not_hold():
    values = {**VALUES, "new": (4.0, 8.0)}  # new + returning = 13 ≠ 12 buyers after
    rows = [r for r in tree_contributions(TREE, values) if r.parent == "buyers"]
    assert [r.metric for r in rows] == ["new", "returning", RESIDUAL]
    assert sum(r.contribution for r in rows) == pytest.approx(2)  # buyers' own change
    assert rows[-1].contribution == pytest.approx(-1)


def test_ratio_and_derived_relations_add_up():
    tree = TreeNode.model_validate(
        {
            "metric": "aov",
            "relation": "ratio",
            "children": [{"metric": "revenue"}, {"metric": "orders"}],
        }
    )
    values = {"aov": (3.0, 4.0), "revenue": (300.0, 360.0), "orders": (100.0, 90.0)}
    rows = tree_contributions(tree, values)
    assert sum(r.contribution for r in rows[1:]) == pytest.approx(1.0)
    derived = TreeNode.model_validate(
        {"metric": "x", "children": [{"metric": "a"}, {"metric": "b"}, {"metric": "c"}]}
    )
    values = {"x": (3.0, 4.0), "a": (10.0, 14.0), "b": (4.0, 2.0), "c": (2.0, 3.0)}
    rows = tree_contributions(derived, values, formulas={"x": "(a - b) / c"})
    assert [round(r.contribution, 9) for r in rows[1:]] == [round(5 / 3, 9), round(5 / 6, 9), -1.5]
    assert {r.method for r in rows[1:]} == {"shapley"}


def test_correlation_is_on_changes():
    parent = pd.Series([1.0, 2.0, 4.0, 3.0, 5.0])
    child = pd.Series([10.0, 12.0, 16.0, 14.0, 18.0])  # changes 2,4,−2,4 vs 1,2,−1,2: r = 1
    assert correlation(parent, child) == pytest.approx(1.0)
    assert correlation(parent, None) is None
    assert correlation(pd.Series([1.0, 2.0]), pd.Series([1.0, 3.0])) is None


def test_baseline_ranges():
    week = DayRange(pd.Timestamp("2026-03-09").date(), pd.Timestamp("2026-03-15").date())
    assert str(baseline_range(week, "previous")) == "2026-03-02..2026-03-08"
    assert str(baseline_range(week, "last_year")) == "2025-03-10..2025-03-16"  # Monday stays Monday
    custom = DayRange(pd.Timestamp("2026-03-10").date(), pd.Timestamp("2026-03-18").date())
    assert str(baseline_range(custom, "previous")) == "2026-03-01..2026-03-09"
    assert str(baseline_range(custom, "last_year")) == "2025-03-10..2025-03-18"
    with pytest.raises(ValueError, match="ends"):
        DayRange(week.end, week.start)
    assert math.isclose(week.days, 7)


def _spec_with_tree(tree_yaml: str):
    from metric_layer.loader import parse_spec
    from tests.conftest import SPEC_PATH

    text = SPEC_PATH.read_text(encoding="utf-8")
    head = text[: text.index("  tree:")]
    return parse_spec(head + tree_yaml, "tree_spec.yml")


def test_derived_relation_in_metrics_yml_splits_by_shapley():
    spec = _spec_with_tree(
        """  tree:
    metric: orders
    relation: related
    children:
      - metric: revenue_per_buyer
        relation: derived
        children: [{metric: revenue}, {metric: buyers}]
"""
    )
    node = spec.north_star.tree.children[0]
    values = {
        "revenue_per_buyer": (100.0, 90.0),
        "revenue": (1000.0, 1080.0),
        "buyers": (10.0, 12.0),
    }
    rows = tree_contributions(node, values, formulas={"revenue_per_buyer": "revenue / buyers"})
    # Shapley for r = R / B: φR = ½[(1080−1000)/10 + (1080−1000)/12] = ½(8 + 6.667) = 7.3333
    # φB = ½[(1000/12 − 1000/10) + (1080/12 − 1080/10)] = ½(−16.667 − 18) = −17.3333
    got = {r.metric: r.contribution for r in rows[1:]}
    assert got == pytest.approx({"revenue": 7.333333, "buyers": -17.333333})
    assert rows[1].method == "shapley"


def test_derived_relation_must_match_the_formula():
    from metric_layer.errors import SpecError

    with pytest.raises(SpecError, match=r"reads buyers, revenue .* but its children are orders"):
        _spec_with_tree(
            """  tree:
    metric: orders
    relation: related
    children:
      - metric: revenue_per_buyer
        relation: derived
        children: [{metric: orders}]
"""
        )
    with pytest.raises(SpecError, match="needs `orders` to be a derived metric"):
        _spec_with_tree(
            """  tree:
    metric: orders
    relation: derived
    children: [{metric: buyers}]
"""
        )
