"""The statements answering a query, as SQL text: the plan (query_plan.py) says which metrics share
one scan of their model (fused.py) and which run alone (rollups, comparisons, active, retention,
conversion and cross-model metrics); each metric is compiled once, in its statement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from metric_layer.compiler import Compiler
from metric_layer.query import MetricQuery


@dataclass(frozen=True)
class Statement:
    metrics: tuple[str, ...]  # what it answers
    sql: str
    lo: date
    hi: date
    fused: bool  # columns are named by metric; else one `value` (and `compare_value`) column
    composed: tuple[str, str] | None = None  # numerator ÷ denominator columns; nothing runs


def plan_statements(
    compiler: Compiler, query: MetricQuery, today: date, dialect: str = "duckdb"
) -> list[Statement]:
    """The statements answering `query`, as SQL text for `dialect` (dialects.py)."""
    plan = compiler.plan(query, today)  # checks every metric first (QueryError)
    out: list[Statement] = []
    for planned in plan.statements:
        if planned.composed:
            num, den = planned.composed
            text = f"-- {planned.metrics[0]} = {num} / {den}, from their columns of this query"
            w = plan.window
            out.append(Statement(planned.metrics, text, w.lo, w.hi, False, planned.composed))
            continue
        if planned.fused:
            c = compiler.compile_fused(plan, planned.metrics)
        else:
            c = compiler.compile_planned(plan, planned.metrics[0])
        out.append(Statement(planned.metrics, c.sql(True, dialect), c.lo, c.hi, planned.fused))
    return out
