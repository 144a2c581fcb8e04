"""What a metric is made of, in words: formula, inputs, models, tables, and where it is shown."""

from __future__ import annotations

from typing import Any

from metric_layer.semantics import Semantics
from metric_layer.spec import Spec


def formula_text(metric: Any) -> str:
    """A one-line, readable formula for any metric type."""
    kind = metric.type
    if kind == "simple":
        what = metric.expr or "*"
        text = f"{metric.agg}({what}) over {metric.model}"
        return f"{text} where {metric.filter}" if metric.filter else text
    if kind == "ratio":

        def side(part: Any) -> str:
            return f"{part.metric} [{part.filter}]" if part.filter else part.metric

        return f"{side(metric.numerator)} / {side(metric.denominator)}"
    if kind == "derived":
        return metric.formula
    if kind == "active":
        window = "day" if metric.window == 1 else f"{metric.window} days"
        text = f"distinct {metric.entity} of {metric.model} active in the trailing {window}"
        return f"{text} where {metric.filter}" if metric.filter else text
    if kind == "cumulative":
        source = metric.input_metric.metric
        if metric.input_metric.filter:
            source = f"{source} [{metric.input_metric.filter}]"
        if metric.window:
            text = f"{source} over the trailing {metric.window} days"
        elif metric.grain_to_date:
            text = f"{source} {metric.grain_to_date}-to-date"
        else:
            text = f"running total of {source}"
        return (
            text if metric.period_value == "last" else f"{text} ({metric.period_value} per period)"
        )
    if kind == "snapshot":
        what = f"{metric.agg}({metric.expr or '*'}) over {metric.model}"
        day = {
            "last": "on each period's last snapshot day",
            "first": "on each period's first snapshot day",
            "min": "lowest daily value in each period",
            "max": "highest daily value in each period",
        }[metric.period_value]
        text = f"{what} {day}" if metric.period_value in ("last", "first") else f"{what}, {day}"
        return f"{text} where {metric.filter}" if metric.filter else text
    if kind == "retention":
        cohort = metric.cohort.model or "first activity"
        return (
            f"share of {metric.entity} (cohort: {cohort}) active again in {metric.period} "
            f"{metric.n} of {metric.activity_model}"
        )
    if kind == "conversion":
        what = "share" if metric.calculation == "conversion_rate" else "number"
        return (
            f"{what} of {metric.entity} with a {metric.base_event.model} row followed by a "
            f"{metric.conversion_event.model} row within {metric.window} days"
        )
    return ""


def used_by(spec: Spec, semantics: Semantics, name: str) -> list[str]:
    """Metrics that take this metric as a direct input."""
    return [m.name for m in spec.metrics if name in semantics.inputs(m.name)]


def tree_metrics(spec: Spec) -> list[str]:
    out: list[str] = []

    def walk(node: Any) -> None:
        out.append(node.metric)
        for child in node.children:
            walk(child)

    if spec.north_star and spec.north_star.tree:
        walk(spec.north_star.tree)
    elif spec.north_star:
        out.append(spec.north_star.metric)
    return out


def first_drivers(spec: Spec) -> list[Any]:
    """The NSM's first-level driver nodes (what the Overview shows as cards)."""
    if spec.north_star and spec.north_star.tree:
        return list(spec.north_star.tree.children)
    return []


def pages_showing(spec: Spec, name: str) -> list[tuple[str, str]]:
    """(page title, href) of every page that shows this metric."""
    pages = [("Explorer", f"/metric/{name}")]
    ns = spec.north_star
    if ns and (name == ns.metric or name in {n.metric for n in first_drivers(spec)}):
        pages += [("Overview", "/"), ("Review", "/review")]
    if name in tree_metrics(spec):
        pages.append(("Metric tree", "/tree"))
    return pages


def lineage(spec: Spec, semantics: Semantics, name: str) -> dict[str, list[str]]:
    """metric → input metrics (transitively) → models → source tables."""
    metrics: list[str] = []

    def walk(metric: str) -> None:
        for dep in semantics.inputs(metric):
            if dep not in metrics:
                metrics.append(dep)
                walk(dep)

    walk(name)
    models = semantics.models_of_metric(name)
    tables = [semantics.model(m).table for m in models]
    return {"metrics": metrics, "models": models, "tables": tables}
