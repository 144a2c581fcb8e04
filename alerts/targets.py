"""A metric's targets as metrics.yml sets them: the North Star's `north_star.targets`, and any
`targets` on a node of its driver tree. A target is the value per period of its grain from its
`from` day on, until the next one (as the Overview draws them: dashboard.figures.target_series).
"""

from __future__ import annotations

from datetime import date

from metric_layer.spec import Spec, Target, TreeNode


def metric_targets(spec: Spec, metric: str) -> list[Target]:
    """Every target set for `metric` (the North Star's and its tree node's), in `from` order."""
    ns = spec.north_star
    if ns is None:
        return []
    found = list(ns.targets) if ns.metric == metric else []
    node = _node(ns.tree, metric)
    if node is not None:
        found += [t for t in node.targets if t not in found]
    return sorted(found, key=lambda t: t.from_)


def target_for(spec: Spec, metric: str, grain: str, period: date) -> float | None:
    """The target in force for the period starting `period` at `grain`: the latest one whose
    `from` is on or before it. Targets of another grain are left out rather than rescaled (a
    weekly goal is not a monthly one divided by four); None when none applies."""
    default = spec.north_star.grain if spec.north_star else "week"
    mine = [t for t in metric_targets(spec, metric) if (t.grain or default) == grain]
    active = [t for t in mine if t.from_ <= period]
    return active[-1].value if active else None


def _node(tree: TreeNode | None, metric: str) -> TreeNode | None:
    if tree is None:
        return None
    if tree.metric == metric:
        return tree
    for child in tree.children:
        found = _node(child, metric)
        if found is not None:
            return found
    return None
