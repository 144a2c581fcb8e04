"""One explanation of a metric's move between two ranges: the change, its drivers, its segments.

In: a metric service (anything with `.spec`, `.semantics`, `.query`, `.today`, `.remember`), a
metric, the current and baseline DayRange, the dimensions to search (default: all of the metric's),
dimension filters and `where` SQL conditions (metric_layer/where.py: the same as `query` takes),
applied exactly to the value, the drivers and the segments. Out: an Explanation. The numbers come
from the metric layer: counts, sums, distinct counts and
their ratios batched (metric_layer.segment_frames: one GROUPING SETS statement per source for
every dimension set and both ranges), anything else from range_compare (one query per range: the
period when it is one whole period, else grain `all`): exact over any two ranges for every metric
type. The service remembers them per snapshot, so a second ask runs no query. The splitting and
ranking are the pure functions of this package, so the CLI and the Drivers page show the same
answer.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import pandas as pd

from analysis.ranges import DayRange
from analysis.segments import RootCause, Totals, normalized, root_cause, root_cause_from_sums
from analysis.tree import DriverContribution, tree_contributions
from metric_layer.errors import QueryError
from metric_layer.query import DimensionFilter, MetricQuery
from metric_layer.range_compare import (
    DayPair,
    RangeComparison,
    compare_ranges,
    range_values,
    ratio_parts,
)
from metric_layer.segment_frames import batchable, range_totals, segment_sums
from metric_layer.segment_parts import SEGMENT_AGGS
from metric_layer.spec import DerivedMetric, RatioMetric, SimpleMetric, TreeNode
from metric_layer.where import query_filters

MAX_DIMENSIONS = 8  # 8 dimensions and their 28 pairs: 36 grouping sets in one statement


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
    where: tuple[str, ...] = (),
    pairs: bool = True,
    as_of: date | None = None,
) -> Explanation:
    if metric not in service.spec.metric_names:
        raise QueryError(f"unknown metric `{metric}`; run `northstar metrics` to list them")
    # As the metric's query reads them: `amount>100` (a column, no dimension) joins the SQL
    # condition, so the segments' batch (dimension filters only) never sees it as a dimension.
    kept, condition = query_filters(metric, filters, where, service.semantics, service.column_types)
    filters, where = tuple(kept), (condition,) if condition else ()
    days_now, days_then = (current.start, current.end), (baseline.start, baseline.end)
    comparison = _compared(service, metric, days_now, days_then, filters, as_of, where)
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
    drivers = driver_contributions(
        service, metric, days_now, days_then, filters=filters, where=where, as_of=as_of, notes=notes
    )
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
    segments = find_segments(
        service,
        metric,
        dims,
        days_now,
        days_then,
        pairs=pairs,
        filters=filters,
        where=where,
        as_of=as_of,
        notes=notes,
        scale=scale,
    )
    return Explanation(metric, current, baseline, comparison, drivers, segments, notes)


def driver_contributions(
    service,
    metric: str,
    now: DayPair,
    then: DayPair,
    *,
    filters: tuple[DimensionFilter, ...] = (),
    where: tuple[str, ...] = (),
    as_of: date | None = None,
    notes: list[str] | None = None,
    batched: bool = True,
) -> list[DriverContribution]:
    """Each node's share of its parent's change along the tree under `metric` (empty: a leaf or
    not in the tree). `batched`: counts, sums, distinct counts and their ratios come from one
    statement per source (range_totals), the other nodes from one comparison each."""
    notes = notes if notes is not None else []
    north_star = service.spec.north_star
    node = find_node(north_star.tree if north_star else None, metric)
    if node is None or not node.children:
        return []
    key = ("drivers", metric, now, then, tuple(filters), tuple(where), service.today(as_of))
    try:
        return service.remember(
            (*key, batched),
            lambda: _contributions(service, node, now, then, filters, where, as_of, batched),
        )
    except _LeftOut as exc:
        notes.append(f"drivers left out: {exc.__cause__}")
        return []


class _LeftOut(Exception):
    """A node's value cannot be computed: the drivers are left out (the cause says why)."""


def _contributions(
    service, node, now, then, filters, where, as_of, batched
) -> list[DriverContribution]:
    names = subtree_metrics(node)
    ranges = (then, now)
    many = [n for n in names if batched and batchable(service.spec, n)]
    try:
        values = range_totals(service, many, ranges, filters, where) if many else {}
        for name in names:
            if name not in values:
                compared = _compared(service, name, now, then, filters, as_of, where)
                values[name] = (compared.before, compared.after)
    except QueryError as exc:
        raise _LeftOut() from exc
    formulas = {
        name: definition.formula
        for name in names
        if isinstance(definition := service.spec.metric(name), DerivedMetric)
    }
    series = _LazySeries(lambda: _series(service, names, then, now, as_of, filters, where), names)
    return tree_contributions(node, values, series, formulas)


def _compared(service, metric, now, then, filters, as_of, where=()) -> RangeComparison:
    """compare_ranges, remembered per snapshot (callers must not change its frame)."""
    key = ("compare_ranges", metric, now, then, tuple(filters), tuple(where), service.today(as_of))
    return service.remember(
        key, lambda: compare_ranges(service, metric, now, then, (), filters, as_of, where)
    )


class _LazySeries(Mapping):
    """The per-period series, queried only when an edge asks for a correlation."""

    def __init__(self, load: Callable[[], dict[str, pd.Series]], names: list[str]) -> None:
        self._load, self._names, self._got = load, names, None

    def __getitem__(self, name: str) -> pd.Series:
        if self._got is None:
            self._got = self._load()
        return self._got[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def subtree_metrics(node: TreeNode) -> list[str]:
    out = [node.metric]
    for child in node.children:
        out += [m for m in subtree_metrics(child) if m not in out]
    return out


def _series(service, names, then, now, as_of, filters, where) -> dict[str, pd.Series]:
    """Per-period values over both ranges (filtered as the values), for the correlation of
    `related` edges."""
    lo, hi = min(then[0], now[0]), max(then[1], now[1])
    grain = "day" if (hi - lo) <= timedelta(days=92) else "week"
    query = MetricQuery(
        tuple(names), grain, lo, hi, filters=tuple(filters), where=tuple(where), as_of=as_of
    )
    key = ("series", query, service.today(as_of))
    frame = service.remember(key, lambda: service.query(query).frame).set_index("period")
    return {name: frame[name] for name in names}


def _additive(definition) -> bool:
    return isinstance(definition, SimpleMetric) and definition.agg in ("count", "sum")


def _scaled(frame: pd.DataFrame, scale: float) -> pd.DataFrame:
    return frame.assign(value=frame["value"] * scale) if scale != 1.0 else frame


def find_segments(
    service,
    metric: str,
    dims: list[str],
    now: DayPair,
    then: DayPair,
    *,
    pairs: bool = True,
    filters: tuple[DimensionFilter, ...] = (),
    where: tuple[str, ...] = (),
    as_of: date | None = None,
    notes: list[str] | None = None,
    scale: float = 1.0,
    batched: bool = True,
) -> RootCause | None:
    """Root cause of `metric`'s move from `then` to `now` over `dims` (and their pairs).

    `batched`: every dimension set's numbers from one statement per source (segment_frames.py),
    remembered per snapshot; else one query per dimension set, range and ratio input (the path
    the benchmark compares with; also taken for metrics the batch cannot compute).
    `scale` multiplies the baseline of counts and sums (ranges of different lengths)."""
    notes = notes if notes is not None else []
    if not dims:
        return None
    definition = service.spec.metric(metric)
    if isinstance(definition, SimpleMetric) and definition.agg in SEGMENT_AGGS:
        kind = "additive"
    elif isinstance(definition, RatioMetric):
        kind = "ratio"
    else:
        article = "an" if definition.type[0] in "aeiou" else "a"
        notes.append(
            f"segments: `{metric}` is {article} {definition.type} metric; root cause splits "
            "counts, sums, distinct counts and ratios (its value per segment over the range: "
            f"`northstar query {metric} --grain all --from … --to … --by <dimension>`)"
        )
        return None
    combos: list[tuple[str, ...]] = [(d,) for d in dims]
    if pairs:
        combos += list(itertools.combinations(dims, 2))
    try:
        if batched and batchable(service.spec, metric):
            key = ("root_cause", metric, tuple(combos), now, then, tuple(filters), tuple(where))
            return service.remember(
                (*key, scale),
                lambda: _batched_cause(
                    service, metric, kind, combos, now, then, filters, where, scale
                ),
            )
        frames = _frames_per_set(service, metric, kind, combos, then, now, filters, where, as_of)
    except QueryError as exc:
        notes.append(f"segments left out: {exc}")
        return None
    whole_then, whole_now = frames.pop(())
    if kind == "additive":
        totals = Totals(
            float(whole_then["value"].iloc[0]) * scale, float(whole_now["value"].iloc[0])
        )
        frames = {c: (_scaled(b, scale), a) for c, (b, a) in frames.items()}
        return root_cause(frames, "additive", totals)
    n0, d0 = (float(whole_then[k].iloc[0]) for k in ("numerator", "denominator"))
    n1, d1 = (float(whole_now[k].iloc[0]) for k in ("numerator", "denominator"))
    return root_cause(frames, "ratio", _ratio_totals(n0, d0, n1, d1))


def _ratio_totals(n0: float, d0: float, n1: float, d1: float) -> Totals:
    nan = float("nan")
    return Totals(n0 / d0 if d0 else nan, n1 / d1 if d1 else nan, n0, d0, n1, d1)


def _batched_cause(service, metric, kind, combos, now, then, filters, where, scale) -> RootCause:
    """Root cause from segment_sums: one statement per source, no frames in between."""
    got = segment_sums(service, metric, (then, now), combos, filters, where)
    whole_then, whole_now = (side[()] for side in got.pop(()))
    if kind == "additive":
        totals = Totals(whole_then[0] * scale, whole_now[0])
        sums = {
            c: (normalized({k: (v[0] * scale,) for k, v in b.items()}), normalized(a))
            for c, (b, a) in got.items()
        }
        return root_cause_from_sums(sums, "additive", totals)
    sums = {c: (normalized(b), normalized(a)) for c, (b, a) in got.items()}
    return root_cause_from_sums(sums, "ratio", _ratio_totals(*whole_then, *whole_now))


def _frames_per_set(service, metric, kind, combos, then, now, filters, where, as_of):
    """One range_values (or ratio_parts) query per dimension set and range, the whole first."""
    ask = range_values if kind == "additive" else ratio_parts
    return {
        c: (
            ask(service, metric, then, c, filters, as_of, where),
            ask(service, metric, now, c, filters, as_of, where),
        )
        for c in [(), *combos]
    }
