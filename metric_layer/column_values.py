"""The values a text column of the rows a metric counts takes: the Explorer's filter suggestions.

Names come from the validated spec (tables) and the warehouse's own catalogue (columns, checked by
`where.filter_columns`); the statement is a sqlglot tree, so nothing typed by a user reaches it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlglot import exp

from metric_layer.dialects import render
from metric_layer.errors import QueryError
from metric_layer.query import DimensionFilter
from metric_layer.relation import ModelRelation
from metric_layer.semantics import Semantics
from metric_layer.suggest import did_you_mean
from metric_layer.where import counted_models, filter_columns

VALUES_SHOWN = 500  # a picker with more is no help: the user types the value instead


def column_values_sql(
    metric: str,
    column: str,
    sem: Semantics,
    column_types: dict[str, dict[str, str]] | None,
    filters: Sequence[DimensionFilter] = (),
    dialect: str = "duckdb",
) -> str:
    """SELECT the distinct non-null values of text `column` over every model `metric` counts,
    sorted, at most VALUES_SHOWN + 1 (one more tells the caller the list was cut); only of the
    rows `filters` keep (a row-level scope's, on dimensions of those models); for `dialect`."""
    kinds = filter_columns(metric, sem, column_types)
    if kinds.get(column) != "text":
        texts = sorted(c for c, k in kinds.items() if k == "text")
        hint = did_you_mean(column, texts)
        raise QueryError(
            f"`{column}` is no text column of the rows `{metric}` counts; "
            f"{hint + ' ' if hint else ''}text columns: {', '.join(texts) or 'none'}"
        )
    sides = []
    for model in counted_models(metric, sem):
        # The time zone is unused: no local day is read here.
        rel = ModelRelation(sem, model, "UTC", column_types)
        name = rel.column(column)
        select = exp.select(exp.alias_(name.copy(), "value", quoted=True)).where(
            exp.Not(this=exp.Is(this=name.copy(), expression=exp.Null())),
            *[rel.filter(f) for f in filters],
        )
        sides.append(rel.from_clause(select))
    union = sides[0]
    for side in sides[1:]:
        union = exp.union(union, side, distinct=True)
    query = (
        exp.select(exp.column("value", quoted=True))
        .from_(union.subquery("v"))
        .distinct()
        .order_by(exp.column("value", quoted=True))
        .limit(VALUES_SHOWN + 1)
    )
    return render(query, dialect)
