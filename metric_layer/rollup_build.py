"""Build the rollup tables (see rollups.py) inside the warehouse, at load time."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlglot import exp

from metric_layer.compiler import Compiler
from metric_layer.periods import Window, period_start
from metric_layer.query import MetricQuery
from metric_layer.relation import ModelRelation, col, ident
from metric_layer.rollups import (
    MATERIALIZED_GRAINS,
    SCHEMA,
    RollupPlanner,
    _additive,
    _measures,
    cohort_table,
    entity_days_table,
    is_materialized,
    materialized_table,
    model_dimensions,
    retention_dimensions,
    spec_hash,
)
from metric_layer.semantics import Semantics
from metric_layer.spec import ActiveMetric, RetentionMetric, SimpleMetric, Spec
from metric_layer.sql_time import period_expr
from warehouse import Warehouse

Progress = Callable[[str], None]


def build_rollups(
    warehouse: Warehouse, spec: Spec, today: date | None = None, progress: Progress | None = None
) -> dict[str, float]:
    """Rebuild every rollup in one transaction; returns seconds per table.

    `today` is the first day without complete data (default: today in the spec's time zone).
    """
    sem = Semantics(spec)
    types = warehouse.table_columns()
    # Materialized results depend on `today` (partial periods, mature cohorts): record it.
    as_of = today or datetime.now(ZoneInfo(spec.time_zone)).date()
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
        built: dict[tuple, str] = {}  # DAU, WAU and MAU read the same rows: build them once
        for metric in spec.metrics:
            if not is_materialized(metric):
                continue
            started = time.perf_counter()
            key = (metric.model, getattr(metric, "entity", None) or metric.expr, metric.filter)
            if key in built:
                view = exp.Create(
                    this=exp.to_table(entity_days_table(metric.name)),
                    kind="VIEW",
                    expression=exp.select("*").from_(exp.to_table(built[key])),
                )
                tx.execute(view.sql(dialect="duckdb"))
            else:
                tx.execute(_entity_days_statement(sem, spec, metric, types))
                built[key] = entity_days_table(metric.name)
            say(f"rollup {metric.name} entity days ({time.perf_counter() - started:.1f} s)")
        # Distinct and active metrics read their entity-day tables from here on.
        tables = frozenset(t for t in _tables(tx) if t.startswith(f"{SCHEMA}."))
        compiler = Compiler(spec, types, RollupPlanner(spec, tables, built_for=None))
        coverage: list[tuple[str, date]] = []
        for metric in spec.metrics:
            if isinstance(metric, RetentionMetric):
                started = time.perf_counter()
                tx.execute(_cohorts_statement(compiler, sem, tx, spec, metric, types, as_of))
                timings[metric.name] = time.perf_counter() - started
                say(f"rollup {metric.name} cohorts ({timings[metric.name]:.1f} s)")
            if not is_materialized(metric):
                continue
            lo, hi = _data_range(tx, sem, spec, metric, types)
            if lo is None:
                continue
            started = time.perf_counter()
            # Active metrics start the day table at the first week/month start so derived
            # periods see the same zero days as a direct query, and end it on the as-of day:
            # a trailing window still counts entities after the data's last day.
            start, end = lo, hi
            if isinstance(metric, ActiveMetric):
                start = min(period_start(lo, "week", spec.week_start), period_start(lo, "month"))
                end = max(hi, as_of)
            dims = [None, *sorted(d for d in sem.dimensions_of_metric(metric.name) if "." not in d)]
            for dim in dims:
                for grain in MATERIALIZED_GRAINS:
                    table = materialized_table(metric.name, grain, dim)
                    if isinstance(metric, ActiveMetric) and grain != "day":
                        # A period's value is the last or mean daily value: derive it from the day table.
                        tx.execute(_from_daily(metric, grain, spec.week_start, dim))
                        continue
                    query = MetricQuery(
                        (metric.name,),
                        grain=grain,
                        start=start,
                        end=end,
                        dimensions=(dim,) if dim else (),
                    )
                    tree = compiler.compile(metric.name, query, as_of).tree
                    if isinstance(metric, ActiveMetric):  # peak: see RollupPlanner.materialized
                        tree = exp.select("*", exp.alias_(col("value"), "peak")).from_(
                            tree.subquery("daily")
                        )
                    ctas = exp.Create(this=exp.to_table(table), kind="TABLE", expression=tree)
                    tx.execute(ctas.sql(dialect="duckdb"))
            coverage.append((metric.name, start))
            timings[metric.name] = time.perf_counter() - started
            say(f"rollup {metric.name} ({timings[metric.name]:.1f} s)")
        tx.execute(f"CREATE TABLE {SCHEMA}.coverage (metric VARCHAR, first_day DATE)")
        for name, first in coverage:
            tx.execute(f"INSERT INTO {SCHEMA}.coverage VALUES (?, ?)", [name, first])
        tx.execute(
            f"CREATE TABLE {SCHEMA}.manifest AS SELECT ? AS spec_hash, ? AS as_of, now() AS built_at",
            [spec_hash(spec), as_of],
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


def _entity_days_statement(sem: Semantics, spec: Spec, metric, types) -> str:
    """One row per (local day, entity, dimension values) where the metric's rows exist.

    Built once per distinct-count or active metric (its filter applied, dimensions already joined
    and its day already in the spec's zone), it answers every grain, breakdown and filter.
    """
    rel = ModelRelation(sem, metric.model, spec.time_zone, types)
    dims = model_dimensions(sem, metric.model)
    entity_text = metric.entity if isinstance(metric, ActiveMetric) else metric.expr
    entity = rel.spec_sql(entity_text) if entity_text else rel.column(rel.model.primary_key)
    # Rows without an entity stay: a raw COUNT(DISTINCT) still returns their group (as 0).
    conds = [exp.paren(rel.spec_sql(metric.filter))] if metric.filter else []
    select = exp.select(
        rel.local_day().as_("day"),
        entity.as_("entity"),
        *[rel.dimension(d).as_(ident(d)) for d in dims],
    ).distinct()
    select = rel.from_clause(select.where(*conds))
    return exp.Create(
        this=exp.to_table(entity_days_table(metric.name)), kind="TABLE", expression=select
    ).sql(dialect="duckdb")


def _cohorts_statement(
    compiler: Compiler, sem: Semantics, tx, spec: Spec, metric: RetentionMetric, types, as_of: date
) -> str:
    """Cohort size and retained count per cohort day and every dimension: retention adds up."""
    lo, hi = _data_range(tx, sem, spec, metric, types)
    window = Window("day", lo, hi + timedelta(days=1), as_of, spec.week_start)
    counts = compiler.retention_counts(metric, window, retention_dimensions(sem, metric), [], None)
    return exp.Create(
        this=exp.to_table(cohort_table(metric.name)), kind="TABLE", expression=counts
    ).sql(dialect="duckdb")


def _from_daily(metric: ActiveMetric, grain: str, week_start: str, dim: str | None) -> str:
    value = (
        exp.func("arg_max", col("value"), col("period"))
        if metric.period_value == "last"
        else exp.Avg(this=col("value"))
    )
    dims = [col(dim)] if dim else []
    select = exp.select(
        period_expr(col("period"), grain, week_start).as_("period"),
        *dims,
        exp.alias_(value, "value"),
        exp.alias_(exp.Max(this=col("value")), "peak"),
    )
    select = select.from_(exp.to_table(materialized_table(metric.name, "day", dim)))
    select = select.group_by(*[exp.Literal.number(i) for i in range(1, len(dims) + 2)])
    target = exp.to_table(materialized_table(metric.name, grain, dim))
    return exp.Create(this=target, kind="TABLE", expression=select).sql(dialect="duckdb")


def _tables(tx) -> list[str]:
    return [
        f"{s}.{t}"
        for s, t in tx.rows("SELECT table_schema, table_name FROM information_schema.tables")
    ]


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
