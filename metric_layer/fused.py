"""One scan per model: the metrics of a query that read the same model's raw rows, in one statement.

Compiled one by one, `orders, revenue, aov` scan the orders table four times (aov reads both its
inputs again). Here every simple metric they rest on becomes one aggregate with its own filter
(`count(*) FILTER (WHERE status = 'paid')`) in a single GROUP BY over the model, and ratios and
derived formulas are computed from those aggregates in an outer SELECT: the same values as the
per-metric SQL, with each input aggregated once.

What fuses: simple metrics (count, count_distinct, sum, avg, min, max), ratios of them (inputs
may carry a filter) and derived formulas over them without previous/last_year/offset, all reading
one model, on the raw path, without a comparison. Everything else keeps its own statement.
Semantics kept equal to the per-metric SQL (compiler.py):
- a group exists where at least one of the fused aggregates has a row: the WHERE clause keeps rows
  matching any of their filters, so a segment seen only in rows no metric counts gets no row;
- an input with no matching rows in a group is 0 for count/count_distinct/sum (as
  Compiler._input_value) and NULL otherwise; x / 0 is NULL;
- a derived formula has a value only where one of its inputs' aggregates had a row (when_present):
  alone, its statement has no row elsewhere. A group whose matching rows all have a NULL value
  counts as no row for that input, as the rollup path's own statements count it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp

from metric_layer.expressions import parse_formula, shift_of
from metric_layer.periods import Window
from metric_layer.relation import ModelRelation, col, ident
from metric_layer.retention_sql import group_by, nullif_zero
from metric_layer.semantics import Semantics
from metric_layer.spec import DerivedMetric, RatioMetric, SimpleMetric, zero_when_empty
from metric_layer.sql_time import window_period

DOUBLE = exp.DataType.build("DOUBLE")
FUSABLE_AGGS = ("count", "count_distinct", "sum", "avg", "min", "max")


@dataclass(frozen=True)
class Leaf:
    """A simple metric as one aggregate, under an extra filter (a ratio input's), if any."""

    metric: str
    extra: str | None = None


def model_of(sem: Semantics, name: str) -> str | None:
    """The one model whose rows every leaf of `name` counts, or None when it cannot fuse."""
    leaves: dict[Leaf, str] = {}
    if _value(sem, name, None, leaves) is None:
        return None
    models = {sem.metrics[leaf.metric].model for leaf in leaves}
    return models.pop() if len(models) == 1 else None


def fused_select(
    sem: Semantics,
    spec_zone: str,
    types: dict[str, dict[str, str]] | None,
    names: list[str],
    w: Window,
    dims: list[str],
    filters: list,
    where: str | None,
) -> exp.Select:
    """SELECT period, <dims>, <one column per name> over the names' one model."""
    values, leaves = metric_values(sem, names)
    model = sem.metrics[next(iter(leaves)).metric].model
    rel = ModelRelation(sem, model, spec_zone, types)
    aggregates, matches = [], []
    for leaf, alias in leaves.items():
        m = sem.metrics[leaf.metric]
        condition = _and([rel.spec_sql(t) for t in (m.filter, leaf.extra) if t])
        matches.append(condition)
        aggregates.append(exp.alias_(_aggregate(rel, m, condition), alias))
    inner = exp.select(
        window_period(rel.local_day(within=(w.lo, w.hi)), w).as_("period"),
        *[rel.dimension(d).as_(ident(d)) for d in dims],
        *aggregates,
    )
    conds: list[exp.Expression] = [rel.time_range(w.lo, w.hi)]
    if where:
        conds.append(exp.paren(rel.spec_sql(where)))
    conds += [rel.filter(f) for f in filters]
    if all(c is not None for c in matches):  # rows no fused metric counts form no group
        conds.append(exp.or_(*[exp.paren(c) for c in matches]))
    inner = rel.from_clause(group_by(inner.where(*conds, copy=False), len(dims)))
    return exp.select(
        col("period"),
        *[col(d) for d in dims],
        *[exp.alias_(values[n], n) for n in names],
    ).from_(inner.subquery("leaves"), copy=False)


def metric_values(
    sem: Semantics, names: list[str]
) -> tuple[dict[str, exp.Expression], dict[Leaf, str]]:
    """Each name's value over leaf columns, and the leaves (each aggregated once) by column."""
    leaves: dict[Leaf, str] = {}
    values = {name: _value(sem, name, None, leaves) for name in names}
    assert all(v is not None for v in values.values()), "the plan fuses fusable metrics only"
    return values, leaves  # type: ignore[return-value]


def _value(
    sem: Semantics, name: str, extra: str | None, leaves: dict[Leaf, str]
) -> exp.Expression | None:
    """`name`'s value over leaf columns (registering its leaves), or None if it cannot fuse."""
    m = sem.metrics.get(name)
    if isinstance(m, SimpleMetric):
        if m.agg not in FUSABLE_AGGS:
            return None
        alias = leaves.setdefault(Leaf(name, extra), f"leaf_{len(leaves)}")
        value = col(alias)
        if zero_when_empty(m):  # no matching row in a group: 0, as the per-metric path fills
            value = exp.func("coalesce", value, exp.Literal.number(0))
        return value
    if isinstance(m, RatioMetric):
        num = _value(sem, m.numerator.metric, _both(m.numerator.filter, extra), leaves)
        den = _value(sem, m.denominator.metric, _both(m.denominator.filter, extra), leaves)
        if num is None or den is None:
            return None
        return exp.Div(this=exp.cast(num, DOUBLE), expression=nullif_zero(den))
    if isinstance(m, DerivedMetric):
        tree = parse_formula(m.formula)
        if any(shift_of(n) is not None for n in tree.walk()):
            return None
        inputs = {}
        for column in tree.find_all(exp.Column):
            inputs[column.name] = _value(sem, column.name, extra, leaves)
            if inputs[column.name] is None:
                return None

        def rewrite(node: exp.Expression) -> exp.Expression:
            return inputs[node.name].copy() if isinstance(node, exp.Column) else node

        # two passes, as the compiler's: a node replaced by transform is not walked again
        value = exp.paren(tree.transform(rewrite).transform(guard_division))
        return when_present(sem, value, leaves)
    return None


def when_present(sem: Semantics, value: exp.Expression, leaves: dict[Leaf, str]) -> exp.Expression:
    """A formula's value only where one of the leaves it reads had a row, else NULL: alone, its
    statement has no row there (its inputs' keys), so `revenue - refunds` on a segment only a
    neighbour metric counts is no value, not 0. A leaf column keeps its table (rollup_shifted.py
    reads one leaf in the current periods and in shifted ones)."""
    by_alias = {alias: leaf for leaf, alias in leaves.items()}
    used = dict.fromkeys(
        (c.name, c.table or None) for c in value.find_all(exp.Column) if c.name in by_alias
    )
    present = [leaf_present(sem, by_alias[a], a, table) for a, table in used]
    return exp.Case(ifs=[exp.If(this=exp.or_(*present), true=value)]) if present else value


def leaf_present(
    sem: Semantics, leaf: Leaf, alias: str, table: str | None = None
) -> exp.Expression:
    """Whether a leaf's group had a row for its metric, as the metric's own statement keeps one:
    a count above 0, any other value not NULL (NULL also where the group is missing)."""
    value = col(alias, table)
    if sem.metrics[leaf.metric].agg in ("count", "count_distinct"):  # type: ignore[union-attr]
        return exp.GT(this=value, expression=exp.Literal.number(0))
    return exp.Not(this=exp.Is(this=value, expression=exp.Null()))


def guard_division(node: exp.Expression) -> exp.Expression:
    """x / 0 is no value (NULL); a quotient is a double (integer division would truncate)."""
    if isinstance(node, exp.Div):
        return exp.Div(
            this=exp.cast(node.this.copy(), DOUBLE),
            expression=nullif_zero(node.expression.copy()),
        )
    return node


def _aggregate(rel: ModelRelation, m: SimpleMetric, condition: exp.Expression | None):
    target = rel.spec_sql(m.expr) if m.expr else rel.column(rel.model.primary_key)
    agg = {
        "count": lambda e: exp.Count(this=e),
        "count_distinct": lambda e: exp.Count(this=exp.Distinct(expressions=[e])),
        "sum": lambda e: exp.Sum(this=e),
        "avg": lambda e: exp.Avg(this=e),
        "min": lambda e: exp.Min(this=e),
        "max": lambda e: exp.Max(this=e),
    }[m.agg](target)
    if condition is None:
        return agg
    return exp.Filter(this=agg, expression=exp.Where(this=condition))


def _and(parts: list[exp.Expression]) -> exp.Expression | None:
    return exp.and_(*[exp.paren(p) for p in parts]) if parts else None


def _both(a: str | None, b: str | None) -> str | None:
    parts = [p for p in (a, b) if p]
    return " AND ".join(f"({p})" for p in parts) if parts else None
