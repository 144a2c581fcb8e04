"""One explanation of a metric's move between two ranges: the change, its drivers, its segments.

In: a metric service (anything with `.spec`, `.semantics`, `.query`, `.today`), a metric, the
current and baseline DayRange, the dimensions to search (default: all of the metric's).
Out: an Explanation. The numbers come from metric_layer.range_compare; the splitting and ranking
are the pure functions of this package, so the CLI and the Drivers page show the same answer.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import pandas as pd

from analysis.ranges import DayRange
from analysis.segments import RootCause, Totals, root_cause
from analysis.tree import DriverContribution, tree_contributions
from metric_layer.errors import QueryError
from metric_layer.query import DimensionFilter, MetricQuery
from metric_layer.range_compare import RangeComparison, compare_ranges, range_values, ratio_parts
from metric_layer.spec import DerivedMetric, RatioMetric, SimpleMetric, TreeNode

MAX_DIMENSIONS = 8  # 8 dimensions and their 28 pairs: 72 queries on the raw path


@dataclass(frozen=True)
class Explanation:
    metric: str
    current: DayRange
    baseline: DayRange
    comparison: RangeComparison
    drivers: list[DriverContribution] = field(default_factory=list)  # empty: not in the tree
    segments: RootCause | None = None
    notes: list[str] = field(default_factory=list)


def find_node(tree: TreeNode | None, metric: str) -> TreeNode | None:
    """The tree node of `metric` (its subtree), or None when the tree does not hold it."""
    if tree is None:
        return None
    if tree.metric == metric:
        return tree
    for child in tree.children:
        found = find_node(child, metric)
        if found is not None:
            return found
    return None


def segment_dimensions(service, metric: str) -> list[str]:
    """The metric's own dimension names (joined models' qualified names are left out)."""
    return sorted(k for k in service.semantics.dimensions_of_metric(metric) if "." not in k)


def explain(
    service,
    metric: str,
    current: DayRange,
    baseline: DayRange,
    *,
    dimensions: list[str] | None = None,
    filters: tuple[DimensionFilter, ...] = (),
    pairs: bool = True,
    as_of: date | None = None,
) -> Explanation:
    if metric not in service.spec.metric_names:
        raise QueryError(f"unknown metric `{metric}`; run `northstar metrics` to list them")
    days_now, days_then = (current.start, current.end), (baseline.start, baseline.end)
    comparison = compare_ranges(service, metric, days_now, days_then, (), filters, as_of)
    notes = []
    scale = 1.0
    if current.days != baseline.days and _additive(service.spec.metric(metric)):
        # A 10-day window against 28 days before: compare at the same pace, else the length
        # difference is the whole "change" and hides the segment that moved.
        scale = current.days / baseline.days
        comparison = replace(
            comparison, frame=comparison.frame.assign(before=comparison.frame["before"] * scale)
        )
        comparison.frame["change"] = comparison.frame["after"] - comparison.frame["before"]
        notes.append(
            f"the ranges differ in length ({current.days} vs {baseline.days} days): "
            f"{baseline} is scaled to {current.days} days (its daily pace)"
        )
    if comparison.partial:
        notes.append(f"{current} reaches the as-of day {service.today(as_of)}: it is not complete")
    drivers = _drivers(service, metric, days_now, days_then, filters, as_of, notes)
    dims = segment_dimensions(service, metric) if dimensions is None else list(dimensions)
    allowed = segment_dimensions(service, metric)
    unknown = [d for d in dims if d not in allowed]
    if unknown:
        raise QueryError(
            f"metric `{metric}` cannot be broken down by `{unknown[0]}`; "
            f"its dimensions: {', '.join(allowed) or 'none'}"
        )
    if len(dims) > MAX_DIMENSIONS:
        raise QueryError(f"search at most {MAX_DIMENSIONS} dimensions at once; pass fewer --by")
    segments = _segments(
        service, metric, dims, pairs, days_now, days_then, filters, as_of, notes, scale
    )
    return Explanation(metric, current, baseline, comparison, drivers, segments, notes)


def _drivers(service, metric, now, then, filters, as_of, notes) -> list[DriverContribution]:
    north_star = service.spec.north_star
    node = find_node(north_star.tree if north_star else None, metric)
    if node is None or not node.children:
        return []
    names = subtree_metrics(node)
    values, formulas = {}, {}
    for name in names:
        try:
            compared = compare_ranges(service, name, now, then, (), filters, as_of)
        except QueryError as exc:
            notes.append(f"drivers left out: {exc}")
            return []
        values[name] = (compared.before, compared.after)
        definition = service.spec.metric(name)
        if isinstance(definition, DerivedMetric):
            formulas[name] = definition.formula
    return tree_contributions(node, values, _series(service, names, then, now, as_of), formulas)


def subtree_metrics(node: TreeNode) -> list[str]:
    out = [node.metric]
    for child in node.children:
        out += [m for m in subtree_metrics(child) if m not in out]
    return out


def _series(service, names, then, now, as_of) -> dict[str, pd.Series]:
    """Per-period values over both ranges, for the correlation of `related` edges."""
    lo, hi = min(then[0], now[0]), max(then[1], now[1])
    grain = "day" if (hi - lo) <= timedelta(days=92) else "week"
    query = MetricQuery(tuple(names), grain, lo, hi, as_of=as_of)
    frame = service.query(query).frame.set_index("period")
    return {name: frame[name] for name in names}


def _additive(definition) -> bool:
    return isinstance(definition, SimpleMetric) and definition.agg in ("count", "sum")


def _scaled(frame: pd.DataFrame, scale: float) -> pd.DataFrame:
    return frame.assign(value=frame["value"] * scale) if scale != 1.0 else frame


def _segments(
    service, metric, dims, pairs, now, then, filters, as_of, notes, scale=1.0
) -> RootCause | None:
    if not dims:
        return None
    definition = service.spec.metric(metric)
    combos: list[tuple[str, ...]] = [(d,) for d in dims]
    if pairs:
        combos += list(itertools.combinations(dims, 2))
    try:
        if isinstance(definition, SimpleMetric) and definition.agg in (
            "count",
            "count_distinct",
            "sum",
        ):
            t_then = (
                range_values(service, metric, then, (), filters, as_of)["value"].iloc[0] * scale
            )
            t_now = range_values(service, metric, now, (), filters, as_of)["value"].iloc[0]
            totals = Totals(float(t_then), float(t_now))
            frames = {
                c: (
                    _scaled(range_values(service, metric, then, c, filters, as_of), scale),
                    range_values(service, metric, now, c, filters, as_of),
                )
                for c in combos
            }
            return root_cause(frames, "additive", totals)
        if isinstance(definition, RatioMetric):
            p_then = ratio_parts(service, metric, then, (), filters, as_of).iloc[0]
            p_now = ratio_parts(service, metric, now, (), filters, as_of).iloc[0]
            n0, d0, n1, d1 = (float(x) for x in (*p_then, *p_now))
            totals = Totals(
                n0 / d0 if d0 else float("nan"), n1 / d1 if d1 else float("nan"), n0, d0, n1, d1
            )
            frames = {
                c: (
                    ratio_parts(service, metric, then, c, filters, as_of),
                    ratio_parts(service, metric, now, c, filters, as_of),
                )
                for c in combos
            }
            return root_cause(frames, "ratio", totals)
    except QueryError as exc:
        notes.append(f"segments left out: {exc}")
        return None
    notes.append(
        f"segments: `{metric}` is a {definition.type} metric; root cause splits counts, sums and ratios"
    )
    return None
