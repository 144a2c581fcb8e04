"""Root cause's numbers for one metric, and the tree's node values, from batched segment parts.

In: a metric service, a metric that is a count, sum or distinct count, or a ratio of such inputs
without filters of their own; two day ranges; dimension sets; filters.
Out (segment_frames): dimension set → (first range's frame, second range's frame), shaped as
range_compare returns them — `value` per segment (range_values), or `numerator` and `denominator`
(ratio_parts) — the empty set holding the whole. range_totals: each metric's value in each range.

Both read segment_parts.py (one statement per source for all dimension sets and both ranges) and
are remembered by the service: a snapshot's service answers the second ask from memory.
Metrics and ranges batchable() refuses go through range_compare, which answers or says why not.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from metric_layer.query import DimensionFilter
from metric_layer.range_compare import DayPair, whole_period_grain
from metric_layer.segment_parts import SEGMENT_AGGS, Dims, SegmentParts, segment_parts
from metric_layer.spec import RatioMetric, SimpleMetric

Frames = dict[Dims, tuple[pd.DataFrame, pd.DataFrame]]


def batchable(spec, metric: str, ranges: Sequence[DayPair]) -> bool:
    """Whether segment_parts computes `metric` exactly over `ranges`: counts and sums always, a
    distinct count only over whole periods (range_values refuses other ranges and says why)."""
    whole = all(whole_period_grain(lo, hi, spec.week_start) for lo, hi in ranges)
    definition = spec.metric(metric)

    def simple(m) -> bool:
        return (
            isinstance(m, SimpleMetric)
            and m.agg in SEGMENT_AGGS
            and (whole or m.agg != "count_distinct")
        )

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
) -> SegmentParts:
    """segment_parts, remembered by the service (its data cannot change while it lives)."""
    key = ("segment_parts", tuple(metrics), tuple(ranges), tuple(dim_sets), tuple(filters))
    return service.remember(key, lambda: segment_parts(service, metrics, ranges, dim_sets, filters))


def segment_frames(
    service,
    metric: str,
    ranges: tuple[DayPair, DayPair],
    dim_sets: Sequence[Dims],
    filters: Sequence[DimensionFilter] = (),
) -> Frames:
    """Dimension set (and the whole, `()`) → both ranges' frames, as range_compare shapes them."""
    names = inputs_of(service.spec, metric)
    got = parts(service, names, ranges, dim_sets, filters)
    out: Frames = {}
    for dims in [(), *(tuple(s) for s in dim_sets)]:
        if len(names) == 1:
            out[dims] = (got.frame(metric, dims, 0), got.frame(metric, dims, 1))
        else:
            out[dims] = (_ratio(got, names, dims, 0), _ratio(got, names, dims, 1))
    return out


def _ratio(got: SegmentParts, names: tuple[str, str], dims: Dims, side: int) -> pd.DataFrame:
    """numerator and denominator per segment; a segment one input lacks has 0 there."""
    n, d = (got.frame(name, dims, side) for name in names)
    if not dims:
        return pd.DataFrame(
            {"numerator": n["value"].to_numpy(), "denominator": d["value"].to_numpy()}
        )
    both = n.merge(d, on=list(dims), how="outer", suffixes=("_n", "_d")).fillna(
        {"value_n": 0.0, "value_d": 0.0}
    )
    return both.rename(columns={"value_n": "numerator", "value_d": "denominator"})


def range_totals(
    service,
    metrics: Sequence[str],
    ranges: tuple[DayPair, DayPair],
    filters: Sequence[DimensionFilter] = (),
) -> dict[str, tuple[float, float]]:
    """Each batchable metric's value in both ranges (a ratio: numerator / denominator, no value
    when the denominator is 0), all from one statement per source."""
    inputs = list(dict.fromkeys(i for m in metrics for i in inputs_of(service.spec, m)))
    got = parts(service, inputs, ranges, [], filters)
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
