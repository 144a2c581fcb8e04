"""A query checked against one metric before anything is planned or compiled: the metric exists,
its breakdown and filters name its dimensions, and the rest of its filters become one checked SQL
condition (`where`). Errors are QueryErrors that say what to do next.
"""

from __future__ import annotations

from metric_layer.errors import QueryError
from metric_layer.expressions import and_texts
from metric_layer.query import DimensionFilter, MetricQuery
from metric_layer.relation import col, filter_condition
from metric_layer.semantics import Semantics
from metric_layer.suggest import did_you_mean
from metric_layer.where import check_where, parse_where, shared_columns, typed_values


def check_metric(sem: Semantics, metric: str) -> None:
    if metric not in sem.metrics:
        hint = did_you_mean(metric, sem.metrics)
        hint = f"{hint} " if hint else ""
        raise QueryError(f"unknown metric `{metric}`; {hint}run `northstar metrics` to list them")


def split_filters(
    sem: Semantics, types, metric: str, query: MetricQuery
) -> tuple[list[DimensionFilter], str | None]:
    """Dimension filters, and the rest as one checked SQL condition rebuilt by sqlglot: the
    query's `where` texts and `column op value` filters on a column that is no dimension."""
    dimensions = sem.dimensions_of_metric(metric)
    columns = shared_columns(metric, sem, types)
    kept, parts = [], []
    for f in query.filters:
        if f.dimension in dimensions or f.dimension not in columns:
            kept.append(f)  # unknown names are reported by check_dimensions
        else:
            typed = typed_values(f, types, sem, metric)
            parts.append(filter_condition(col(f.dimension), typed).sql(dialect="duckdb"))
    for text in query.where:
        tree = parse_where(text)
        check_where(tree, text, metric, sem, types)
        parts.append(tree.sql(dialect="duckdb"))
    return kept, and_texts(*parts)


def check_dimensions(sem: Semantics, metric: str, dims, filters: list[DimensionFilter]) -> None:
    allowed = sem.dimensions_of_metric(metric)
    for name in [*dims, *(f.dimension for f in filters)]:
        if name not in allowed:
            names = ", ".join(sorted(k for k in allowed if "." not in k)) or "none"
            hint = did_you_mean(name, [k for k in allowed if ("." in k) == ("." in name)])
            raise QueryError(
                f"metric `{metric}` cannot be broken down or filtered by `{name}`; "
                + (f"{hint} " if hint else "")
                + f"its dimensions: {names}"
            )
