"""Which statements answer a query: one per model for metrics that fuse (fused.py), one per metric
for the rest (rollups, comparisons, active, retention, conversion and cross-model metrics)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from metric_layer.compiler import Compiler
from metric_layer.fused import model_of
from metric_layer.query import MetricQuery
from metric_layer.routes import route_of


@dataclass(frozen=True)
class Statement:
    metrics: tuple[str, ...]  # what it answers
    sql: str
    lo: date
    hi: date
    fused: bool  # columns are named by metric; else one `value` (and `compare_value`) column


def plan_statements(
    compiler: Compiler, query: MetricQuery, today: date, dialect: str = "duckdb"
) -> list[Statement]:
    """The statements answering `query`, as SQL text for `dialect` (dialects.py)."""
    compiled = {n: compiler.compile(n, query, today) for n in query.metrics}  # validates all
    groups: dict[str, list[str]] = {}
    if query.compare is None:
        for name in query.metrics:
            model = model_of(compiler.sem, name)
            if model is not None and route_of(compiled[name]).source == "raw":
                groups.setdefault(model, []).append(name)
    out: list[Statement] = []
    fused: set[str] = set()
    for names in groups.values():
        # one plain simple metric gains nothing; a ratio alone still reads its inputs once
        if len(names) == 1 and compiler.sem.metrics[names[0]].type == "simple":
            continue
        tree = compiler.compile_fused(names, query, today)
        out.append(Statement(tuple(names), tree.sql(True, dialect), tree.lo, tree.hi, True))
        fused.update(names)
    for name in query.metrics:
        if name not in fused:
            c = compiled[name]
            out.append(Statement((name,), c.sql(True, dialect), c.lo, c.hi, False))
    return out
