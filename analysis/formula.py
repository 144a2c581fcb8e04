"""A derived metric's formula evaluated on plain numbers (what Shapley needs: f at mixed inputs).

Same meaning as the SQL the compiler emits: x / 0 is NaN (SQL NULL), coalesce skips NaN.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from sqlglot import exp

from metric_layer.expressions import formula_refs, parse_formula


class FormulaError(ValueError):
    pass


def formula_inputs(formula: str) -> list[str]:
    """The metrics a formula reads, in order of first use; refuses previous()/last_year()."""
    tree = parse_formula(formula)
    names: list[str] = []
    for ref in formula_refs(tree):
        if ref.shift is not None:
            raise FormulaError(
                f"`{formula}` compares periods itself ({ref.shift}({ref.metric})); "
                "it cannot be split into drivers over two ranges"
            )
        if ref.metric not in names:
            names.append(ref.metric)
    return names


def evaluate(formula: str, values: Mapping[str, float]) -> float:
    """The formula's value with each metric name replaced by values[name]."""
    return _eval(parse_formula(formula), values)


def _eval(node: exp.Expression, values: Mapping[str, float]) -> float:
    if isinstance(node, exp.Paren):
        return _eval(node.this, values)
    if isinstance(node, exp.Column):
        return float(values[node.name])
    if isinstance(node, exp.Literal):
        return float(node.this)
    if isinstance(node, exp.Neg):
        return -_eval(node.this, values)
    if isinstance(node, exp.Binary):
        a, b = _eval(node.left, values), _eval(node.right, values)
        if isinstance(node, exp.Add):
            return a + b
        if isinstance(node, exp.Sub):
            return a - b
        if isinstance(node, exp.Mul):
            return a * b
        if isinstance(node, exp.Div):
            return math.nan if b == 0 else a / b
    if isinstance(node, exp.Abs):
        return abs(_eval(node.this, values))
    if isinstance(node, exp.Round):
        digits = node.args.get("decimals")
        return round(_eval(node.this, values), int(_eval(digits, values)) if digits else 0)
    if isinstance(node, exp.Coalesce | exp.Least | exp.Greatest):
        args = [_eval(a, values) for a in [node.this, *node.expressions]]
        known = [a for a in args if not math.isnan(a)]
        if not known:
            return math.nan
        if isinstance(node, exp.Coalesce):
            return known[0]
        return min(known) if isinstance(node, exp.Least) else max(known)
    raise FormulaError(f"cannot evaluate `{node.sql()}` in a formula")
