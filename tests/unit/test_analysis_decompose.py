"""Splitting a change among factors: worked examples by hand and the add-up property."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.decompose import additive, log_mean, product, ratio, shapley
from analysis.formula import FormulaError, evaluate, formula_inputs


def test_lmdi_two_factors_by_hand():
    # x 10 → 12, y 5 → 4: P 50 → 48. L(48, 50) = (48 − 50) / ln(48/50) = 48.993197
    # C_x = L·ln(12/10) = 48.993197 × 0.1823216 = 8.932516; C_y = L·ln(4/5) = −10.932516
    split = product({"x": 10, "y": 5}, {"x": 12, "y": 4})
    assert split.method == "lmdi"
    assert split.parts["x"] == pytest.approx(8.932516, abs=1e-6)
    assert split.parts["y"] == pytest.approx(-10.932516, abs=1e-6)
    assert sum(split.parts.values()) == pytest.approx(-2, abs=1e-12)


def test_lmdi_ratio_by_hand():
    # n 30 → 36, d 100 → 90: R 0.3 → 0.4. L(0.4, 0.3) = 0.1 / ln(4/3) = 0.3476059
    # C_n = L·ln(36/30) = 0.0633761; C_d = L·ln(100/90) = 0.0366239 (a smaller denominator helps)
    split = ratio((30, 100), (36, 90), ("n", "d"))
    assert split.method == "lmdi"
    assert split.parts["n"] == pytest.approx(0.0633761, abs=1e-7)
    assert split.parts["d"] == pytest.approx(0.0366239, abs=1e-7)
    assert split.total == pytest.approx(0.1)


def test_shapley_three_inputs_by_hand():
    # f = (a − b) / c; a 10 → 14, b 4 → 2, c 2 → 3: f 3 → 4. With f(changed set):
    # ∅ 3, a 5, b 4, c 2, ab 6, ac 10/3, bc 8/3, abc 4 and weights 1/3, 1/6, 1/6, 1/3:
    # φa = (5−3)/3 + (6−4)/6 + (10/3−2)/6 + (4−8/3)/3 = 5/3
    # φb = (4−3)/3 + (6−5)/6 + (8/3−2)/6 + (4−10/3)/3 = 5/6
    # φc = (2−3)/3 + (10/3−5)/6 + (8/3−4)/6 + (4−6)/3 = −3/2
    formula = "(a - b) / c"
    split = shapley(
        lambda v: evaluate(formula, v), {"a": 10, "b": 4, "c": 2}, {"a": 14, "b": 2, "c": 3}
    )
    assert split.parts == pytest.approx({"a": 5 / 3, "b": 5 / 6, "c": -3 / 2})
    assert split.total == pytest.approx(1)


def test_zero_factor_falls_back_to_shapley_by_hand():
    # x 0 → 5, y 3 → 4: ln 0 does not exist. Shapley: φx = ½(5·3 + 5·4) = 17.5, φy = ½(1·0 + 1·5) = 2.5
    split = product({"x": 0, "y": 3}, {"x": 5, "y": 4})
    assert split.method == "shapley" and "zero or negative" in split.note
    assert split.parts == pytest.approx({"x": 17.5, "y": 2.5})


def test_sign_change_falls_back_to_shapley_by_hand():
    # x −2 → 3, y 4 → 5: P −8 → 15. φx = ½(5·4 + 5·5) = 22.5, φy = ½(1·(−2) + 1·3) = 0.5
    split = product({"x": -2, "y": 4}, {"x": 3, "y": 5})
    assert split.method == "shapley"
    assert split.parts == pytest.approx({"x": 22.5, "y": 0.5})


def test_ratio_with_zero_denominator_is_undefined():
    split = ratio((3, 0), (4, 2), ("n", "d"))
    assert split.method == "undefined" and math.isnan(split.parts["n"])


def test_additive_and_log_mean_limits():
    assert additive({"a": 1, "b": 2}, {"a": 4, "b": 0}).parts == {"a": 3, "b": -2}
    assert log_mean(5, 5) == 5
    assert log_mean(5 + 1e-14, 5) == pytest.approx(5)


def test_formula_evaluation_matches_sql_meaning():
    assert evaluate("100 * (p - d) / n", {"p": 30, "d": 10, "n": 40}) == 50
    assert math.isnan(evaluate("a / b", {"a": 1, "b": 0}))  # x/0 is NULL in SQL
    assert evaluate("coalesce(a / b, 7)", {"a": 1, "b": 0}) == 7
    assert evaluate("greatest(a, b) - abs(-c)", {"a": 1, "b": 4, "c": 2}) == 2
    assert formula_inputs("revenue - cogs - revenue") == ["revenue", "cogs"]
    with pytest.raises(FormulaError, match="compares periods"):
        formula_inputs("revenue / previous(revenue)")


# Metric values: positive, exactly zero, or negative (a profit, a change); not 1e-300.
values = st.one_of(
    st.floats(min_value=-1e4, max_value=1e4).filter(lambda x: x == 0 or abs(x) >= 1e-6),
    st.just(0.0),
    st.floats(min_value=1e-3, max_value=1e4),
)


def _close(got: float, want: float, *scale: float) -> bool:
    return abs(got - want) <= 1e-9 * max(1.0, *(abs(s) for s in scale))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(values, values), min_size=1, max_size=5))
def test_product_parts_add_up_for_any_signs_and_zeros(pairs):
    before = {f"f{i}": a for i, (a, _) in enumerate(pairs)}
    after = {f"f{i}": b for i, (_, b) in enumerate(pairs)}
    split = product(before, after)
    p0, p1 = math.prod(before.values()), math.prod(after.values())
    assert _close(sum(split.parts.values()), p1 - p0, p0, p1, *split.parts.values())
    positive = all(v > 0 for v in [*before.values(), *after.values()])
    assert split.method == ("lmdi" if positive else "shapley")


@settings(max_examples=200, deadline=None)
@given(values, values, values, values)
def test_ratio_parts_add_up(n0, d0, n1, d1):
    split = ratio((n0, d0), (n1, d1), ("n", "d"))
    if d0 == 0 or d1 == 0:
        assert split.method == "undefined"
        return
    want = n1 / d1 - n0 / d0
    assert _close(sum(split.parts.values()), want, n0 / d0, n1 / d1, *split.parts.values())


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(values, values), min_size=3, max_size=3))
def test_shapley_parts_add_up_for_a_formula(pairs):
    formula = "a * b - c + a * c"
    before = dict(zip("abc", (p[0] for p in pairs), strict=True))
    after = dict(zip("abc", (p[1] for p in pairs), strict=True))
    split = shapley(lambda v: evaluate(formula, v), before, after)
    want = evaluate(formula, after) - evaluate(formula, before)
    scale = [
        abs(x) * abs(y)
        for x in [*before.values(), *after.values()]
        for y in [*before.values(), *after.values()]
    ]
    assert _close(sum(split.parts.values()), want, *scale)
