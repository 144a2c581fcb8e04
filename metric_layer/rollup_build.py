"""Build the rollup tables (see rollups.py) inside the warehouse, at load time."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date

from sqlglot import exp

from metric_layer.compiler import Compiler
from metric_layer.query import MetricQuery
from metric_layer.relation import ModelRelation, col, ident
from metric_layer.rollups import (
    MATERIALIZED_GRAINS,
    SCHEMA,
    _additive,
    _materialized,
    _measures,
    materialized_table,
    model_dimensions,
    spec_hash,
)
from metric_layer.semantics import Semantics
from metric_layer.spec import RetentionMetric, SimpleMetric, Spec
from warehouse import Warehouse

Progress = Callable[[str], None]


def build_rollups(
    warehouse: Warehouse, spec: Spec, today: date | None = None, progress: Progress | None = None
) -> dict[str, float]:
    """Rebuild every rollup in one transaction; returns seconds per table."""
    sem = Semantics(spec)
    types = warehouse.table_columns()
    timings: dict[str, float] = {}
    say = progress or (lambda _msg: None)
    with warehouse.transaction() as tx:
        tx.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        tx.execute(f"CREATE SCHEMA {SCHEMA}")
        for model in spec.models:
            metrics = [m for m in spec.metrics if _additive(m) and m.model == model.name]
            if not metrics or model.time is None:
                continue
            started = time.perf_counter()
            for sql_text in _daily_statements(sem, spec, model.name, metrics, types):
                tx.execute(sql_text)
            timings[f"{model.name}__daily"] = time.perf_counter() - started
            say(f"rollup {model.name}__daily ({timings[f'{model.name}__daily']:.1f} s)")
        compiler = Compiler(spec, types)
        for metric in spec.metrics:
            if not _materialized(metric):
                continue
            lo, hi = _data_range(tx, sem, spec, metric, types)
            if lo is None:
                continue
            started = time.perf_counter()
            dims = [None, *sorted(sem.dimensions_of_metric(metric.name))]
            for grain in MATERIALIZED_GRAINS:
                for dim in dims:
                    if dim is not None and "." in dim:
                        continue
                    query = MetricQuery(
                        (metric.name,),
                        grain=grain,
                        start=lo,
                        end=hi,
                        dimensions=(dim,) if dim else (),
                    )
                    compiled = compiler.compile(metric.name, query, today or date.today())
                    table = exp.to_table(materialized_table(metric.name, grain, dim))
                    ctas = exp.Create(this=table, kind="TABLE", expression=compiled.tree)
                    tx.execute(ctas.sql(dialect="duckdb"))
            timings[metric.name] = time.perf_counter() - started
            say(f"rollup {metric.name} ({timings[metric.name]:.1f} s)")
        tx.execute(
            f"CREATE TABLE {SCHEMA}.manifest AS SELECT ? AS spec_hash, now() AS built_at",
            [spec_hash(spec)],
        )
    return timings


def _daily_statements(
    sem: Semantics, spec: Spec, model: str, metrics: list[SimpleMetric], types
) -> list[str]:
    rel = ModelRelation(sem, model, spec.time_zone, types)
    dims = model_dimensions(sem, model)
    measures = []
    for m in metrics:
        target = rel.spec_sql(m.expr) if m.expr else rel.column(rel.model.primary_key)
        cond = rel.spec_sql(m.filter) if m.filter else None
        aggs = {"count": exp.Count, "sum": exp.Sum, "min": exp.Min, "max": exp.Max}
        for column, _ in _measures(m):
            kind = (
                "count"
                if column.endswith("__count")
                else ("sum" if column.endswith("__sum") else m.agg)
            )
            agg: exp.Expression = aggs[kind](this=target.copy())
            if cond is not None:
                agg = exp.Filter(this=agg, expression=exp.Where(this=cond.copy()))
            measures.append(exp.alias_(agg, ident(column)))
    select = exp.select(
        rel.local_day().as_("day"), *[rel.dimension(d).as_(ident(d)) for d in dims], *measures
    )
    select = rel.from_clause(
        select.group_by(*[exp.Literal.number(i) for i in range(1, len(dims) + 2)])
    )
    all_table = f"{SCHEMA}.{model}__daily__all"
    statements = [
        exp.Create(this=exp.to_table(all_table), kind="TABLE", expression=select).sql(
            dialect="duckdb"
        )
    ]
    reagg = []
    for m in metrics:
        for column, agg in _measures(m):
            reagg.append(
                exp.alias_(
                    {"sum": exp.Sum, "min": exp.Min, "max": exp.Max}[agg](this=col(column)),
                    ident(column),
                )
            )
    for subset in [[], *[[d] for d in dims]]:
        name = f"{SCHEMA}.{model}__daily__{subset[0] if subset else 'total'}"
        small = exp.select(col("day"), *[col(d) for d in subset], *[r.copy() for r in reagg]).from_(
            exp.to_table(all_table)
        )
        small = small.group_by(*[exp.Literal.number(i) for i in range(1, len(subset) + 2)])
        statements.append(
            exp.Create(this=exp.to_table(name), kind="TABLE", expression=small).sql(
                dialect="duckdb"
            )
        )
    return statements


def _data_range(tx, sem: Semantics, spec: Spec, metric, types) -> tuple[date | None, date | None]:
    model = (
        metric.cohort.model or metric.activity_model
        if isinstance(metric, RetentionMetric)
        else metric.model
    )
    rel = ModelRelation(sem, model, spec.time_zone, types)
    day = rel.local_day()
    select = exp.select(exp.Min(this=day), exp.Max(this=day.copy())).from_(
        exp.to_table(rel.model.table).as_("t0")
    )
    lo, hi = tx.rows(select.sql(dialect="duckdb"))[0]
    return lo, hi
