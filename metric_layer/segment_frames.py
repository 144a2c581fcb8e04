"""Root cause's numbers for one metric, and the tree's node values, from batched segment parts.

In: a metric service, a metric that is a count, sum or distinct count, or a ratio of such inputs
without filters of their own; two day ranges; dimension sets; dimension filters and `where` SQL
conditions.
Out (segment_frames): dimension set → (first range's frame, second range's frame), shaped as
range_compare returns them — `value` per segment (range_values), or `numerator` and `denominator`
(ratio_parts) — the empty set holding the whole. range_totals: each metric's value in each range.

Both read segment_parts.py (one statement per source for all dimension sets and both ranges) and
are remembered by the service: a snapshot's service answers the second ask from memory.
Metrics batchable() refuses (active, retention, averages, filtered ratio inputs, …) go through
range_compare: one query per dimension set and range, exact for every metric type.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from metric_layer.query import DimensionFilter
from metric_layer.range_compare import DayPair
from metric_layer.segment_parts import SEGMENT_AGGS, Dims, SegmentParts, segment_parts
from metric_layer.spec import RatioMetric, SimpleMetric

Frames = dict[Dims, tuple[pd.DataFrame, pd.DataFrame]]
Parts = dict[tuple[Any, ...], tuple[float, ...]]  # segment → (value,) or (numerator, denominator)


def batchable(spec, metric: str) -> bool:
    """Whether segment_parts computes `metric`: a count, sum or distinct count, or a ratio of such
    inputs without filters of their own, exactly over any two ranges (a distinct count is counted
    distinct over each whole range, never summed over days)."""
    definition = spec.metric(metric)

    def simple(m) -> bool:
        return isinstance(m, SimpleMetric) and m.agg in SEGMENT_AGGS

    if isinstance(definition, RatioMetric):
        inputs = (definition.numerator, definition.denominator)
        return all(i.filter is None and simple(spec.metric(i.metric)) for i in inputs)
    return simple(definition)


def inputs_of(spec, metric: str) -> tuple[str, ...]:
    """The simple metrics a batchable metric is made of: itself, or a ratio's two inputs."""
    definition = spec.metric(metric)
    if isinstance(definition, RatioMetric):
        return (definition.numerator.metric, definition.denominator.metric)
    return (metric,)


def parts(
    service,
    metrics: Sequence[str],
    ranges: Sequence[DayPair],
    dim_sets: Sequence[Dims],
    filters: Sequence[DimensionFilter] = (),
    where: Sequence[str] = (),
    asked: Sequence[str] = (),
) -> SegmentParts:
    """segment_parts, remembered by the service (its data cannot change while it lives; a
    scoped service's keys carry its scope). `asked`: the metrics whose scope applies."""
    key = (
        "segment_parts",
        tuple(metrics),
        tuple(ranges),
        tuple(dim_sets),
        tuple(filters),
        tuple(where),
        tuple(asked),
    )
    return service.remember(
        key,
        lambda: segment_parts(service, metrics, ranges, dim_sets, filters, where, asked or None),
    )


def segment_sums(
    service,
    metric: str,
    ranges: tuple[DayPair, DayPair],
    dim_sets: Sequence[Dims],
    filters: Sequence[DimensionFilter] = (),
    where: Sequence[str] = (),
) -> dict[Dims, tuple[Parts, Parts]]:
    """Dimension set (and the whole, `()`) → both ranges' parts per segment: (value,), or
    (numerator, denominator) with 0 for the input a segment has no rows of."""
    names = inputs_of(service.spec, metric)
    got = parts(service, names, ranges, dim_sets, filters, where, (metric,))
    out: dict[Dims, tuple[Parts, Parts]] = {}
    for dims in [(), *(tuple(s) for s in dim_sets)]:
        sides = []
        for side in (0, 1):
            if len(names) == 1:
                sides.append({k: (v,) for k, v in got.segments(metric, dims, side).items()})
                continue
            num, den = (got.segments(name, dims, side) for name in names)
            keys = list(num) + [k for k in den if k not in num]
            sides.append({k: (num.get(k, 0.0), den.get(k, 0.0)) for k in keys})
        out[dims] = (sides[0], sides[1])
    return out


def segment_frames(
    service,
    metric: str,
    ranges: tuple[DayPair, DayPair],
    dim_sets: Sequence[Dims],
    filters: Sequence[DimensionFilter] = (),
    where: Sequence[str] = (),
) -> Frames:
    """segment_sums as frames shaped as range_compare returns them: <dims…> and `value`
    (range_values), or `numerator` and `denominator` (ratio_parts)."""
    columns = (
        ["value"] if len(inputs_of(service.spec, metric)) == 1 else ["numerator", "denominator"]
    )
    out: Frames = {}
    for dims, sides in segment_sums(service, metric, ranges, dim_sets, filters, where).items():
        frames = []
        for got in sides:
            keys, values = list(got), list(got.values())
            data = {d: [k[i] for k in keys] for i, d in enumerate(dims)}
            data |= {c: [v[j] for v in values] for j, c in enumerate(columns)}
            frames.append(pd.DataFrame(data, columns=[*dims, *columns]))
        out[dims] = (frames[0], frames[1])
    return out


def range_totals(
    service,
    metrics: Sequence[str],
    ranges: tuple[DayPair, DayPair],
    filters: Sequence[DimensionFilter] = (),
    where: Sequence[str] = (),
) -> dict[str, tuple[float, float]]:
    """Each batchable metric's value in both ranges (a ratio: numerator / denominator, no value
    when the denominator is 0), all from one statement per source."""
    # A scoped user's company-wide metrics read every row, the others the scope's rows: one
    # batch per way of scoping (a single batch without a scope).
    batches: dict[tuple, list[str]] = {}
    for metric in metrics:
        batches.setdefault(service.scope_filters((metric,), filters, where), []).append(metric)
    out = {}
    for batch in batches.values():
        out |= _batch_totals(service, batch, ranges, filters, where)
    return out


def _batch_totals(service, metrics, ranges, filters, where) -> dict[str, tuple[float, float]]:
    inputs = list(dict.fromkeys(i for m in metrics for i in inputs_of(service.spec, m)))
    got = parts(service, inputs, ranges, [], filters, where, tuple(metrics))
    out = {}
    for metric in metrics:
        names = inputs_of(service.spec, metric)
        if len(names) == 1:
            out[metric] = (got.total(metric, 0), got.total(metric, 1))
            continue
        values = []
        for side in (0, 1):
            num, den = (got.total(name, side) for name in names)
            values.append(num / den if den else np.nan)
        out[metric] = (values[0], values[1])
    return out
