"""Where a metric's data lies in time: the first and last local day of the models it counts.

Used to tell a user whose range holds no data where the data is ("data spans 2025-01-01..
2026-03-27"), instead of an empty answer with no hint.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

from metric_layer.dialects import render
from metric_layer.query import DimensionFilter
from metric_layer.relation import BASE, ModelRelation, col
from metric_layer.semantics import Semantics
from metric_layer.spec import (
    ActiveMetric,
    ConversionMetric,
    RetentionMetric,
    SimpleMetric,
    SnapshotMetric,
    Spec,
)


def fact_models(sem: Semantics, metric: str) -> list[str]:
    """Models whose rows a metric counts (not the ones it joins for dimensions)."""
    out: list[str] = []
    stack, seen = [metric], set()
    while stack:
        name = stack.pop()
        if name in seen or name not in sem.metrics:
            continue
        seen.add(name)
        m = sem.metrics[name]
        if isinstance(m, SimpleMetric | ActiveMetric | SnapshotMetric):
            out.append(m.model)
        elif isinstance(m, RetentionMetric):
            out.extend(x for x in (m.cohort.model, m.activity_model) if x)
        elif isinstance(m, ConversionMetric):
            out.extend([m.base_event.model, m.conversion_event.model])
        stack.extend(sem.inputs(name))
    return list(dict.fromkeys(out))


def data_span_sql(
    spec: Spec,
    sem: Semantics,
    column_types: dict[str, dict[str, str]],
    metric: str,
    filters: Sequence[DimensionFilter] = (),
    dialect: str = "duckdb",
) -> list[str]:
    """One `SELECT min(day), max(day)` per timed model `metric` counts (names from the spec only),
    over the rows `filters` keep (a row-level scope's: dimensions every such model has), written
    for `dialect`."""
    out = []
    for model in fact_models(sem, metric):
        if sem.models[model].time is None or sem.models[model].table not in column_types:
            continue
        rel = ModelRelation(sem, model, spec.time_zone, column_types)
        # The local day of the first and last moment, not min/max of every row's local day: one
        # scan of the raw column (zone maps answer most of it) instead of a time-zone conversion
        # per row, 18 s over 30M sessions. A local day never goes back as time passes, except in
        # a zone that once set its clocks back across midnight: this hint can live with that.
        day, ts = rel.local_day(), col(rel.time_column, BASE)
        first, last = (
            day.copy().transform(lambda n, agg=agg, ts=ts: agg(this=ts.copy()) if n == ts else n)
            for agg in (exp.Min, exp.Max)
        )
        select = exp.select(first, last)
        if filters:
            select = select.where(*[rel.filter(f) for f in filters])
        out.append(render(rel.from_clause(select), dialect))
    return out
