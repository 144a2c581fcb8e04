"""A query checked against one metric before anything is planned or compiled: the metric exists,
its breakdown and filters name its dimensions, and the rest of its filters become one checked SQL
condition (`where`). Errors are QueryErrors that say what to do next.
"""

from __future__ import annotations

from metric_layer.errors import QueryError
from metric_layer.query import DimensionFilter, MetricQuery
from metric_layer.semantics import Semantics
from metric_layer.suggest import did_you_mean
from metric_layer.where import query_filters


def check_metric(sem: Semantics, metric: str) -> None:
    if metric not in sem.metrics:
        hint = did_you_mean(metric, sem.metrics)
        hint = f"{hint} " if hint else ""
        raise QueryError(f"unknown metric `{metric}`; {hint}run `northstar metrics` to list them")


def split_filters(
    sem: Semantics, types, metric: str, query: MetricQuery
) -> tuple[list[DimensionFilter], str | None]:
    """Dimension filters, and the rest as one checked SQL condition (where.query_filters, which
    explain's segments share)."""
    return query_filters(metric, query.filters, query.where, sem, types)


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
