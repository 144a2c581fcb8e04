"""Any two day ranges compared: each range's value (overall or per segment) and the change.

In: a MetricService, a metric, two inclusive day ranges [start, end], optional breakdown,
dimension filters and `where` SQL conditions (as MetricQuery takes them). Out: a RangeComparison whose frame has the breakdown columns plus `before`, `after`,
`change` (one row without a breakdown).

A range's value is the metric computed over the whole range as one period, never a sum of per-day
values (a distinct count or a ratio does not add up over days). A range that is exactly one whole
period (a day, a week from the spec's week start, a month, quarter or year) is queried at that
grain; any other range (2026-03-10..18) at grain `all`, one period over exactly its days. Both are
exact for every metric type: distinct counts distinct over the range, ratios of its totals, active
metrics over the window ending on its last day, retention over the cohorts of its days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from metric_layer.errors import QueryError
from metric_layer.periods import next_period, period_start
from metric_layer.query import DimensionFilter, MetricQuery
from metric_layer.spec import RatioMetric

GRAINS_COARSE_FIRST = ("year", "quarter", "month", "week", "day")
DayPair = tuple[date, date]  # inclusive start and end days


@dataclass(frozen=True)
class RangeComparison:
    metric: str
    current: DayPair
    baseline: DayPair
    dimensions: tuple[str, ...]
    frame: pd.DataFrame  # <dimensions…>, before, after, change
    partial: bool  # the current range reaches today (as-of): its data is not complete

    @property
    def before(self) -> float:
        return float(self.frame["before"].iloc[0]) if len(self.frame) else np.nan

    @property
    def after(self) -> float:
        return float(self.frame["after"].iloc[0]) if len(self.frame) else np.nan

    @property
    def change(self) -> float:
        return self.after - self.before

    @property
    def change_pct(self) -> float:
        return self.change / abs(self.before) if self.before else np.nan


def whole_period_grain(start: date, end: date, week_start: str = "monday") -> str | None:
    """The coarsest grain of which [start, end] is exactly one period, else None."""
    for grain in GRAINS_COARSE_FIRST:
        first = period_start(start, grain, week_start)
        if first == start and next_period(first, grain) == end + pd.Timedelta(days=1):
            return grain
    return None


def range_values(
    service,
    metric: str,
    days: DayPair,
    dimensions: tuple[str, ...] = (),
    filters: tuple[DimensionFilter, ...] = (),
    as_of: date | None = None,
    where: tuple[str, ...] = (),
) -> pd.DataFrame:
    """The metric over the whole range: <dimensions…>, value (a float; one row without dimensions)."""
    start, end = days
    if end < start:
        raise QueryError(f"the range ends ({end}) before it starts ({start})")
    spec = service.spec
    grain = whole_period_grain(start, end, spec.week_start)
    # One whole period keeps its grain (the answer other views of that period share); any other
    # range is grain `all`, one row per segment over exactly its days. The per-day sums asked
    # before were exact for counts and sums only, returned days × segments rows, and took the
    # same time (benchmarks/bench_ranges.py: 0.84-1.28× at 100k orders).
    frame = _query(service, metric, grain or "all", days, dimensions, filters, as_of, where)
    # Floats with NaN for no value: comparisons and shares are arithmetic on doubles (an exact
    # Decimal sum or a nullable count would not mix with a scaled baseline).
    value = pd.to_numeric(frame[metric], errors="coerce").astype("float64")
    return frame[list(dimensions)].assign(value=value.to_numpy())


def ratio_parts(
    service,
    metric: str,
    days: DayPair,
    dimensions: tuple[str, ...] = (),
    filters: tuple[DimensionFilter, ...] = (),
    as_of: date | None = None,
    where: tuple[str, ...] = (),
) -> pd.DataFrame:
    """A ratio metric's numerator and denominator over the range: <dimensions…>, numerator,
    denominator. Refused for inputs with their own filter (they are not metrics of their own)."""
    definition = service.spec.metric(metric)
    if not isinstance(definition, RatioMetric):
        raise QueryError(f"`{metric}` is not a ratio metric")
    if definition.numerator.filter or definition.denominator.filter:
        raise QueryError(
            f"`{metric}` filters its inputs, so its value is compared but not split into "
            "segments; to split it, define each filtered input as a metric of its own (with "
            "that filter) and make the ratio of those"
        )
    num, den = definition.numerator.metric, definition.denominator.metric
    n = range_values(service, num, days, dimensions, filters, as_of, where)
    d = range_values(service, den, days, dimensions, filters, as_of, where)
    if not dimensions:
        return pd.DataFrame(
            {"numerator": n["value"].to_numpy(), "denominator": d["value"].to_numpy()}
        )
    both = n.merge(d, on=list(dimensions), how="outer", suffixes=("_n", "_d")).fillna(
        {"value_n": 0.0, "value_d": 0.0}
    )
    return both.rename(columns={"value_n": "numerator", "value_d": "denominator"})


def compare_ranges(
    service,
    metric: str,
    current: DayPair,
    baseline: DayPair,
    dimensions: tuple[str, ...] = (),
    filters: tuple[DimensionFilter, ...] = (),
    as_of: date | None = None,
    where: tuple[str, ...] = (),
) -> RangeComparison:
    """Both ranges' values and the change, overall or per breakdown value."""
    after = range_values(service, metric, current, dimensions, filters, as_of, where)
    before = range_values(service, metric, baseline, dimensions, filters, as_of, where)
    if dimensions:
        frame = before.merge(after, on=list(dimensions), how="outer", suffixes=("_b", "_a"))
        frame = frame.rename(columns={"value_b": "before", "value_a": "after"})
    else:
        frame = pd.DataFrame(
            {"before": before["value"].to_numpy(), "after": after["value"].to_numpy()}
        )
    frame["change"] = frame["after"] - frame["before"]
    today = service.today(as_of)
    return RangeComparison(
        metric, current, baseline, tuple(dimensions), frame, partial=current[1] >= today
    )


def _query(service, metric, grain, days, dimensions, filters, as_of, where) -> pd.DataFrame:
    query = MetricQuery(
        (metric,),
        grain,
        days[0],
        days[1],
        tuple(dimensions),
        tuple(filters),
        where=tuple(where),
        as_of=as_of,
    )
    return service.query(query).frame
