"""The rows every "why did it move?" piece shows (dashboard.why_rows), from explanations built here
out of hand-picked numbers; each expected text is worked out by hand in the test."""

from __future__ import annotations

import math
from datetime import date
from types import SimpleNamespace

import pandas as pd
import pytest

from analysis.explain import Explanation
from analysis.ranges import DayRange
from analysis.segments import root_cause_from_rows
from analysis.tree import tree_contributions
from dashboard.explanations import compare_words, drivers_view_for, period_ranges
from dashboard.why_figures import waterfall_figure, y_range
from dashboard.why_rows import edge_rows, in_words, mover_sentence, why_display
from metric_layer.range_compare import RangeComparison
from metric_layer.spec import TreeNode

NOW = DayRange(date(2026, 3, 9), date(2026, 3, 15))
THEN = DayRange(date(2026, 3, 2), date(2026, 3, 8))


def metric(name: str, title: str, fmt: str = "number", agg: str | None = None):  # type: ignore[no-untyped-def]
    return SimpleNamespace(
        name=name, title=title, format=fmt, decimals=None, unit=None, agg=agg, direction="higher"
    )


METRICS = {
    "paid_orders": metric("paid_orders", "Paid orders", agg="count"),
    "buyers": metric("buyers", "Active buyers", agg="count_distinct"),
    "per_buyer": metric("per_buyer", "Orders per buyer"),
    "new": metric("new", "New buyers", agg="count_distinct"),
    "returning": metric("returning", "Returning buyers", agg="count_distinct"),
    "conversion": metric("conversion", "Conversion", fmt="percent"),
}
TREE = TreeNode(
    metric="paid_orders",
    relation="product",
    children=[
        TreeNode(
            metric="buyers",
            relation="sum",
            children=[TreeNode(metric="new"), TreeNode(metric="returning")],
        ),
        TreeNode(metric="per_buyer", relation="related", children=[TreeNode(metric="conversion")]),
    ],
)
SPEC = SimpleNamespace(
    metric=METRICS.__getitem__, currency="CNY", north_star=SimpleNamespace(tree=TREE)
)


def explanation(metric_name: str, values: dict, segments=None, series=None) -> Explanation:  # type: ignore[no-untyped-def]
    before, after = values[metric_name]
    frame = pd.DataFrame({"before": [before], "after": [after], "change": [after - before]})
    comparison = RangeComparison(
        metric_name, (NOW.start, NOW.end), (THEN.start, THEN.end), (), frame, False
    )
    node = TREE if metric_name == "paid_orders" else None
    drivers = tree_contributions(node, values, series) if node else []
    return Explanation(metric_name, NOW, THEN, comparison, drivers, segments)


# 1,000 buyers × 2.0 orders each → 900 × 2.1: paid orders 2,000 → 1,890 (the identity holds)
VALUES = {
    "paid_orders": (2000.0, 1890.0),
    "buyers": (1000.0, 900.0),
    "per_buyer": (2.0, 2.1),
    "new": (300.0, 180.0),
    "returning": (700.0, 720.0),
    "conversion": (0.031, 0.012),
}


def test_contributions_in_the_parents_unit_add_up_and_name_the_biggest_mover() -> None:
    d = why_display(explanation("paid_orders", VALUES), SPEC)
    # LMDI by hand: L(1890, 2000) = −110 / ln(0.945) = 1944.48; × ln(0.9), × ln(1.05)
    weight = -110 / math.log(1890 / 2000)
    buyers, per_buyer = weight * math.log(0.9), weight * math.log(1.05)
    assert buyers == pytest.approx(-204.87, abs=0.01) and per_buyer == pytest.approx(
        94.88, abs=0.01
    )
    assert [(r.label, r.text, r.before, r.after) for r in d.drivers] == [
        ("Active buyers", "-205", "1,000", "900"),
        ("Orders per buyer", "+95", "2", "2.10"),
    ]
    assert d.drivers[0].share == pytest.approx(buyers / -110)
    assert d.residual is None  # the product holds: nothing left over
    assert d.summary == "2,000 → 1,890 · -110 (-5.5%)"
    assert d.biggest_mover is d.drivers[0]
    assert mover_sentence(d, compare_words("week", "previous")) == (
        "Biggest mover: active buyers, -205 of -110 paid orders vs the previous week."
    )


def test_every_edge_of_the_tree_speaks_its_parents_unit() -> None:
    series = {  # `related`: the correlation of period-over-period changes, no share
        "per_buyer": pd.Series([1.0, 2.0, 4.0, 3.0, 5.0]),
        "conversion": pd.Series([0.1, 0.2, 0.4, 0.3, 0.5]),
    }
    rows = edge_rows(explanation("paid_orders", VALUES, series=series), SPEC)
    by_edge = {(r.parent, r.label): r for r in rows}
    assert by_edge["buyers", "New buyers"].text == "-120"  # additive: its own difference
    assert by_edge["buyers", "Returning buyers"].text == "+20"
    related = by_edge["per_buyer", "Conversion"]
    assert related.kind == "related" and related.contribution is None
    assert related.text == "r = 1.00"  # conversion's changes are per_buyer's / 10
    assert related.before == "3.1%" and related.after == "1.2%"


def test_a_relation_that_does_not_hold_leaves_a_named_rest() -> None:
    broken = {**VALUES, "paid_orders": (2000.0, 1800.0)}  # 900 × 2.1 would be 1,890
    d = why_display(explanation("paid_orders", broken), SPEC)
    rest = d.residual
    assert rest is not None and rest.label == "not explained"
    weight = -110 / math.log(1890 / 2000)  # the children's product still moved 2,000 → 1,890
    assert rest.contribution == pytest.approx(-200 - weight * math.log(0.9 * 1.05))
    assert rest.text == "-90"
    assert mover_sentence(d, "vs the previous week").endswith(
        "The product of its drivers leaves -90 unexplained."
    )
    assert sum(r.contribution for r in d.exact_drivers) == pytest.approx(-200)


def test_without_drivers_the_top_segment_is_the_mover() -> None:
    rows = pd.DataFrame(
        {
            "platform": ["ios", "android", "web"],
            "value_then": [100.0, 100.0, 100.0],
            "value_now": [100.0, 40.0, 98.0],
        }
    )
    found = root_cause_from_rows(
        rows[["platform"]].assign(value=rows["value_then"]),
        rows[["platform"]].assign(value=rows["value_now"]),
        ["platform"],
        "additive",
    )
    values = {"new": (300.0, 238.0)}
    d = why_display(explanation("new", values, segments=found), SPEC)
    assert d.drivers == [] and d.segments[0].label == "platform=android"
    assert d.segments[0].text == "-60" and d.segments[0].share == pytest.approx(60 / 62)
    assert mover_sentence(d, "vs the previous week") == (
        "Biggest mover: platform=android, -60 of -62 new buyers vs the previous week."
    )


def test_sentences_for_no_change_no_data_and_nothing_standing_out() -> None:
    flat = why_display(explanation("new", {"new": (300.0, 300.0)}), SPEC)
    assert mover_sentence(flat, "vs the previous week") == "New buyers held vs the previous week."
    missing = why_display(explanation("new", {"new": (math.nan, 300.0)}), SPEC)
    assert "has no value in one of the periods" in mover_sentence(missing, "vs the previous week")
    quiet = why_display(explanation("new", {"new": (300.0, 290.0)}), SPEC)
    assert mover_sentence(quiet, "vs the previous week").startswith("Nothing stands out")
    assert in_words("AOV") == "AOV" and in_words("Paid orders") == "paid orders"


def test_the_period_on_screen_and_its_drivers_link() -> None:
    week, before = period_ranges(date(2026, 3, 9), "week")
    assert (week, before) == (NOW, THEN)
    assert drivers_view_for("orders", week, before).href() == (
        "/drivers?metric=orders&from=2026-03-09&to=2026-03-15&compare=previous"
    )
    month, february = period_ranges(date(2026, 3, 1), "month")
    assert february == DayRange(date(2026, 2, 1), date(2026, 2, 28))
    # the Drivers page's `previous` counts 31 days back: the month before is a custom comparison
    assert drivers_view_for("orders", month, february).compare == "custom"
    same_week, last_year = period_ranges(date(2026, 3, 9), "week", "last_year")
    assert last_year == DayRange(date(2025, 3, 10), date(2025, 3, 16))  # 52 weeks: a Monday
    assert drivers_view_for("orders", same_week, last_year).compare == "last_year"
    assert period_ranges(date(2026, 3, 9), "week", "none")[1] == THEN
    assert compare_words("month", "last_year") == "vs the same month last year"


def test_the_waterfall_shows_small_changes_on_a_large_level() -> None:
    d = why_display(explanation("paid_orders", VALUES), SPEC)
    bottom, top = y_range(d)
    # the running totals span 1,795..2,000: the axis starts under them, not at zero
    assert 0 < bottom < 1795.11 and top > 2000
    figure = waterfall_figure(d, "CNY")
    trace = figure.data[0]
    assert list(trace.text) == ["2,000", "-205", "+95", "1,890"]
    assert sum(trace.y[1:-1]) == pytest.approx(-110)
    assert figure.layout.template.layout.font is not None  # the project's template, not plotly's


def test_the_default_review_deck_shows_the_why_slide_right_after_the_north_star() -> None:
    from dashboard.slides import WHY, slide_list

    spec = SimpleNamespace(
        north_star=SimpleNamespace(metric="orders", tree=TreeNode(metric="orders", children=[
            TreeNode(metric="buyers")])),
        metric_names=["orders", "buyers", "revenue"],
    )  # fmt: skip
    assert slide_list(spec, "") == ["orders", WHY, "buyers"]  # the default deck
    assert slide_list(spec, "revenue,nsm") == ["revenue", "orders"]  # a list is shown as written
    assert slide_list(spec, "nsm,revenue,why") == ["orders", "revenue", WHY]
    assert slide_list(spec, "why") == [WHY]
