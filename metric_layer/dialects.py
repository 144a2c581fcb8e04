"""A compiled query as SQL text for DuckDB (the warehouse) or PostgreSQL.

The compiler builds one sqlglot tree per statement and sqlglot writes it for either engine; most
constructs need nothing here (quantile_cont → percentile_cont … WITHIN GROUP, DOUBLE → DOUBLE
PRECISION, <=> → IS NOT DISTINCT FROM, FILTER, GROUP BY 1, timezone(zone, ts), and a / b on
integers, which sqlglot casts to a double for PostgreSQL as DuckDB's float division would). The
few constructs PostgreSQL lacks or reads differently are rewritten for it in this module only, so
the DuckDB text stays what it was:
- arg_min / arg_max: the first non-NULL value in time order of an ordered array_agg, as DuckDB's
  arg_min skips rows whose value or order key is NULL;
- date_trunc on a DATE: PostgreSQL would convert the DATE to TIMESTAMPTZ in the session's time
  zone; truncating a TIMESTAMP keeps the period start independent of the session;
- round(x[, n]): PostgreSQL has round(double) only without digits, and rounds halves to even
  there; on NUMERIC it rounds halves away from zero, as DuckDB does;
- approximate percentiles: PostgreSQL has no approximate quantile; the metric is refused.
"""

from __future__ import annotations

from sqlglot import exp

from metric_layer.errors import QueryError

DIALECTS = ("duckdb", "postgres")
METRIC_META = "metric"  # meta key naming the metric a node computes, for errors on rendering


def render(tree: exp.Expression, dialect: str = "duckdb", pretty: bool = False) -> str:
    """The statement as SQL text for `dialect`."""
    if dialect == "duckdb":
        return tree.sql(dialect="duckdb", pretty=pretty)
    if dialect == "postgres":
        # Quoted names: a metric or dimension called `user` or `order` is a reserved word there.
        return _for_postgres(tree).sql(dialect="postgres", pretty=pretty, identify=True)
    raise QueryError(
        f"cannot write SQL for `{dialect}`; Northstar writes SQL for {', '.join(DIALECTS)}"
    )


def _for_postgres(tree: exp.Expression) -> exp.Expression:
    tree = tree.copy()
    for node in list(tree.find_all(exp.ApproxQuantile)):
        metric = node.meta.get(METRIC_META, "?")
        raise QueryError(
            f"metric `{metric}` is an approximate percentile, which PostgreSQL cannot compute; "
            "set `approximate: false` in metrics.yml to run it there (exact percentile)"
        )
    # Deepest first, so a rewritten node's arguments are already rewritten.
    for node in reversed(list(tree.find_all(exp.ArgMin, exp.ArgMax, exp.DateTrunc, exp.Round))):
        node.replace(_postgres_node(node))
    return tree


def _postgres_node(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.ArgMin | exp.ArgMax):
        value, key = node.this, node.expression
        order = exp.Ordered(this=key.copy(), desc=isinstance(node, exp.ArgMax))
        values = exp.ArrayAgg(this=exp.Order(this=value.copy(), expressions=[order]))
        known = exp.and_(_not_null(value.copy()), _not_null(key.copy()))
        first = exp.Filter(this=values, expression=exp.Where(this=known))
        return exp.Bracket(this=exp.paren(first), expressions=[exp.Literal.number(1)], offset=1)
    if isinstance(node, exp.DateTrunc):
        node.set("this", exp.cast(node.this, exp.DataType.build("TIMESTAMP")))
        return node
    if isinstance(node, exp.Round):
        node.set("this", exp.cast(node.this, exp.DataType.build("DECIMAL")))
        return node
    return node


def _not_null(value: exp.Expression) -> exp.Expression:
    return exp.Not(this=exp.Is(this=value, expression=exp.Null()))
