"""Rules for `north_star`: its metric exists, and its driver tree is rooted there, acyclic, and
each node's relation fits its children."""

from __future__ import annotations

from metric_layer.expressions import ExpressionError, formula_refs, parse_formula
from metric_layer.rule_context import RuleContext
from metric_layer.spec import DerivedMetric, TreeNode


def check_north_star(ctx: RuleContext) -> None:
    ns = ctx.spec.north_star
    if ns is None:
        return
    if ns.metric not in ctx.sem.metrics:
        ctx.unknown(("north_star", "metric"), "metric", ns.metric, ctx.sem.metrics)
    if ns.tree is None:
        return
    if ns.tree.metric != ns.metric:
        ctx.add(
            ("north_star", "tree", "metric"),
            f"the tree's root must be the NSM `{ns.metric}`, not `{ns.tree.metric}`",
            f"set `tree.metric: {ns.metric}` or change `north_star.metric`",
        )

    def walk(node: TreeNode, path: tuple, ancestors: tuple[str, ...]) -> None:
        if node.metric not in ctx.sem.metrics:
            ctx.unknown((*path, "metric"), "metric", node.metric, ctx.sem.metrics)
        if node.metric in ancestors:
            ctx.add(
                (*path, "metric"),
                f"driver tree cycle: `{node.metric}` is its own ancestor ({' → '.join([*ancestors, node.metric])})",
                "a metric can appear only once on any path from the root",
            )
            return
        if node.children and node.relation is None:
            ctx.add(
                path,
                f"node `{node.metric}` has children but no relation",
                "relation: product, sum, ratio, derived or related",
            )
        if node.relation == "ratio" and len(node.children) != 2:
            ctx.add(
                (*path, "relation"),
                "a ratio relation needs exactly two children (numerator, denominator)",
                f"`{node.metric}` has {len(node.children)}; use product or sum for more",
            )
        if node.relation == "derived":
            _derived_relation(ctx, node, path)
        for ci, child in enumerate(node.children):
            walk(child, (*path, "children", ci), (*ancestors, node.metric))

    walk(ns.tree, ("north_star", "tree"), ())


def _derived_relation(ctx: RuleContext, node: TreeNode, path: tuple) -> None:
    """`relation: derived` splits by the node's own formula: it must read exactly its children."""
    metric = ctx.sem.metrics.get(node.metric)
    children = sorted(c.metric for c in node.children)
    if not isinstance(metric, DerivedMetric):
        ctx.add(
            (*path, "relation"),
            f"relation `derived` needs `{node.metric}` to be a derived metric (a formula)",
            "use product, sum, ratio or related for other metrics",
        )
        return
    try:
        refs = formula_refs(parse_formula(metric.formula))
    except ExpressionError:
        return  # the formula's own rule reports it
    inputs = sorted({r.metric for r in refs if r.shift is None})
    if inputs != children or any(r.shift for r in refs):
        ctx.add(
            (*path, "relation"),
            f"`{node.metric}` = {metric.formula} reads {', '.join(inputs) or 'no metric'} "
            f"(without previous/last_year), but its children are {', '.join(children) or 'none'}",
            "list exactly the formula's metrics as children, or use relation: related",
        )
