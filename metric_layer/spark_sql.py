"""A compiled query as Spark SQL: sqlglot's `spark` dialect, and the rewrites Spark needs.

sqlglot writes most constructs for Spark as they are (date_trunc of a DATE → trunc, arg_min →
min_by, FILTER, <=>, count(DISTINCT), RANGE frames over days, TIMESTAMPTZ → TIMESTAMP). What
Spark lacks or reads differently from DuckDB is rewritten here, in the tree, before writing:
- TIMESTAMP: DuckDB's is naive wall time, Spark's is an instant shown in the session's zone;
  DuckDB's TIMESTAMP is Spark's TIMESTAMP_NTZ (and DuckDB's TIMESTAMPTZ Spark's TIMESTAMP);
- timezone(zone, ts): no such function. The instant as wall time in `zone` is
  convert_timezone(zone, ts); wall time in `zone` as the instant is
  CAST(convert_timezone(zone, 'UTC', ts) AS TIMESTAMP), which reads the UTC wall time as an
  instant in the session's zone: UTC, as warehouse/spark_session.py sets it. Which of the two
  DuckDB's timezone() does depends on its argument's type, named in the node's meta by
  relation.py (TIMEZONE_ARG);
- generate_series / range in FROM (the days of a cumulative metric, the offsets of an active
  window): explode(sequence(first, last, step)) AS s(d), the last value included (Spark's
  sequence), and no row at all when last < first (DuckDB's empty range; sequence would count
  down or fail);
- avg: Spark's avg of a DECIMAL is a DECIMAL of scale + 4 (1/3 → 0.333333), DuckDB's a DOUBLE:
  the average of the values as DOUBLE;
- exact percentiles: DuckDB's quantile_cont(x, q) is Spark's percentile(x, q), interpolated the
  same way ((n - 1) × q);
- arg_min / arg_max: DuckDB's skips rows whose value or order key is NULL; Spark's min_by skips
  only NULL keys, so a NULL value's key is made NULL;
- CTEs inside subqueries (a ratio of two active metrics holds two `spine`s): sqlglot's spark
  writer hoists every CTE to the top, where equal names collide; Spark 3+ reads nested WITH, so
  they stay where they are;
- GROUPING(a, b, …) of several columns (which segments of an explanation a row belongs to):
  Spark's grouping takes one column (and grouping_id all of them at once): the bits are added up
  from grouping() of each;
- approximate percentiles: Spark's approx_percentile is another estimator than DuckDB's t-digest
  (a value of the data, not an interpolation), so the numbers would differ: refused.
"""

from __future__ import annotations

from sqlglot import exp
from sqlglot.errors import ErrorLevel, UnsupportedError
from sqlglot.generators.spark import SparkGenerator

from metric_layer.errors import METRIC_META, QueryError
from metric_layer.relation import TIMEZONE_ARG


def _type(name: str) -> exp.DataType:
    return exp.DataType.build(name)  # a new node each time: a tree owns its nodes


class _Generator(SparkGenerator):
    """sqlglot's Spark writer, CTEs left inside their subqueries (Spark 3+ reads them)."""

    EXPRESSIONS_WITHOUT_NESTED_CTES: set = set()


def render_spark(tree: exp.Expression, pretty: bool = False) -> str:
    """The statement as Spark SQL text (identifiers quoted: `user`, `order` are reserved)."""
    tree = for_spark(tree)
    generator = _Generator(
        dialect="spark", pretty=pretty, identify=True, unsupported_level=ErrorLevel.RAISE
    )
    try:
        return generator.generate(tree, copy=False)
    except UnsupportedError as exc:
        raise QueryError(f"Spark SQL cannot express this query: {exc}") from None


def for_spark(tree: exp.Expression) -> exp.Expression:
    """A copy of `tree` rewritten where Spark differs from DuckDB (the module's docstring)."""
    tree = tree.copy()
    for node in tree.find_all(exp.ApproxQuantile):
        metric = node.meta.get(METRIC_META, "?")
        raise QueryError(
            f"metric `{metric}` is an approximate percentile: Spark's estimator is not DuckDB's "
            "and would give other numbers; set `approximate: false` in metrics.yml to run it "
            "on Spark (exact percentile)"
        )
    kinds = (exp.DataType, exp.Anonymous, exp.GenerateSeries, exp.Avg, exp.PercentileCont)
    kinds += (exp.Grouping,)
    # Deepest first, so a rewritten node's arguments are already rewritten.
    for node in reversed(list(tree.find_all(*kinds, exp.ArgMin, exp.ArgMax))):
        replaced = _spark_node(node)
        if replaced is not node:
            node.replace(replaced)
    return tree


def _spark_node(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.DataType):
        return _type("TIMESTAMPNTZ") if node.this == exp.DataType.Type.TIMESTAMP else node
    if isinstance(node, exp.Anonymous) and node.name.lower() == "timezone":
        return _timezone(node)
    if isinstance(node, exp.GenerateSeries):
        return _sequence(node)
    if isinstance(node, exp.Avg):
        inner = node.this
        if isinstance(inner, exp.Distinct):  # avg(DISTINCT x)
            inner.set("expressions", [exp.cast(e, _type("DOUBLE")) for e in inner.expressions])
        else:
            node.set("this", exp.cast(inner, _type("DOUBLE")))
        return node
    if isinstance(node, exp.PercentileCont):
        return exp.Quantile(this=node.this, quantile=node.expression)
    if isinstance(node, exp.Grouping) and len(node.expressions) > 1:
        return _grouping_bits(node.expressions)
    if isinstance(node, exp.ArgMin | exp.ArgMax):
        value, key = node.this, node.expression
        known = exp.If(this=_is_null(value.copy()), true=exp.Null(), false=key)
        node.set("expression", known)
        return node
    return node


def _grouping_bits(columns: list[exp.Expression]) -> exp.Expression:
    """DuckDB's GROUPING(a, b, …): one bit per column, the first the highest. Spark's grouping()
    takes one column, and its grouping_id() only all the grouping columns at once."""
    last = len(columns) - 1
    bits = [
        exp.Mul(
            this=exp.cast(exp.Grouping(expressions=[c]), _type("BIGINT")),
            expression=exp.Literal.number(1 << (last - i)),
        )
        for i, c in enumerate(columns)
    ]
    total = bits[0]
    for bit in bits[1:]:
        total = exp.Add(this=total, expression=bit)
    return exp.Paren(this=total)


def _timezone(node: exp.Anonymous) -> exp.Expression:
    """DuckDB's timezone(zone, ts), by the type of `ts` relation.py names in the node's meta."""
    zone, value = node.expressions
    given = node.meta.get(TIMEZONE_ARG)
    if given == "timestamptz":  # the instant as wall time in zone
        return exp.func("convert_timezone", zone, value)
    if given == "timestamp":  # wall time in zone as the instant
        utc = exp.func("convert_timezone", zone, exp.Literal.string("UTC"), value)
        return exp.cast(utc, _type("TIMESTAMPTZ"))
    raise QueryError(
        "timezone() in this query does not say whether it converts an instant or a wall time, "
        "which Spark writes differently; build it with metric_layer.relation.timezone_call"
    )


def _sequence(node: exp.GenerateSeries) -> exp.Expression:
    """explode(sequence(start, last, step)): every value of DuckDB's series, none if empty."""
    start, end, step = node.args["start"], node.args["end"], node.args.get("step")
    if step is not None and not (isinstance(start, exp.Cast) and start.to.is_type("date")):
        raise QueryError("Spark SQL writes a series with a step only of DATEs")
    if node.args.get("is_end_exclusive"):
        end = exp.Sub(this=end, expression=step.copy() if step else exp.Literal.number(1))
        if step is not None:  # a DATE minus an interval is a TIMESTAMP in Spark
            end = exp.cast(end, _type("DATE"))
    parts = [start.copy(), end.copy()] + ([step] if step is not None else [])
    values = exp.If(
        this=exp.LTE(this=start, expression=end),
        true=exp.func("sequence", *parts),
        false=exp.Array(expressions=[]),
    )
    return exp.Explode(this=values)


def _is_null(value: exp.Expression) -> exp.Expression:
    return exp.Is(this=value, expression=exp.Null())
