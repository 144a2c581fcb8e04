"""Rules for the metrics of metrics.yml, per metric type: the models, columns, metrics and SQL each
names exist and fit the type; no metric depends on itself."""

from __future__ import annotations

from metric_layer.cumulative_rules import cumulative_problems
from metric_layer.expressions import ExpressionError, formula_refs, parse_formula
from metric_layer.rule_context import RuleContext, check_column, model_ok
from metric_layer.spec import (
    ActiveMetric,
    ConversionMetric,
    CumulativeMetric,
    DerivedMetric,
    RatioMetric,
    RetentionMetric,
    SimpleMetric,
    SnapshotMetric,
)
from metric_layer.sql_rules import check_dimension_filter, check_sql, expression_problem

NUMERIC = (
    "INT",
    "DECIMAL",
    "DOUBLE",
    "FLOAT",
    "REAL",
    "NUMERIC",
    "HUGEINT",
    "BIGINT",
    "SMALLINT",
    "TINYINT",
    "UBIGINT",
    "UINTEGER",
)


def check_metrics(ctx: RuleContext) -> None:
    names = ctx.sem.metrics
    for metric in ctx.spec.metrics:
        i = ctx.index("metrics", metric.name)
        base = ("metrics", i)
        if isinstance(metric, SimpleMetric):
            _check_quantile(ctx, metric, base)
        if isinstance(metric, SimpleMetric | ActiveMetric | SnapshotMetric):
            if model_ok(ctx, (*base, "model"), metric.model, needs_time=True):
                if isinstance(metric, SimpleMetric | SnapshotMetric) and metric.expr:
                    check_sql(
                        ctx,
                        (*base, "expr"),
                        metric.expr,
                        metric.model,
                        allow_dimensions=True,
                        agg=metric.agg,
                    )
                    _check_numeric(ctx, metric, base)
                if isinstance(metric, ActiveMetric):
                    check_column(ctx, (*base, "entity"), metric.model, metric.entity)
                if metric.filter:
                    check_sql(
                        ctx, (*base, "filter"), metric.filter, metric.model, allow_dimensions=True
                    )
        elif isinstance(metric, RetentionMetric):
            if model_ok(ctx, (*base, "activity_model"), metric.activity_model, needs_time=True):
                check_column(ctx, (*base, "entity"), metric.activity_model, metric.entity)
                if metric.filter:
                    check_sql(
                        ctx,
                        (*base, "filter"),
                        metric.filter,
                        metric.activity_model,
                        allow_dimensions=True,
                    )
            if metric.cohort.model and model_ok(
                ctx, (*base, "cohort", "model"), metric.cohort.model, needs_time=True
            ):
                entity = metric.cohort.entity or ctx.sem.models[metric.cohort.model].primary_key
                check_column(ctx, (*base, "cohort", "entity"), metric.cohort.model, entity)
        elif isinstance(metric, ConversionMetric):
            _check_conversion(ctx, metric, base)
        elif isinstance(metric, RatioMetric):
            for side in ("numerator", "denominator"):
                ref = getattr(metric, side)
                if ref.metric not in names:
                    ctx.unknown((*base, side), "metric", ref.metric, names)
                elif ref.filter:
                    check_dimension_filter(ctx, (*base, side, "filter"), ref.filter, ref.metric)
        elif isinstance(metric, CumulativeMetric):
            ref = metric.input_metric
            if ref.metric not in names:
                ctx.unknown((*base, "input_metric"), "metric", ref.metric, names)
            else:
                for key, message, hint in cumulative_problems(metric, names):
                    ctx.add((*base, key), message, hint)
                if ref.filter:
                    path = (*base, "input_metric", "filter")
                    check_dimension_filter(ctx, path, ref.filter, ref.metric)
        elif isinstance(metric, DerivedMetric):
            try:
                refs = formula_refs(parse_formula(metric.formula))
            except ExpressionError as exc:
                ctx.add((*base, "formula"), *expression_problem(exc, metric.formula))
                continue
            for ref in refs:
                if ref.metric not in names:
                    ctx.unknown((*base, "formula"), "metric", ref.metric, names)
        if metric.format == "currency" and not (metric.unit or ctx.spec.currency):
            ctx.add((*base, "unit"), "currency metric needs a unit", "e.g. unit: CNY")


def _check_conversion(ctx: RuleContext, metric: ConversionMetric, base: tuple) -> None:
    """Both events' models, the entity and constant properties on both, their filters."""
    ok = []
    for step in ("base_event", "conversion_event"):
        part = getattr(metric, step)
        if not model_ok(ctx, (*base, step, "model"), part.model, needs_time=True):
            continue
        ok.append(part.model)
        check_column(ctx, (*base, "entity"), part.model, metric.entity)
        if part.filter:
            check_sql(ctx, (*base, step, "filter"), part.filter, part.model, allow_dimensions=True)
    for i, name in enumerate(metric.constant_properties):
        for model in ok:
            dims = ctx.sem.dimensions_of_model(model)
            cols = ctx.table_columns(model)
            if name not in dims and cols is not None and name not in cols:
                ctx.unknown(
                    (*base, "constant_properties", i),
                    "dimension or column",
                    name,
                    [*dims, *cols],
                    where=f"model `{model}`",
                )


def _check_quantile(ctx: RuleContext, metric: SimpleMetric, base: tuple) -> None:
    """median / percentile need a value column and (percentile) which one; others take neither."""
    if metric.agg in ("median", "percentile"):
        if metric.expr is None:
            ctx.add(
                (*base, "expr"),
                f"agg `{metric.agg}` needs `expr`: the value to rank",
                "e.g. expr: amount",
            )
        if metric.agg == "percentile" and metric.percentile is None:
            ctx.add(
                (*base, "percentile"),
                "agg `percentile` needs `percentile`: which one",
                "e.g. percentile: 0.9 for p90",
            )
        if metric.agg == "median" and metric.percentile is not None:
            ctx.add((*base, "percentile"), "a median is the 0.5 percentile", "remove `percentile`")
        return
    for key in ("percentile", "approximate"):
        if getattr(metric, key) not in (None, False):
            ctx.add(
                (*base, key),
                f"`{key}` applies to agg median or percentile, not `{metric.agg}`",
                f"remove `{key}`, or use agg: percentile",
            )


def _check_numeric(ctx: RuleContext, metric: SimpleMetric, base: tuple) -> None:
    if metric.agg not in ("sum", "avg", "median", "percentile") or metric.expr is None:
        return
    cols = ctx.table_columns(metric.model)
    if cols and metric.expr in cols and not cols[metric.expr].upper().startswith(NUMERIC):
        ctx.add(
            (*base, "expr"),
            f"cannot {metric.agg} `{metric.expr}`: it is {cols[metric.expr]}, not a number",
            "use count or count_distinct",
        )


def check_cycles(ctx: RuleContext) -> None:
    graph = {}
    for name in ctx.sem.metrics:
        try:
            graph[name] = [d for d in ctx.sem.inputs(name) if d in ctx.sem.metrics]
        except ExpressionError:
            graph[name] = []
    reported: set[frozenset[str]] = set()
    for start in graph:
        cycle = _find_cycle(graph, start)
        if cycle and frozenset(cycle) not in reported:
            reported.add(frozenset(cycle))
            path = ("metrics", ctx.index("metrics", start))
            ctx.add(
                path,
                f"metric `{start}` depends on itself: {' → '.join([*cycle, cycle[0]])}",
                "break the cycle",
            )


def _find_cycle(graph: dict[str, list[str]], start: str) -> list[str] | None:
    stack: list[tuple[str, list[str]]] = [(start, [start])]
    while stack:
        node, path = stack.pop()
        for nxt in graph.get(node, []):
            if nxt == start:
                return path
            if nxt not in path:
                stack.append((nxt, [*path, nxt]))
    return None
