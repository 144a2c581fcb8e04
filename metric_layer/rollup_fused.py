"""One scan per daily rollup table: the metrics of a query answered from the same daily rollup
table, in one statement, the rollup twin of fused.py (which reads the raw rows). The plan
(query_plan.py) groups them; fused.py gives each metric's value over its leaf aggregates; here
each leaf is re-aggregated from the table's columns as rollup_sql.daily_select does alone.
Derived metrics with shifted inputs (previous(m) …) join the scan in rollup_shifted.py.
"""

from __future__ import annotations

from sqlglot import exp

from metric_layer.fused import Leaf, leaf_present, metric_values
from metric_layer.relation import BASE, col, ident, table_ref
from metric_layer.rollup_sql import day_period, day_range, group_days, reaggregate, rollup_filters
from metric_layer.semantics import Semantics
from metric_layer.spec import SimpleMetric


def daily_fused_select(
    sem: Semantics, names: list[str], table: str, w, dims: list[str], filters: list, where
) -> exp.Select:
    """SELECT period, <dims>, <one column per name> from one scan of a daily rollup table: the
    rollup twin of fused.py. Each simple metric the names rest on is re-aggregated once (a ratio
    input's own filter as FILTER (WHERE …)); a group is kept where at least one of them matched a
    row, as each daily_select keeps its own (count > 0, else a value); fused.py's outer values
    then give an unmatched input 0 or NULL exactly as Compiler._input_value does."""
    values, leaves = metric_values(sem, names)
    inner = leaves_select(sem, leaves, table, w, dims, filters, where, day_range("day", w.lo, w.hi))
    return (
        exp.select(
            col("period"), *[col(d) for d in dims], *[exp.alias_(values[n], n) for n in names]
        )
        .from_(inner.subquery("leaves"), copy=False)
        .where(exp.or_(*[leaf_present(sem, leaf, a) for leaf, a in leaves.items()]), copy=False)
    )


def leaves_select(
    sem: Semantics, leaves: dict[Leaf, str], table: str, w, dims, filters, where, days: list
) -> exp.Select:
    """(period, dims, one column per leaf) grouped from the table's rows on `days` (conditions)."""
    aggregates = []
    for leaf, alias in leaves.items():
        m = sem.metrics[leaf.metric]
        assert isinstance(m, SimpleMetric), "fused leaves are simple metrics"
        own = rollup_filters([], leaf.extra)[0] if leaf.extra else None
        aggregates.append(exp.alias_(reaggregate(m, own), alias))
    inner = exp.select(day_period(w), *[col(d, BASE).as_(ident(d)) for d in dims], *aggregates)
    conds = days + rollup_filters(filters, where)
    inner = inner.from_(table_ref(table, BASE), copy=False).where(*conds, copy=False)
    return group_days(inner, len(dims))
