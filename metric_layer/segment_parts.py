"""Every segment's value of some simple metrics in two day ranges, in one statement per source.

Root cause needs a metric's value per segment for every dimension and every pair of dimensions, in
two ranges. Asked one dimension set at a time (range_compare.range_values) that is
2 ranges × 36 sets × 2 ratio inputs = 144 queries for 8 dimensions. Here each source answers all of
them in one GROUP BY GROUPING SETS over both ranges: a `side` column tells the ranges apart, and
GROUPING() tells a segment whose value is NULL from a dimension that is not grouped. Sources:
- counts and sums of one model: its daily rollup (the `all` table, or the one-dimension or total
  table when fewer dimensions are needed), whose per-day sums add up over any days;
- a distinct count: its entity-day rollup, counted distinct over each whole range (a distinct count
  never adds up over days);
- otherwise the model's raw table: its counts and sums in one statement, each with its own filter
  as FILTER (WHERE …); a distinct count on its own rows (distinct_segments.py, as its rollup).
A `where` SQL condition (metric_layer/where.py) holds on raw rows only: with one, every source is
the raw table. The numbers are those of range_values, on either path (tests/unit/test_segment_parts.py
checks both against pandas). Names come from the validated spec; filter values are sqlglot literals.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

import pandas as pd
import pyarrow as pa
from sqlglot import exp

from metric_layer.bounds import MAX_ROWS, check_rows
from metric_layer.dialects import render
from metric_layer.distinct_segments import SET, SIDE, distinct_statement
from metric_layer.errors import QueryError
from metric_layer.query import DimensionFilter
from metric_layer.relation import BASE, ModelRelation, col, date_lit, filter_condition, table_ref
from metric_layer.rollup_sql import measures as _measures
from metric_layer.rollup_units import daily_set, daily_table, entity_days_table, model_dimensions
from metric_layer.rollups import RollupPlanner
from metric_layer.spec import SimpleMetric
from metric_layer.where import query_filters

DayPair = tuple[date, date]  # inclusive start and end days
Dims = tuple[str, ...]
SEGMENT_AGGS = ("count", "sum", "count_distinct")
DOUBLE = exp.DataType.build("DOUBLE")


Values = dict[tuple[Any, ...], float]  # segment (its dimension values, None = NULL) → value


@dataclass(frozen=True)
class SegmentParts:
    """(metric, dimension set, side) → the segments where the metric has rows, and their values.

    Side 0 is the first range asked for, 1 the second. The empty dimension set holds the whole:
    one segment `()`, 0 when the range has no rows (as range_values answers for counts and sums).
    Plain dicts, not frames: root cause reads a few thousand numbers, where pandas' per-call
    cost would dominate."""

    values: dict[tuple[str, Dims, int], Values]
    sql: tuple[str, ...] = field(default=(), compare=False)

    def segments(self, metric: str, dims: Dims, side: int) -> Values:
        return self.values[(metric, tuple(dims), side)]

    def frame(self, metric: str, dims: Dims, side: int) -> pd.DataFrame:
        """The same as a frame: <dims…>, value (the shape range_values returns)."""
        got = self.segments(metric, dims, side)
        columns = list(zip(*got, strict=True)) if got and dims else [[] for _ in dims]
        data = {d: list(column) for d, column in zip(dims, columns, strict=True)}
        return pd.DataFrame({**data, "value": list(got.values())})

    def total(self, metric: str, side: int) -> float:
        return self.values[(metric, (), side)][()]


@dataclass(frozen=True)
class _Source:
    kind: Literal["daily", "entity_days", "raw", "raw_distinct"]
    name: str  # the rollup table, or the model (raw)
    metrics: tuple[SimpleMetric, ...]


def segment_parts(
    service,
    metrics: Sequence[str],
    ranges: Sequence[DayPair],
    dim_sets: Sequence[Dims],
    filters: Sequence[DimensionFilter] = (),
    where: Sequence[str] = (),
    asked: Sequence[str] | None = None,
) -> SegmentParts:
    """Each metric's value per segment of each dimension set in each range (see SegmentParts).
    A scoped service's scope is added to `filters` as for the metrics `asked` about (default:
    `metrics`; a ratio whose inputs these are), see MetricService.scope_filters."""
    filters = service.scope_filters(asked or metrics, filters, where)
    definitions = [_segmentable(service.spec.metric(name)) for name in dict.fromkeys(metrics)]
    sets = list(dict.fromkeys([(), *(tuple(s) for s in dim_sets)]))
    dims = list(dict.fromkeys(d for s in sets for d in s))
    needed = set(dims) | {f.dimension for f in filters}
    condition = None
    for m in definitions:
        _check_dimensions(service, m, needed)
        # Checked for each metric: its model must have the columns the condition names.
        _, condition = query_filters(m.name, (), where, service.semantics, service.column_types)
    sides = [(lo, hi + timedelta(days=1)) for lo, hi in ranges]  # [lo, hi) days
    # Overlapping ranges share rows, which one CASE cannot put on both sides: a statement each.
    groups = [list(enumerate(sides))]
    if _overlap(sides):
        groups = [[(i, side)] for i, side in enumerate(sides)]
    values: dict[tuple[str, Dims, int], Values] = {}
    texts = []
    for source in _sources(service, definitions, needed, raw_only=condition is not None):
        for group in groups:
            select = _statement(service, source, group, dims, sets, list(filters), condition)
            texts.append(render(select, service.dialect))
            result = service.warehouse.arrow(texts[-1], max_rows=MAX_ROWS)
            check_rows(result.num_rows)
            _split(result, source, [i for i, _ in group], dims, sets, values)
    return SegmentParts(values, tuple(texts))


def _segmentable(m) -> SimpleMetric:
    if not isinstance(m, SimpleMetric) or m.agg not in SEGMENT_AGGS:
        raise QueryError(f"`{m.name}` is not a count, distinct count or sum")
    return m


def _check_dimensions(service, m: SimpleMetric, needed: set[str]) -> None:
    allowed = service.semantics.dimensions_of_metric(m.name)
    for name in sorted(needed):
        if name not in allowed:
            names = ", ".join(sorted(k for k in allowed if "." not in k)) or "none"
            raise QueryError(
                f"metric `{m.name}` cannot be broken down or filtered by `{name}`; "
                f"its dimensions: {names}"
            )


def _overlap(sides: list[tuple[date, date]]) -> bool:
    ordered = sorted(sides)
    return any(b[0] < a[1] for a, b in itertools.pairwise(ordered))


def _sources(
    service, metrics: list[SimpleMetric], needed: set[str], raw_only: bool = False
) -> list[_Source]:
    """Which table answers each metric: a rollup when one holds every needed dimension (and no
    SQL condition on raw columns is asked for)."""
    planner: RollupPlanner | None = None if raw_only else service.rollup_planner
    sem = service.semantics
    keyed: dict[tuple[str, str, str], list[SimpleMetric]] = {}
    for m in metrics:
        kind, name = "raw", m.model
        usable = (
            planner is not None
            and not any("." in n for n in needed)
            and sem.model(m.model).time is not None
            and needed <= set(model_dimensions(sem, m.model))
        )
        if usable and m.agg == "count_distinct":
            if entity_days_table(m.name) in planner.tables:
                kind, name = "entity_days", entity_days_table(m.name)
        elif usable:
            table = daily_table(m.model, daily_set(needed, model_dimensions(sem, m.model)))
            if table not in planner.tables:
                table = daily_table(m.model, "all")
            if table in planner.tables:
                kind, name = "daily", table
        if kind == "raw" and m.agg == "count_distinct":
            kind = "raw_distinct"  # its own rows: see distinct_segments.py
        own = m.name if kind in ("entity_days", "raw_distinct") else ""
        keyed.setdefault((kind, name, own), []).append(m)
    return [_Source(kind, name, tuple(ms)) for (kind, name, _), ms in keyed.items()]  # type: ignore[arg-type]


# -- one statement per source ------------------------------------------------------------------
def _statement(
    service,
    source: _Source,
    sides,
    dims: list[str],
    sets: list[Dims],
    filters,
    condition: str | None = None,
) -> exp.Select:
    """SELECT side, GROUPING(dims), dims, value and presence per metric, over GROUPING SETS."""
    if source.kind in ("raw", "raw_distinct"):
        inner, aggs = _raw_rows(service, source, sides, dims, filters, condition)
    else:
        inner, aggs = _rollup_rows(source, sides, dims, filters)
    if source.kind in ("entity_days", "raw_distinct") and dims:
        return distinct_statement(inner, dims, sets)
    outer = exp.select(col(SIDE))
    if dims:
        outer = outer.select(exp.alias_(exp.func("GROUPING", *[col(d) for d in dims]), SET))
    outer = outer.select(*[col(d) for d in dims], *aggs).from_(inner.subquery("rows"))
    if not dims:
        return outer.group_by(col(SIDE))
    grouping = exp.GroupingSets(
        expressions=[exp.Tuple(expressions=[col(SIDE), *[col(d) for d in s]]) for s in sets]
    )
    return outer.group_by(grouping)


def _side(sides, within) -> exp.Expression:
    """The side of a row: its range's number (the last range's test is left out: WHERE holds)."""
    if len(sides) == 1:
        return exp.Literal.number(sides[0][0])
    (first, (lo, hi)), (second, _) = sides
    return exp.If(
        this=within(lo, hi), true=exp.Literal.number(first), false=exp.Literal.number(second)
    )


def _rows_in(sides, within) -> exp.Expression:
    return exp.or_(*[within(lo, hi) for _, (lo, hi) in sides])


def _rollup_rows(source: _Source, sides, dims, filters):
    def within(lo: date, hi: date) -> exp.Expression:
        return exp.and_(
            exp.GTE(this=col("day", BASE), expression=date_lit(lo)),
            exp.LT(this=col("day", BASE), expression=date_lit(hi)),
        )

    if source.kind == "entity_days":
        values = [col("entity", BASE)]
    else:
        values = [col(_measures(m)[0][0], BASE) for m in source.metrics]
    inner = exp.select(
        exp.alias_(_side(sides, within), SIDE),
        *[exp.alias_(col(d, BASE), d) for d in dims],
        *[exp.alias_(v, f"__x{i}") for i, v in enumerate(values)],
    ).from_(table_ref(source.name, BASE))
    conds = [
        _rows_in(sides, within),
        *[filter_condition(col(f.dimension, BASE), f) for f in filters],
    ]
    inner = inner.where(*conds)
    aggs = []
    for i, m in enumerate(source.metrics):
        x = col(f"__x{i}")
        if source.kind == "entity_days":  # rows exist only where the metric's filter held
            value, present = (
                exp.Count(this=exp.Distinct(expressions=[x])),
                exp.Count(this=exp.Star()),
            )
        elif m.agg == "count":  # a day's count is 0 where no row matched the filter
            value, present = exp.Sum(this=x), exp.Sum(this=x.copy())
        else:  # a day's sum is NULL where no row matched
            value, present = exp.Sum(this=x), exp.Count(this=x.copy())
        aggs += _value_and_presence(i, value, present)
    return inner, aggs


def _raw_rows(service, source: _Source, sides, dims, filters, condition: str | None):
    rel = ModelRelation(
        service.semantics, source.name, service.spec.time_zone, service.column_types
    )
    lo, hi = min(s[1][0] for s in sides), max(s[1][1] for s in sides)
    columns = [
        exp.alias_(_side(sides, rel.time_range), SIDE),
        *[exp.alias_(rel.dimension(d), d) for d in dims],
    ]
    conds = [rel.time_range(lo, hi), _rows_in(sides, rel.time_range), *map(rel.filter, filters)]
    if condition is not None:  # checked by query_filters; rebuilt from the tree, as the compiler
        conds.append(exp.paren(rel.spec_sql(condition)))
    alone = source.kind == "raw_distinct"  # one metric: its filter picks the rows
    for i, m in enumerate(source.metrics):
        target = rel.spec_sql(m.expr) if m.expr else rel.column(rel.model.primary_key)
        columns.append(exp.alias_(target, f"__x{i}"))
        if m.filter and alone:
            conds.append(exp.paren(rel.spec_sql(m.filter)))
        elif m.filter:
            columns.append(exp.alias_(exp.paren(rel.spec_sql(m.filter)), f"__c{i}"))
    inner = rel.from_clause(exp.select(*columns).where(*conds))
    # local_day is never selected: time_range compares the raw column, so zone maps prune.
    aggs = []
    for i, m in enumerate(source.metrics):
        x = col(f"__x{i}")
        value = {
            "count": lambda e: exp.Count(this=e),
            "sum": lambda e: exp.Sum(this=e),
            "count_distinct": lambda e: exp.Count(this=exp.Distinct(expressions=[e])),
        }[m.agg](x)
        present: exp.Expression = exp.Count(this=exp.Star())
        if m.filter and not alone:
            where = exp.Where(this=col(f"__c{i}"))
            value = exp.Filter(this=value, expression=where)
            present = exp.Filter(this=present, expression=where.copy())
        aggs += _value_and_presence(i, value, present)
    return inner, aggs


def _value_and_presence(i: int, value: exp.Expression, present: exp.Expression) -> list:
    return [exp.alias_(exp.cast(value, DOUBLE), f"__v{i}"), exp.alias_(present, f"__n{i}")]


# -- result → frames ---------------------------------------------------------------------------
def _split(result: pa.Table, source: _Source, sides, dims, sets, values) -> None:
    """One dict per (metric, dimension set, side): the segments of that grouping set and side
    where the metric had rows (a raw query returns no row for a segment without any)."""
    columns = result.to_pydict()
    n = result.num_rows
    set_ids = columns[SET] if dims else [0] * n
    for metric in source.metrics:  # every combination, so an empty one is there too
        for dim_set in sets:
            for side in sides:
                values[(metric.name, dim_set, side)] = {}
    where = {d: k for k, d in enumerate(dims)}
    names = {
        sum(1 << (len(dims) - 1 - where[d]) for d in dims if d not in dim_set): dim_set
        for dim_set in sets
    }
    for row in range(n):
        dim_set = names[set_ids[row]]
        key = tuple(columns[d][row] for d in dim_set)
        side = columns[SIDE][row]
        for i, metric in enumerate(source.metrics):
            if columns[f"__n{i}"][row]:  # > 0: the metric had rows in this segment
                value = columns[f"__v{i}"][row]
                values[(metric.name, dim_set, side)][key] = 0.0 if value is None else value
    for metric in source.metrics:
        for side in sides:
            values[(metric.name, (), side)].setdefault((), 0.0)  # the whole of an empty range
