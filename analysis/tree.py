"""Driver contributions along `north_star.tree`: each child's share of its parent's change.

In: the tree (metric_layer.spec.TreeNode), each metric's value in the two ranges, optionally each
metric's per-period series (for `related` edges) and derived formulas (for Shapley).
Out: one DriverContribution per node, parents before children (depth-first), plus a `residual`
row under a parent whenever its declared relation does not hold exactly in the data (the parts and
the residual always add up to the parent's change).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.decompose import Split, additive, product, ratio, shapley
from analysis.formula import evaluate, formula_inputs
from metric_layer.spec import TreeNode

RESIDUAL = "residual"


@dataclass(frozen=True)
class DriverContribution:
    metric: str  # a metric name, or RESIDUAL
    parent: str | None
    depth: int
    before: float
    after: float
    contribution: float | None  # of the parent's change; None at the root and on `related` edges
    method: str  # root | additive | lmdi | shapley | related | undefined | residual
    correlation: float | None = None  # `related` edges: r of the period-over-period changes
    note: str = ""

    @property
    def change(self) -> float:
        return self.after - self.before


def tree_contributions(
    tree: TreeNode,
    values: Mapping[str, tuple[float, float]],
    series: Mapping[str, pd.Series] | None = None,
    formulas: Mapping[str, str] | None = None,
) -> list[DriverContribution]:
    """Every node's contribution to its parent's change, depth-first from the root."""
    a, b = values[tree.metric]
    out = [DriverContribution(tree.metric, None, 0, a, b, None, "root")]
    _children(tree, 0, values, series or {}, formulas or {}, out)
    return out


def _children(node, depth, values, series, formulas, out) -> None:
    if not node.children:
        return
    split = _split(node, values, formulas)
    p0, p1 = values[node.metric]
    for child in node.children:
        c0, c1 = values[child.metric]
        if split is None:
            r = correlation(series.get(node.metric), series.get(child.metric))
            out.append(
                DriverContribution(child.metric, node.metric, depth + 1, c0, c1, None, "related", r)
            )
        else:
            share = split.parts[child.metric]
            out.append(
                DriverContribution(
                    child.metric,
                    node.metric,
                    depth + 1,
                    c0,
                    c1,
                    share,
                    split.method,
                    note=split.note,
                )
            )
        _children(child, depth + 1, values, series, formulas, out)
    if split is not None and not math.isnan(split.total):
        residual = (p1 - p0) - sum(split.parts.values())
        if abs(residual) > 1e-9 * max(1.0, abs(p0), abs(p1)):
            out.append(
                DriverContribution(
                    RESIDUAL,
                    node.metric,
                    depth + 1,
                    math.nan,
                    math.nan,
                    residual,
                    RESIDUAL,
                    note=f"`{node.metric}` is not exactly the {node.relation} of its children here",
                )
            )


def _split(node: TreeNode, values, formulas) -> Split | None:
    """How the parent's change splits among its children (None: `related`, no exact share)."""
    names = [c.metric for c in node.children]
    before = {n: values[n][0] for n in names}
    after = {n: values[n][1] for n in names}
    relation = node.relation
    if relation is None and node.metric in formulas:
        relation = "derived"
    if relation == "sum":
        return additive(before, after)
    if relation == "product":
        return product(before, after)
    if relation == "ratio":
        num, den = names
        return ratio((before[num], before[den]), (after[num], after[den]), (num, den))
    if relation == "derived":
        formula = formulas[node.metric]
        if set(formula_inputs(formula)) != set(names):
            return None
        return shapley(lambda v: evaluate(formula, v), before, after)
    return None


def correlation(parent: pd.Series | None, child: pd.Series | None) -> float | None:
    """Pearson r of the two series' period-over-period changes (levels share trends and lie)."""
    if parent is None or child is None:
        return None
    both = pd.concat([parent.rename("p"), child.rename("c")], axis=1).astype(float).diff().dropna()
    if len(both) < 3 or both["p"].std() == 0 or both["c"].std() == 0:
        return None
    return float(np.corrcoef(both["p"], both["c"])[0, 1])
