"""A compiled query as SQL text for DuckDB (the warehouse), PostgreSQL or Spark.

The compiler builds one sqlglot tree per statement and sqlglot writes it for either engine; most
constructs need nothing here (quantile_cont → percentile_cont … WITHIN GROUP, DOUBLE → DOUBLE
PRECISION, <=> → IS NOT DISTINCT FROM, FILTER, GROUP BY 1, timezone(zone, ts), and a / b on
integers, which sqlglot casts to a double for PostgreSQL as DuckDB's float division would). The
few constructs PostgreSQL lacks or reads differently are rewritten for it in this module only, so
the DuckDB text stays what it was:
- arg_min / arg_max: the first non-NULL value in time order of an ordered array_agg, as DuckDB's
  arg_min skips rows whose value or order key is NULL;
- date_trunc on a DATE: PostgreSQL picks its TIMESTAMPTZ variant, a round trip through the
  session's time zone; truncating a TIMESTAMP keeps the SQL free of the session's zone;
- round(x[, n]) on NUMERIC: PostgreSQL's round(double) takes no digits and rounds halves to
  even; on NUMERIC it rounds halves away from zero, as DuckDB does. DECIMAL and integer values
  round alike on both engines. A DOUBLE is rounded by DuckDB as its exact binary value (2.675 is
  2.67499… and rounds to 2.67) and by PostgreSQL as its 15-digit decimal (2.68): with digits,
  values a hair from halfway may differ in the last digit (docs/metrics-yml.md, Other engines);
- generate_series of DATEs (the days of a cumulative metric): PostgreSQL has no DATE variant and
  picks its TIMESTAMPTZ one, stepping through the session's zone (in Pacific/Apia it skips
  2011-12-30); a series of TIMESTAMPs steps through plain calendar days;
- avg: DuckDB's is a DOUBLE; PostgreSQL's of integers or NUMERIC is NUMERIC, which a metric
  frame would read as an exact decimal: the average is cast to DOUBLE PRECISION (computed exactly,
  then rounded once);
- round: DuckDB's result keeps its argument's type (a DOUBLE stays a DOUBLE, an integer an
  integer), PostgreSQL's round(NUMERIC) is NUMERIC whatever went in: the rewrite is
  `CASE WHEN FALSE THEN x ELSE round(CAST(x AS NUMERIC), n) END`, whose type PostgreSQL resolves
  from x's (double precision for a DOUBLE; NUMERIC for integers and DECIMALs) and whose value is
  the rounded one (the first branch is never taken);
- approximate percentiles: PostgreSQL has no approximate quantile; the metric is refused.

Spark's rewrites live in spark_sql.py (its docstring lists them).
"""

from __future__ import annotations

from sqlglot import exp

from metric_layer.errors import METRIC_META, QueryError

DIALECTS = ("duckdb", "postgres", "spark")
DOUBLE = exp.DataType.build("DOUBLE")


def render(tree: exp.Expression, dialect: str = "duckdb", pretty: bool = False) -> str:
    """The statement as SQL text for `dialect`."""
    if dialect == "duckdb":
        return tree.sql(dialect="duckdb", pretty=pretty)
    if dialect == "postgres":
        # Quoted names: a metric or dimension called `user` or `order` is a reserved word there.
        return _for_postgres(tree).sql(dialect="postgres", pretty=pretty, identify=True)
    if dialect == "spark":
        from metric_layer.spark_sql import render_spark

        return render_spark(tree, pretty=pretty)
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
    kinds = (exp.ArgMin, exp.ArgMax, exp.DateTrunc, exp.Round, exp.GenerateSeries)
    for node in reversed(list(tree.find_all(*kinds))):
        node.replace(_postgres_node(node))
    for node in list(tree.find_all(exp.Avg)):
        _as_double(node)
    return tree


def _as_double(node: exp.Avg) -> None:
    """avg(...) [FILTER (...)] [OVER (...)] as a DOUBLE PRECISION, as DuckDB's avg is."""
    outer: exp.Expression = node
    while isinstance(outer.parent, exp.Filter | exp.Window) and outer.parent.this is outer:
        outer = outer.parent
    outer.replace(exp.cast(outer.copy(), DOUBLE))


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
        return _round(node)
    if isinstance(node, exp.GenerateSeries):
        return _timestamp_series(node)
    return node


def _timestamp_series(node: exp.GenerateSeries) -> exp.GenerateSeries:
    """A series of DATEs as TIMESTAMPs, its exclusive end as the last value (end - step)."""
    start, end, step = node.args["start"], node.args["end"], node.args.get("step")
    if not isinstance(step, exp.Interval) or not _is_date(start):
        return node  # integers (active_window.py) read the same on both engines
    stamp = exp.DataType.build("TIMESTAMP")
    last = exp.cast(end, stamp)
    if node.args.get("is_end_exclusive"):
        last = exp.Sub(this=last, expression=step.copy())
    return exp.GenerateSeries(start=exp.cast(start, stamp), end=last, step=step)


def _is_date(value: exp.Expression) -> bool:
    return isinstance(value, exp.Cast) and value.to.is_type("date")


def _round(node: exp.Round) -> exp.Expression:
    """round on NUMERIC (PostgreSQL's round(double) takes no digits and rounds halves to even),
    typed as its argument is, as DuckDB's round is (the module's docstring)."""
    value = node.this.copy()
    rounded = node.copy()
    rounded.set("this", exp.cast(value.copy(), exp.DataType.build("DECIMAL")))
    return exp.Case(ifs=[exp.If(this=exp.false(), true=value)], default=rounded)


def _not_null(value: exp.Expression) -> exp.Expression:
    return exp.Not(this=exp.Is(this=value, expression=exp.Null()))
